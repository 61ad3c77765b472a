// An app's back end logs its users in to IM with the app's secret (never ship it in an app).
import { createXuqm } from "../src/index.ts";

export async function imTokenFor(baseUrl: string, appKey: string, appSecret: string, userId: string): Promise<string> {
  const server = createXuqm({ baseUrl, sign: { secret: appSecret } });
  const { token } = await server.POST("/api/im/auth/login", { params: { query: { appId: appKey, userId } } });
  return token;
}
