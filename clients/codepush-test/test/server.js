// Starts the real server for a test file: the binary (XUQM_BIN, or built here from ./cmd/xuqm)
// on a free loopback port (which is also its public URL, so that download URLs reach it) and a
// fresh database: a new one on the local PostgreSQL when 127.0.0.1:5432 answers, otherwise
// the private cluster the server starts under its data dir.
"use strict";
const { execFileSync, spawn } = require("node:child_process");
const { randomBytes } = require("node:crypto");
const { mkdtempSync, rmSync, existsSync } = require("node:fs");
const net = require("node:net");
const { tmpdir } = require("node:os");
const { join, resolve } = require("node:path");

const repoRoot = resolve(__dirname, "../../..");
let built;

function serverBinary() {
  if (process.env.XUQM_BIN) return resolve(process.env.XUQM_BIN);
  if (!built) {
    built = join(mkdtempSync(join(tmpdir(), "xuqm-bin-")), "xuqm");
    execFileSync("go", ["build", "-o", built, "./cmd/xuqm"], { cwd: repoRoot, stdio: "inherit" });
  }
  return built;
}

function answers(port) {
  return new Promise((ok) => {
    const s = net.connect({ host: "127.0.0.1", port, timeout: 300 });
    s.on("connect", () => (s.destroy(), ok(true)));
    s.on("error", () => ok(false));
    s.on("timeout", () => (s.destroy(), ok(false)));
  });
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function startServer(env = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "xuqm-data-"));
  const database = "xuqm_cp_" + randomBytes(6).toString("hex");
  const local = !process.env.DATABASE_URL && (await answers(5432));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const e = {
    ...process.env,
    XUQM_ADDR: `127.0.0.1:${port}`,
    XUQM_PUBLIC_URL: url,
    XUQM_DATA_DIR: dataDir,
    XUQM_CAPTCHA: "off",
    XUQM_LOG_LEVEL: "info",
    XUQM_PUBLIC_RATE_LIMIT: "0",
    XUQM_JWT_SECRET: randomBytes(24).toString("hex"),
    ...env,
  };
  if (local) e.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${database}?sslmode=disable`;
  const child = spawn(serverBinary(), ["serve"], { env: e, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the server did not start within 90 s:\n" + log)), 90_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (/msg=listening/.test(log)) {
        clearTimeout(timer);
        ok();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`the server exited (${code}) before listening:\n${log}`));
    });
  });
  return {
    url,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once("exit", ok));
        child.kill("SIGTERM");
        let timer;
        await Promise.race([exited, new Promise((ok) => (timer = setTimeout(ok, 20_000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (local) {
        try {
          execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", `DROP DATABASE IF EXISTS ${database}`], { stdio: "ignore" });
        } catch {
          // No psql here: the database stays, named xuqm_cp_… so that it is recognisable.
        }
      }
      if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An operator token (the bootstrap operator), which may manage any app. */
async function opsToken(url) {
  const r = await fetch(url + "/api/auth/ops/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password: process.env.XUQM_ADMIN_PASSWORD || "Admin@123456" }),
  });
  const body = await r.json();
  if (r.status !== 200) throw new Error("ops login: " + JSON.stringify(body));
  return body.data.token;
}

module.exports = { startServer, opsToken };
