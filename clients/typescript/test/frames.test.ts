// The hand-written frame types (src/frames.ts) against openapi/asyncapi.yaml, and the ordering
// of event streams.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { clientFrames, frameFields, serverFrames } from "../src/frames.ts";
import { EventStream } from "../src/stream.ts";
import { repoRoot } from "./server.ts";

const doc = parse(readFileSync(join(repoRoot, "openapi/asyncapi.yaml"), "utf8"));
const source = readFileSync(join(repoRoot, "clients/typescript/src/frames.ts"), "utf8");

// Every frame of a direction as (type name, payload schema). Several messages may share a type
// (a group's `message` beside a user's): each must fit the one TypeScript type of that name.
function framesOf(action: "send" | "receive"): { name: string; schema: string }[] {
  const out: { name: string; schema: string }[] = [];
  for (const op of Object.values<any>(doc.operations)) {
    if (op.action !== action) continue;
    for (const ref of op.messages) {
      const channelMsg = doc.channels.im.messages[ref.$ref.split("/").pop()];
      const msg = doc.components.messages[channelMsg.$ref.split("/").pop()];
      out.push({ name: msg.name, schema: msg.payload.schema.$ref.split("/").pop() });
    }
  }
  return out;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

test("every frame type of asyncapi.yaml has its TypeScript type, by direction", () => {
  assert.deepEqual(sorted(framesOf("send").map((f) => f.name)), sorted(Object.keys(serverFrames)));
  assert.deepEqual(sorted(framesOf("receive").map((f) => f.name)), sorted(Object.keys(clientFrames)));
});

test("every frame schema's fields are in the TypeScript type of its name, and each type is declared", () => {
  const types: Record<string, string> = { ...serverFrames };
  const checks = [...framesOf("send").map((f) => ({ ...f, type: types[f.name] })), ...framesOf("receive").map((f) => ({ ...f, type: (clientFrames as Record<string, string>)[f.name] }))];
  for (const { name, schema: schemaName, type } of checks) {
    const schema = doc.components.schemas[schemaName];
    assert.ok(schema, `asyncapi.yaml has no schema ${schemaName}`);
    assert.match(source, new RegExp(`export interface ${type}\\b`), `frames.ts declares ${type}`);
    const props = { ...(schema.properties ?? {}), ...Object.assign({}, ...(schema.allOf ?? []).map((x: any) => x.properties ?? {})) };
    for (const field of Object.keys(props)) {
      assert.ok(frameFields[type].includes(field), `${schemaName}.${field} (frame ${name}) is in asyncapi.yaml but not in frames.ts ${type}`);
    }
    assert.deepEqual(props.type?.enum, [name], `${schemaName}'s type is ${name}`);
  }
});

test("a stream hands each event on once, in order, holding early ones until the gap fills", () => {
  const s = new EventStream<string>(0);
  assert.deepEqual(s.accept(1, "a"), ["a"]);
  assert.deepEqual(s.accept(1, "a again"), []);
  assert.deepEqual(s.accept(3, "c"), []);
  assert.ok(s.waiting);
  assert.deepEqual(s.accept(2, "b"), ["b", "c"]);
  assert.deepEqual(s.accept(5, "e"), []);
  // The server's synced says everything up to 6 was replayed: 4 is gone for good.
  assert.deepEqual(s.settle(6), ["e"]);
  assert.equal(s.seq, 6);
  assert.deepEqual(s.accept(7, "g"), ["g"]);
  // A group the client has not seen starts at its first event.
  const g = new EventStream<string>();
  assert.deepEqual(g.accept(42, "x"), ["x"]);
  assert.deepEqual(g.accept(41, "older"), []);
});
