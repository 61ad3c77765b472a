// The IM client against the real server: live delivery, acks, and a forced disconnect during
// which messages are sent: every one arrives once, in order.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createXuqm, IMClient, type MessageFrame, type IMOptions } from "../src/index.ts";
import { demoApp, eventually, imLogin, NodeWebSocket, startServer, type TestServer } from "./server.ts";

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const q = { params: { query: { appId: demoApp.appKey } } };

async function user(id: string) {
  const t = await imLogin(server.url, id);
  return { id, token: t, http: createXuqm({ baseUrl: server.url, token: t.token }) };
}

function im(token: { token: string; expiresAt: string }, extra: Partial<IMOptions> = {}) {
  const c = new IMClient({ url: server.url, token, WebSocket: NodeWebSocket, backoff: { initialMs: 50, maxMs: 200 }, ...extra });
  const messages: MessageFrame[] = [];
  c.on("message", (f) => messages.push(f));
  return { c, messages, contents: () => messages.map((f) => f.data.content) };
}

async function opened(c: IMClient) {
  if (c.state === "open") return;
  await new Promise<void>((ok) => {
    const off = c.on("state", (s) => s === "open" && (off(), ok()));
  });
}

test("send over the socket is acked with the stored message; both sides get it live", async () => {
  const [alice, bob] = await Promise.all([user("ts_alice"), user("ts_bob")]);
  const a = im(alice.token);
  const b = im(bob.token);
  a.c.connect();
  b.c.connect();
  await Promise.all([opened(a.c), opened(b.c)]);
  assert.ok((await a.c.ping()) >= 0);
  const stored = await a.c.send({ toId: "ts_bob", chatType: "SINGLE", msgType: "TEXT", content: "hi bob" });
  assert.equal(stored.fromId, "ts_alice");
  assert.ok(stored.clientMsgId, "a clientMsgId is chosen");
  await eventually(() => b.messages.length === 1 && a.messages.length === 1, () => JSON.stringify([a.contents(), b.contents()]));
  assert.equal(b.messages[0].data.id, stored.id);
  const reply = await bob.http.POST("/api/im/messages/send", { ...q, body: { toId: "ts_alice", chatType: "SINGLE", msgType: "TEXT", content: "hi alice" } });
  await eventually(() => a.messages.length === 2, () => JSON.stringify(a.contents()));
  assert.equal(a.messages[1].data.id, reply.id);
  // An error frame rejects the send with the HTTP code the same request would get.
  await assert.rejects(a.c.send({ toId: "ts_nobody_group", chatType: "GROUP", msgType: "TEXT", content: "x" }), (e: any) => e.code === 404 || e.code === 403);
  a.c.close();
  b.c.close();
});

test("a forced disconnect with messages sent meanwhile: all arrive once, in order", async () => {
  const [alice, bob] = await Promise.all([user("ts_alice2"), user("ts_bob2")]);
  // The socket is cut from the server side's view (terminate, no close handshake), and while
  // the gate is shut every reconnect fails, so the sends below happen while alice is away.
  let gateOpen = true;
  const sockets: any[] = [];
  class GatedSocket extends (NodeWebSocket as any) {
    constructor(url: string) {
      super(gateOpen ? url : url.replace(/:\d+\//, ":1/"));
      sockets.push(this);
    }
  }
  const a = im(alice.token, { WebSocket: GatedSocket as any });
  a.c.connect();
  await opened(a.c);
  const send = (content: string) => bob.http.POST("/api/im/messages/send", { ...q, body: { toId: "ts_alice2", chatType: "SINGLE", msgType: "TEXT", content } });
  await send("m1");
  await eventually(() => a.messages.length === 1, () => JSON.stringify(a.contents()));

  gateOpen = false;
  const waiting = new Promise<void>((ok) => {
    const off = a.c.on("state", (s) => s === "waiting" && (off(), ok()));
  });
  sockets.at(-1).terminate();
  await waiting;
  for (const m of ["m2", "m3", "m4", "m5", "m6"]) await send(m);
  // alice sends too while away: queued, sent after the reconnect, acked once.
  const queued = a.c.send({ toId: "ts_bob2", chatType: "SINGLE", msgType: "TEXT", content: "from alice while away" });
  await new Promise((ok) => setTimeout(ok, 300)); // a few failed reconnects
  assert.equal(a.messages.length, 1, "nothing arrives while disconnected");
  gateOpen = true;
  await send("m7");
  const mine = await queued;
  await eventually(() => a.messages.length >= 8, () => JSON.stringify(a.contents()));
  await new Promise((ok) => setTimeout(ok, 300)); // room for any duplicate to show up
  const fromBob = a.messages.filter((f) => f.data.fromId === "ts_bob2").map((f) => f.data.content);
  assert.deepEqual(fromBob, ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
  assert.deepEqual(a.messages.filter((f) => f.data.fromId === "ts_alice2").map((f) => f.data.id), [mine.id]);
  const seqs = a.messages.map((f) => f.seq!);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), "user event seqs in order");
  assert.equal(new Set(seqs).size, seqs.length, "no event twice");
  // The position resumes a later session without replaying anything.
  const pos = a.c.position();
  assert.equal(pos.seq, seqs.at(-1));
  a.c.close();
  const again = im(alice.token, { position: pos });
  again.c.connect();
  await opened(again.c);
  await send("m8");
  await eventually(() => again.messages.length === 1, () => JSON.stringify(again.contents()));
  assert.deepEqual(again.contents(), ["m8"]);
  again.c.close();
});

test("group messages arrive live and by sync (user seqs today, group seqs once the server has them)", async () => {
  const [alice, bob] = await Promise.all([user("ts_alice3"), user("ts_bob3")]);
  const group = await alice.http.POST("/api/im/groups", { ...q, body: { name: "ts group", memberIds: ["ts_bob3"] } });
  const b = im(bob.token);
  b.c.connect();
  await opened(b.c);
  const send = (content: string) =>
    alice.http.POST("/api/im/messages/send", { ...q, body: { toId: group.groupId, chatType: "GROUP", msgType: "TEXT", content } });
  await send("g1");
  await eventually(() => b.messages.some((f) => f.data.content === "g1"), () => JSON.stringify(b.contents()));
  b.c.close();
  await send("g2");
  await send("g3");
  const later = im(bob.token, { position: b.c.position() });
  later.c.connect();
  await opened(later.c);
  await eventually(() => later.messages.filter((f) => f.data.chatType === "GROUP").length >= 2, () => JSON.stringify(later.contents()));
  await new Promise((ok) => setTimeout(ok, 200));
  assert.deepEqual(later.messages.filter((f) => f.data.chatType === "GROUP").map((f) => f.data.content), ["g2", "g3"]);
  later.c.close();
});
