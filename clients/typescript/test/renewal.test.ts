// The IM client's token renewal and its kicks, against a scripted socket (no server needed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { IMClient, type WebSocketLike } from "../src/index.ts";
import { eventually } from "./server.ts";

// A socket that opens at once and answers sync with synced; the test can push frames and close it.
class ScriptedSocket implements WebSocketLike {
  static all: ScriptedSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  constructor(readonly url: string) {
    ScriptedSocket.all.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    }, 1);
  }
  send(data: string): void {
    const f = JSON.parse(data);
    this.sent.push(f);
    if (f.type === "sync") this.push({ type: "synced", seq: f.afterSeq });
  }
  push(frame: unknown): void {
    setTimeout(() => this.onmessage?.({ data: JSON.stringify(frame) }), 1);
  }
  close(code = 1000, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason }), 1);
  }
}

const token = (u: string) => new URL(u).searchParams.get("token");

test("the token is renewed before expiresAt and the socket reopens with the new one", async () => {
  ScriptedSocket.all = [];
  let renewals = 0;
  const im = new IMClient({
    url: "http://127.0.0.1:9/",
    token: { token: "first", expiresAt: new Date(Date.now() + 1500) },
    renewToken: async () => ({ token: `renewed-${++renewals}`, expiresAt: Date.now() + 3_600_000 }),
    WebSocket: ScriptedSocket,
    backoff: { initialMs: 10, maxMs: 20 },
  });
  const tokens: string[] = [];
  im.on("token", (t) => tokens.push(t.token));
  im.connect();
  await eventually(() => im.state === "open", () => im.state);
  assert.equal(token(ScriptedSocket.all[0].url), "first");
  assert.equal(new URL(ScriptedSocket.all[0].url).pathname, "/ws/im");
  await eventually(() => ScriptedSocket.all.length === 2 && im.state === "open", () => `${ScriptedSocket.all.length} sockets, ${im.state}`, 5000);
  assert.equal(renewals, 1);
  assert.deepEqual(tokens, ["renewed-1"]);
  assert.equal(token(ScriptedSocket.all[1].url), "renewed-1");
  im.close();
});

test("a kick is final, except TOKEN_EXPIRED with a renewal and TOO_MANY_CONNECTIONS", async () => {
  ScriptedSocket.all = [];
  const im = new IMClient({ url: "ws://127.0.0.1:9/ws/im", token: { token: "t" }, WebSocket: ScriptedSocket, backoff: { initialMs: 5, maxMs: 10 } });
  im.connect();
  await eventually(() => im.state === "open", () => im.state);
  ScriptedSocket.all[0].push({ type: "kicked", seq: 0, data: { reason: "TOO_MANY_CONNECTIONS" } });
  setTimeout(() => ScriptedSocket.all[0].close(1008, "kicked"), 20);
  await eventually(() => ScriptedSocket.all.length === 2 && im.state === "open", () => `${ScriptedSocket.all.length} sockets, ${im.state}`, 5000);
  const kicks: string[] = [];
  im.on("kicked", (f) => kicks.push(f.data.reason));
  ScriptedSocket.all[1].push({ type: "kicked", seq: 0, data: { reason: "ACCOUNT_DELETED" } });
  await eventually(() => im.state === "closed", () => im.state);
  await new Promise((ok) => setTimeout(ok, 100));
  assert.deepEqual(kicks, ["ACCOUNT_DELETED"]);
  assert.equal(ScriptedSocket.all.length, 2, "no reconnect after a final kick");
});
