// Starts the real server for a test file: the binary (XUQM_BIN, or built here from ./cmd/xuqm)
// on a free loopback port and a fresh database: a new one on the local PostgreSQL when
// 127.0.0.1:5432 answers, otherwise the private cluster the server starts under its data dir.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { createXuqm, type WebSocketConstructor } from "../src/index.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const demoApp = { appKey: "ak_demo_chat", secret: "demo-app-secret-change-me", password: "Demo@123456" };
/** The `ws` package's WebSocket as the IM client's option. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

let built: string | undefined;

/** The server binary: XUQM_BIN, or one built once per test process. */
export function serverBinary(): string {
  if (process.env.XUQM_BIN) return resolve(process.env.XUQM_BIN);
  if (!built) {
    built = join(mkdtempSync(join(tmpdir(), "xuqm-bin-")), "xuqm");
    execFileSync("go", ["build", "-o", built, "./cmd/xuqm"], { cwd: repoRoot, stdio: "inherit" });
  }
  return built;
}

function answers(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host: "127.0.0.1", port, timeout: 300 });
    s.on("connect", () => (s.destroy(), ok(true)));
    s.on("error", () => ok(false));
    s.on("timeout", () => (s.destroy(), ok(false)));
  });
}

export interface TestServer {
  url: string;
  log: () => string;
  stop: () => Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "xuqm-data-"));
  const database = "xuqm_ts_" + randomBytes(6).toString("hex");
  const local = !process.env.DATABASE_URL && (await answers(5432));
  const e: Record<string, string> = {
    ...(process.env as Record<string, string>),
    XUQM_ADDR: "127.0.0.1:0",
    XUQM_DATA_DIR: dataDir,
    XUQM_CAPTCHA: "off",
    XUQM_LOG_LEVEL: "info",
    XUQM_PUBLIC_RATE_LIMIT: "0",
    XUQM_METRICS_ADDR: "127.0.0.1:0",
    XUQM_JWT_SECRET: randomBytes(24).toString("hex"),
    ...env,
  };
  if (local) e.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${database}?sslmode=disable`;
  const child: ChildProcess = spawn(serverBinary(), ["serve"], { env: e, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the server did not start within 90 s:\n" + log)), 90_000);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      log += chunk;
      const m = /msg=listening addr=(\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        ok("http://" + m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`the server exited (${code}) before listening:\n${log}`));
    });
  });
  // The log is kept for failures; tests print it through log().
  return {
    url,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once("exit", ok));
        child.kill("SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([exited, new Promise((ok) => (timer = setTimeout(ok, 20_000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (local) {
        try {
          execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", `DROP DATABASE IF EXISTS ${database}`], { stdio: "ignore" });
        } catch {
          // No psql here: the database stays, named xuqm_ts_… so that it is recognisable.
        }
      }
      if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An IM token for userId of the demo app, as the app's back end gets one (signed login). */
export async function imLogin(baseUrl: string, userId: string): Promise<{ token: string; expiresAt: string }> {
  const server = createXuqm({ baseUrl, sign: { secret: demoApp.secret } });
  return server.POST("/api/im/auth/login", { params: { query: { appId: demoApp.appKey, userId } } });
}

/** Resolves when check() holds, polling; fails after timeoutMs with what() in the message. */
export async function eventually(check: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting: " + what());
    await new Promise((ok) => setTimeout(ok, 20));
  }
}
