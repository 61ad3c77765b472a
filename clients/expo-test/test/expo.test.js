// The server as expo-updates sees it (the Expo Updates protocol 1): manifest requests with the
// headers the client sends, answers parsed with Expo's own multipart parser
// (@expo/multipart-body-parser) and structured-headers, the manifest checked against the
// protocol's fields, expo-signature verified with the certificate the server gives out, the
// assets downloaded and checked against their hashes, the noUpdateAvailable and
// rollBackToEmbedded directives, and a release halted by the failures clients report.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { parseMultipartMixedResponseAsync, isMultipartPartWithName } = require("@expo/multipart-body-parser");
const { parseDictionary, serializeDictionary, serializeList } = require("structured-headers");
const yazl = require("yazl");
// The server helper of the CodePush test (plain Node, no packages): the same binary and database setup.
const { startServer, opsToken } = require("../../codepush-test/test/server");

const appKey = "ak_demo_chat";
const moduleId = "expo-e2e";
const embeddedUpdateId = crypto.randomUUID();
let server, token, staging, certificate;

function makeZip(files) {
  return new Promise((ok, fail) => {
    const zip = new yazl.ZipFile();
    for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name);
    zip.end();
    const chunks = [];
    zip.outputStream.on("data", (c) => chunks.push(c));
    zip.outputStream.on("end", () => ok(Buffer.concat(chunks)));
    zip.outputStream.on("error", fail);
  });
}

const md5 = (b) => crypto.createHash("md5").update(b).digest("hex");
const b64urlSha256 = (b) => crypto.createHash("sha256").update(b).digest("base64url");

/** The zip of what `npx expo export --platform android` writes into dist/. */
function expoExport(bundle, png) {
  const asset = "assets/" + md5(png);
  const metadata = {
    version: 0,
    bundler: "metro",
    fileMetadata: { android: { bundle: "_expo/static/js/android/index-0123.hbc", assets: [{ path: asset, ext: "png" }] } },
  };
  return makeZip({
    "dist/metadata.json": JSON.stringify(metadata),
    "dist/_expo/static/js/android/index-0123.hbc": bundle,
    ["dist/" + asset]: png,
    "dist/expoConfig.json": JSON.stringify({ name: "Expo e2e", slug: "expo-e2e", runtimeVersion: "1.0.0" }),
  });
}

async function admin(method, path, body) {
  const r = await fetch(server.url + path, {
    method,
    headers: { Authorization: "Bearer " + token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${method} ${path}: ${text}`);
  return r.headers.get("content-type").startsWith("application/json") ? JSON.parse(text).data : text;
}

let version = 0;
async function release(zip, fields = {}) {
  const form = new FormData();
  const all = { appId: appKey, platform: "ANDROID", moduleId, version: `2.0.${version++}`, deployment: "Staging", runtimeVersion: "1.0.0", ...fields };
  for (const [k, v] of Object.entries(all)) form.append(k, String(v));
  form.append("file", new Blob([zip]), "dist.zip");
  const r = await fetch(server.url + "/api/v1/rn/upload", { method: "POST", headers: { Authorization: "Bearer " + token }, body: form });
  const env = await r.json();
  assert.equal(r.status, 200, "upload: " + JSON.stringify(env));
  return env.data.release;
}

/** A manifest request with the headers expo-updates sends (UpdatesConfiguration, FileDownloader). */
async function manifestRequest(extra = {}) {
  const headers = {
    accept: "application/expo+json;q=0.9, application/json;q=0.8, multipart/mixed",
    "expo-protocol-version": "1",
    "expo-platform": "android",
    "expo-runtime-version": "1.0.0",
    "expo-channel-name": "Staging",
    "expo-embedded-update-id": embeddedUpdateId,
    "expo-current-update-id": embeddedUpdateId,
    "expo-expect-signature": serializeDictionary({ sig: true, keyid: "main", alg: "rsa-v1_5-sha256" }),
    "eas-client-id": "install-1",
    ...extra,
  };
  for (const k of Object.keys(headers)) if (headers[k] === undefined) delete headers[k];
  const r = await fetch(`${server.url}/api/v1/expo/${appKey}/manifest?moduleId=${moduleId}`, { headers });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get("expo-protocol-version"), "1");
  assert.equal(r.headers.get("expo-sfv-version"), "0");
  assert.equal(r.headers.get("cache-control"), "private, max-age=0");
  // Both are Expo SFV dictionaries the client stores.
  const filters = parseDictionary(r.headers.get("expo-manifest-filters"));
  assert.equal(filters.get("deployment")[0], "Staging");
  assert.equal(parseDictionary(r.headers.get("expo-server-defined-headers") || "").size, 0);
  const parts = await parseMultipartMixedResponseAsync(r.headers.get("content-type"), Buffer.from(await r.arrayBuffer()));
  return parts;
}

/** Verifies a part's expo-signature as expo-updates does, with the downloaded certificate. */
function verifySignature(part) {
  const header = part.headers.get("expo-signature");
  assert.ok(header, `part ${part.name} is not signed`);
  const sig = parseDictionary(header);
  assert.equal(sig.get("keyid")[0], "main");
  assert.equal(sig.get("alg")[0], "rsa-v1_5-sha256");
  const ok = crypto.verify("sha256", Buffer.from(part.body, "utf8"), certificate.publicKey, Buffer.from(sig.get("sig")[0], "base64"));
  assert.ok(ok, `the ${part.name} signature does not verify with the certificate`);
}

function checkAsset(asset, launch) {
  assert.match(asset.hash, /^[A-Za-z0-9_-]{43}$/, "hash is base64url SHA-256");
  assert.equal(typeof asset.key, "string");
  assert.equal(typeof asset.contentType, "string");
  assert.ok(new URL(asset.url));
  if (launch) assert.equal(asset.fileExtension, undefined, "the launch asset has no fileExtension");
  else assert.match(asset.fileExtension, /^\.[a-z0-9]+$/);
}

before(async () => {
  server = await startServer();
  token = await opsToken(server.url);
  const made = await admin("POST", `/api/v1/rn/deployments?appId=${appKey}`, { platform: "ANDROID", moduleId });
  staging = made.find((d) => d.name === "Staging");
  await admin("POST", `/api/v1/rn/signing-key?appId=${appKey}`, {});
  // What the app embeds as updates.codeSigningCertificate.
  const pem = await admin("GET", `/api/v1/rn/signing-key/certificate?appId=${appKey}`);
  certificate = new crypto.X509Certificate(pem);
});

after(async () => {
  if (server) await server.stop();
});

test("the certificate is one expo-updates takes: self-signed, for code signing, valid now", () => {
  // As expo-updates' CertificateChain checks a root: issuer is subject, signed by its own key.
  assert.equal(certificate.issuer, certificate.subject);
  assert.ok(certificate.verify(certificate.publicKey), "self-signed");
  assert.ok(certificate.keyUsage.includes("1.3.6.1.5.5.7.3.3"), "extended key usage codeSigning: " + certificate.keyUsage);
  const now = Date.now();
  assert.ok(new Date(certificate.validFrom).getTime() <= now && now < new Date(certificate.validTo).getTime());
});

test("an update: signed manifest with the protocol's fields, assets that match their hashes", async () => {
  const bundle = "var __BUNDLE_START_TIME__=this.nativePerformanceNow?nativePerformanceNow():Date.now();";
  const png = Buffer.from("\x89PNG\r\n\x1a\n expo e2e", "latin1");
  const rel = await release(await expoExport(bundle, png));
  const parts = await manifestRequest();
  const manifestPart = parts.find((p) => isMultipartPartWithName(p, "manifest"));
  const extensionsPart = parts.find((p) => isMultipartPartWithName(p, "extensions"));
  assert.ok(manifestPart && extensionsPart, "manifest and extensions parts: " + parts.map((p) => p.name));
  assert.ok(!parts.some((p) => isMultipartPartWithName(p, "directive")));
  assert.match(String(manifestPart.headers.get("content-type")), /^application\/(expo\+)?json/);
  verifySignature(manifestPart);

  const m = JSON.parse(manifestPart.body);
  assert.match(m.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(m.id, rel.expoUpdateId);
  assert.ok(!Number.isNaN(Date.parse(m.createdAt)), "createdAt is ISO 8601");
  assert.equal(m.runtimeVersion, "1.0.0");
  checkAsset(m.launchAsset, true);
  assert.equal(m.launchAsset.contentType, "application/javascript");
  assert.equal(m.assets.length, 1);
  checkAsset(m.assets[0], false);
  assert.equal(m.assets[0].key, md5(png), "assets are keyed as expo export names them");
  assert.equal(m.assets[0].fileExtension, ".png");
  for (const v of Object.values(m.metadata)) assert.equal(typeof v, "string");
  assert.equal(m.extra.expoClient.slug, "expo-e2e");
  assert.deepEqual(JSON.parse(extensionsPart.body), { assetRequestHeaders: {} });

  // The client downloads every asset and checks it against the manifest's hash.
  for (const a of [m.launchAsset, ...m.assets]) {
    const r = await fetch(a.url, { headers: { accept: `${a.contentType}, */*`, "accept-encoding": "br, gzip" } });
    assert.equal(r.status, 200);
    const body = Buffer.from(await r.arrayBuffer());
    assert.equal(b64urlSha256(body), a.hash, `asset ${a.key} matches its hash`);
    assert.equal(r.headers.get("content-type"), a.contentType);
    assert.match(r.headers.get("cache-control"), /immutable/);
  }
  assert.equal(b64urlSha256(Buffer.from(bundle)), m.launchAsset.hash);
});

test("noUpdateAvailable when the client runs the newest update, signed", async () => {
  const parts = await manifestRequest();
  const id = JSON.parse(parts.find((p) => p.name === "manifest").body).id;
  const again = await manifestRequest({ "expo-current-update-id": id });
  const directive = again.find((p) => isMultipartPartWithName(p, "directive"));
  assert.ok(directive && !again.some((p) => p.name === "manifest"), "only a directive: " + again.map((p) => p.name));
  assert.deepEqual(JSON.parse(directive.body), { type: "noUpdateAvailable" });
  verifySignature(directive);
});

test("rollBackToEmbedded when the update the client runs was disabled", async () => {
  const rel = await release(await expoExport("var rolledBack = true;", "png 2"));
  const parts = await manifestRequest();
  assert.equal(JSON.parse(parts.find((p) => p.name === "manifest").body).id, rel.expoUpdateId);
  await admin("PATCH", `/api/v1/rn/releases/${rel.id}`, { disabled: true });
  const back = await manifestRequest({ "expo-current-update-id": rel.expoUpdateId });
  const directive = back.find((p) => isMultipartPartWithName(p, "directive"));
  assert.ok(directive, "a directive: " + back.map((p) => p.name));
  const d = JSON.parse(directive.body);
  assert.equal(d.type, "rollBackToEmbedded");
  assert.ok(!Number.isNaN(Date.parse(d.parameters.commitTime)), "commitTime");
  verifySignature(directive);
  // Back on the embedded update, the client is offered the newest release still live.
  const after = await manifestRequest();
  assert.notEqual(JSON.parse(after.find((p) => p.name === "manifest").body).id, rel.expoUpdateId);
});

test("failures the clients report in expo-recent-failed-update-ids halt the release", async () => {
  await admin("PUT", `/api/v1/rn/halt-policy?appId=${appKey}`, { enabled: true, minReports: 3, maxFailurePercent: 50 });
  const rel = await release(await expoExport("throw new Error('crash at launch');", "png 3"));
  const failed = serializeList([[rel.expoUpdateId, new Map()]]);
  const state = async () => (await admin("GET", `/api/v1/rn/deployments/${staging.id}/releases`)).content.find((r) => r.id === rel.id);
  // One install runs it; two could not launch it and say so on their next request (twice each).
  await manifestRequest({ "eas-client-id": "runs-it", "expo-current-update-id": rel.expoUpdateId });
  for (const client of ["crashed-1", "crashed-1", "crashed-2"]) {
    await manifestRequest({ "eas-client-id": client, "expo-recent-failed-update-ids": failed });
  }
  const r = await state();
  assert.equal(r.installs, 3);
  assert.equal(r.failures, 2);
  assert.equal(r.disabled, true, "2 failures of 3 installs passed 50%: halted");
  assert.ok(r.haltedAt);
  // The install still running it is sent back to its embedded update.
  const parts = await manifestRequest({ "eas-client-id": "runs-it", "expo-current-update-id": rel.expoUpdateId });
  assert.equal(JSON.parse(parts.find((p) => p.name === "directive").body).type, "rollBackToEmbedded");
});
