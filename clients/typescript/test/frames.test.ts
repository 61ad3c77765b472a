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

function framesOf(action: "send" | "receive"): Map<string, string> {
  const out = new Map<string, string>();
  for (const op of Object.values<any>(doc.operations)) {
    if (op.action !== action) continue;
    for (const ref of op.messages) {
      const key = ref.$ref.split("/").pop();
      const channelMsg = doc.channels.im.messages[key];
      const msg = doc.components.messages[channelMsg.$ref.split("/").pop()];
      out.set(msg.name, msg.payload.schema.$ref.split("/").pop());
    }
  }
  return out;
}

test("every frame of asyncapi.yaml has its type, by direction, with the same schema name", () => {
  assert.deepEqual(Object.fromEntries([...framesOf("send")].sort()), Object.fromEntries(Object.entries(serverFrames).sort()));
  assert.deepEqual(Object.fromEntries([...framesOf("receive")].sort()), Object.fromEntries(Object.entries(clientFrames).sort()));
});

test("every frame schema's fields are in the TypeScript type, and each type is declared", () => {
  for (const name of [...Object.values(serverFrames), ...Object.values(clientFrames)]) {
    const schema = doc.components.schemas[name];
    assert.ok(schema, `asyncapi.yaml has no schema ${name}`);
    assert.match(source, new RegExp(`export interface ${name}\\b`), `frames.ts declares ${name}`);
    for (const field of Object.keys(schema.properties ?? {})) {
      assert.ok(frameFields[name].includes(field), `${name}.${field} is in asyncapi.yaml but not in frames.ts`);
    }
    const type = schema.properties.type.enum;
    assert.equal(type.length, 1);
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
