// The IM client: live events, sync across reconnects, sends acked by the server.
import { IMClient } from "../src/index.ts";

export function chat(baseUrl: string, token: string, expiresAt: string, renew: () => Promise<{ token: string; expiresAt: string }>): IMClient {
  const im = new IMClient({ url: baseUrl, token: { token, expiresAt }, renewToken: renew });
  im.on("message", (f) => console.log(`${f.data.fromId}: ${f.data.content}`));
  im.on("message.revoked", (f) => console.log(`message ${f.data.id} revoked`));
  im.on("state", (s) => console.log("IM", s));
  im.connect();
  void im.send({ toId: "demo_bob", chatType: "SINGLE", msgType: "TEXT", content: "hello" }).then((m) => console.log("stored as", m.id, m.seq));
  return im;
}
