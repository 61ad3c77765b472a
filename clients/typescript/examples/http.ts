// The typed HTTP client: calls answer the envelope's data, errors throw XuqmError.
import { createXuqm, XuqmError } from "../src/index.ts";

export async function demoConversations(baseUrl: string): Promise<void> {
  const api = createXuqm({ baseUrl });
  const demo = await api.POST("/api/demo/auth/login", { body: { username: "demo_alice", password: "Demo@123456" } });
  api.setToken(demo.token);
  const im = await api.POST("/api/demo/auth/refresh-im", { params: { query: { appId: "ak_demo_chat" } } });
  api.setToken(im.token);
  const page = await api.GET("/api/im/conversations", { params: { query: { appId: "ak_demo_chat" } } });
  for (const c of page.content) console.log(c.targetId, c.unreadCount);
  try {
    await api.POST("/api/im/messages/send", {
      params: { query: { appId: "ak_demo_chat" } },
      body: { toId: "demo_bob", chatType: "SINGLE", msgType: "TEXT", content: "" },
    });
  } catch (e) {
    if (e instanceof XuqmError) console.log(e.code, e.message, e.fieldErrors.map((f) => f.field));
  }
}
