// The HTTP client against the real server: envelopes unwrapped, errors typed, requests signed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canonicalQuery, createXuqm, signature, XuqmError } from "../src/index.ts";
import { demoApp, imLogin, startServer, type TestServer } from "./server.ts";

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test("the signature is the one the Go server computes", async () => {
  // The same vector as Go's auth.Sign (internal/auth), Go's url.Values.Encode escaping included.
  const query = "userId=%E4%BD%A0+x*&appId=ak_x&b=~1&b=0";
  assert.equal(canonicalQuery(query), "appId=ak_x&b=~1&b=0&userId=%E4%BD%A0+x%2A");
  const sig = await signature("secret", {
    method: "post", path: "/api/im/auth/login", query, timestamp: "1800000000000", nonce: "n-1",
    body: new TextEncoder().encode('{"a":1}'),
  });
  assert.equal(sig, "f246284ad27739b93f2d168c41aa511a7f7b360fd1929e18fea325c13dfdc9c3");
});

test("demo login, then IM calls with the bearer token answer the envelope's data", async () => {
  const api = createXuqm({ baseUrl: server.url });
  const demo = await api.POST("/api/demo/auth/login", { body: { username: "demo_alice", password: demoApp.password } });
  assert.ok(demo.token.length > 20);
  api.setToken(demo.token);
  const im = await api.POST("/api/demo/auth/refresh-im", { params: { query: { appId: demoApp.appKey } } });
  api.setToken(() => im.token);
  const sent = await api.POST("/api/im/messages/send", {
    params: { query: { appId: demoApp.appKey } },
    body: { toId: "demo_bob", chatType: "SINGLE", msgType: "TEXT", content: "hello bob", clientMsgId: "http-test-1" },
  });
  assert.equal(sent.fromId, "demo_alice");
  assert.equal(sent.content, "hello bob");
  const page = await api.GET("/api/im/conversations", { params: { query: { appId: demoApp.appKey } } });
  assert.ok(page.content.some((c) => c.targetId === "demo_bob" && c.lastMessage?.id === sent.id));
});

test("a signed app-server login creates the IM account and its token works", async () => {
  const { token, expiresAt } = await imLogin(server.url, "ts_signed_user");
  assert.ok(Date.parse(expiresAt) > Date.now());
  const api = createXuqm({ baseUrl: server.url, token });
  const page = await api.GET("/api/im/conversations", { params: { query: { appId: demoApp.appKey } } });
  assert.equal(page.totalElements, 0);
  const wrong = createXuqm({ baseUrl: server.url, sign: { secret: "not-the-secret" } });
  await assert.rejects(
    wrong.POST("/api/im/auth/login", { params: { query: { appId: demoApp.appKey, userId: "x" } } }),
    (e: unknown) => e instanceof XuqmError && e.code === 401 && /signature/i.test(e.message),
  );
});

test("an error envelope becomes a typed XuqmError with code, message and field errors", async () => {
  const api = createXuqm({ baseUrl: server.url });
  await assert.rejects(
    api.POST("/api/demo/auth/login", { body: { username: "demo_alice", password: "wrong-password" } }),
    (e: unknown) => {
      assert.ok(e instanceof XuqmError);
      assert.equal(e.code, 401);
      assert.equal(e.status, "1");
      assert.ok(e.message.length > 0);
      assert.deepEqual(e.fieldErrors, []);
      return true;
    },
  );
  await assert.rejects(
    api.POST("/api/auth/login", { body: { email: "not-an-email", password: "x" } }),
    (e: unknown) => {
      assert.ok(e instanceof XuqmError);
      assert.equal(e.code, 400);
      assert.ok(e.fieldErrors.some((f) => f.field.includes("email")), JSON.stringify(e.fieldErrors));
      return true;
    },
  );
  const unreachable = createXuqm({ baseUrl: "http://127.0.0.1:1" });
  await assert.rejects(unreachable.GET("/api/auth/captcha"), (e: unknown) => e instanceof XuqmError && e.code === 0);
});
