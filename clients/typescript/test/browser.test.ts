// The demo chat and the docs page in a real browser: Debian's chromium driven by
// playwright-core. Two contexts sign in as demo_alice and demo_bob and talk live both ways;
// one reloads and still sees the history; an image shows its thumbnail; edits, revokes and
// "N read" reach the other side; /docs lists the operations with every outside request
// refused (the page is offline). On failure each page's screenshot goes to test-artifacts/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { after, before, test, type TestContext } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startServer, type TestServer } from "./server.ts";

const artifacts = join(import.meta.dirname ?? ".", "../test-artifacts");

function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
}

let server: TestServer;
let browser: Browser;
const pages = new Map<string, Page>();

before(async () => {
  const executablePath = chromiumPath();
  assert.ok(executablePath, "chromium is not installed (apt-get install -y chromium; .ci/run does it)");
  server = await startServer();
  // launch() gives every run a fresh temporary profile (its own --user-data-dir).
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function screenshotsOnFailure(t: TestContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    mkdirSync(artifacts, { recursive: true });
    const name = t.name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").slice(0, 60);
    for (const [who, page] of pages) {
      await page.screenshot({ path: join(artifacts, `${name}-${who}.png`), timeout: 10_000 }).catch(() => {});
    }
    console.error(`screenshots in ${artifacts}; server log tail:\n${server.log().slice(-3000)}`);
    throw e;
  }
}

async function newPage(who: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(45_000); // the machine may be busy: generous, never a speed check
  // Nothing leaves the machine: a request elsewhere fails, so the pages must not need one.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  page.on("pageerror", (e) => console.error(`${who} page error:`, e));
  pages.set(who, page);
  return page;
}

async function signIn(page: Page, user: string): Promise<void> {
  await page.goto(server.url + "/demo");
  await page.click(`[data-user="${user}"]`);
  await page.waitForSelector("#chat:not([hidden])");
  await page.waitForFunction(() => document.getElementById("state")?.textContent === "open");
}

const conversation = (page: Page, target: string) => page.locator(`#conversations li[data-target="${target}"]`);
const message = (page: Page, text: string) => page.locator("#messages li .body", { hasText: text });

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
  await message(page, text).waitFor();
}

// A small PNG, made here so that the test needs no fixture.
function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 4) & 255, (y * 5) & 255, 128], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("demo_alice and demo_bob chat live both ways, with history after a reload, an image, an edit and a revoke", async (t) => {
  await screenshotsOnFailure(t, async () => {
    const alice = await newPage("alice");
    const bob = await newPage("bob");
    await signIn(alice, "demo_alice");
    await signIn(bob, "demo_bob");

    await alice.click('[data-new-chat="demo_bob"]');
    await send(alice, "hello bob, from alice");
    // bob sees the conversation appear with one unread message, live.
    await conversation(bob, "demo_alice").locator(".unread", { hasText: "1" }).waitFor();
    await conversation(bob, "demo_alice").click();
    await message(bob, "hello bob, from alice").waitFor();
    await send(bob, "hi alice, bob here");
    await message(alice, "hi alice, bob here").waitFor();

    // bob reloads: still signed in, and the history is there.
    await bob.reload();
    await bob.waitForFunction(() => document.getElementById("state")?.textContent === "open");
    await conversation(bob, "demo_alice").click();
    await message(bob, "hello bob, from alice").waitFor();
    await message(bob, "hi alice, bob here").waitFor();

    // An image: uploaded, sent, and shown as a thumbnail on both sides.
    await alice.setInputFiles("#image", { name: "gradient.png", mimeType: "image/png", buffer: png(64, 48) });
    for (const page of [alice, bob]) {
      const img = page.locator('#messages li[data-msg-type="IMAGE"] img.thumb').last();
      await img.waitFor();
      await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
    }

    // alice edits her first message and revokes her reply; bob sees both live.
    alice.once("dialog", (d) => void d.accept("hello bob, edited by alice"));
    await alice.locator("#messages li", { hasText: "hello bob, from alice" }).getByRole("button", { name: "Edit" }).click();
    await message(bob, "hello bob, edited by alice").waitFor();
    await send(alice, "this one goes away");
    await message(bob, "this one goes away").waitFor();
    await alice.locator("#messages li", { hasText: "this one goes away" }).getByRole("button", { name: "Revoke" }).click();
    await bob.locator("#messages li .body.revoked").waitFor();
    assert.equal(await message(bob, "this one goes away").count(), 0);
  });
});

test("a group message shows \"N read\" to its sender as members read it", async (t) => {
  await screenshotsOnFailure(t, async () => {
    const alice = pages.get("alice")!;
    const bob = pages.get("bob")!;
    await alice.click("#new-group");
    await alice.locator("#title", { hasText: "demo_alice's group" }).waitFor();
    await send(alice, "hello group");
    const count = alice.locator("#messages li.mine", { hasText: "hello group" }).locator(".read-count");
    await count.filter({ hasText: "0 read" }).waitFor();
    await bob.locator("#conversations li", { hasText: "demo_alice's group" }).click();
    await message(bob, "hello group").waitFor();
    await count.filter({ hasText: "1 read" }).waitFor();
  });
});

test("/docs renders the operations list offline, and the WebSocket frames beside it", async (t) => {
  await screenshotsOnFailure(t, async () => {
    const page = await newPage("docs");
    await page.goto(server.url + "/docs");
    // Redoc's menu lists every operation (under its tag); the sections follow in the page.
    await page.locator('[data-item-id$="operation/sendMessage" i]').first().waitFor({ state: "attached", timeout: 120_000 });
    const operations = await page.locator('[data-item-id*="operation/"]').count();
    assert.ok(operations > 50, `only ${operations} operations rendered`);
    await page.click("text=WebSocket frames (AsyncAPI)");
    await page.locator("#frame-synced").waitFor();
    assert.ok((await page.locator(".frame").count()) > 15);
  });
});
