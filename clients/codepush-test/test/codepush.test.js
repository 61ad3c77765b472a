// react-native-code-push's own acquisition SDK (the `code-push` package's
// script/acquisition-sdk, pinned in package-lock.json) against the real server: update checks,
// the download and its package hash, deploy and download reports, mandatory releases, a binary
// too old, a 30% rollout over 1,000 clients and a disabled release.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { AcquisitionManager, AcquisitionStatus } = require("code-push/script/acquisition-sdk");
const { startServer, opsToken } = require("./server");
const crypto = require("node:crypto");
const { makeZip, unzip, packageHashOfZip, sha256 } = require("./zip");

const appKey = "ak_demo_chat";
const moduleId = "codepush-e2e";
let server, token, deployment, version = 0;

/** The SDK's http requester, as react-native-code-push's request-fetch-adapter sends it. */
const requester = {
  request(verb, url, body, callback) {
    if (typeof body === "function") (callback = body), (body = undefined);
    const method = ["GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"][verb];
    fetch(url, { method, body, headers: { Accept: "application/json", "Content-Type": "application/json" } })
      .then(async (r) => callback(null, { statusCode: r.status, body: await r.text() }))
      .catch((e) => callback(e));
  },
};

function sdk(clientUniqueId, appVersion = "1.0.0") {
  return new AcquisitionManager(requester, { serverUrl: server.url, deploymentKey: deployment.key, appVersion, clientUniqueId });
}

function query(manager, current) {
  return new Promise((ok, fail) => manager.queryUpdateWithCurrentPackage(current, (err, pkg) => (err ? fail(err) : ok(pkg))));
}

function call(fn) {
  return new Promise((ok, fail) => fn((err) => (err ? fail(err) : ok())));
}

async function admin(method, path, body) {
  const r = await fetch(server.url + path, {
    method,
    headers: { Authorization: "Bearer " + token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const env = await r.json();
  assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(env)}`);
  return env.data;
}

/** Uploads a zipped bundle into Staging; returns the release and the zip. */
async function release(fields, content) {
  const zip = await makeZip({ "CodePush/index.android.bundle": content, "CodePush/assets/logo.png": "png " + content, "CodePush/.DS_Store": "x" });
  const form = new FormData();
  const all = { appId: appKey, platform: "ANDROID", moduleId, version: `1.0.${version++}`, deployment: "Staging", targetBinaryRange: "^1.0.0", ...fields };
  for (const [k, v] of Object.entries(all)) form.append(k, String(v));
  form.append("file", new Blob([zip]), "bundle.zip");
  const r = await fetch(server.url + "/api/v1/rn/upload", { method: "POST", headers: { Authorization: "Bearer " + token }, body: form });
  const env = await r.json();
  assert.equal(r.status, 200, "upload: " + JSON.stringify(env));
  return { release: env.data.release, zip };
}

// CodePush's rollout selector, as its server has it (rollout-selector.ts).
function selectedForRollout(clientId, rollout, label) {
  const s = clientId + "-" + label;
  let hash = 0;
  for (let i = 0; i < s.length; i++) {
    hash = (hash << 5) - hash + s.charCodeAt(i);
    hash |= 0;
  }
  return Math.abs(hash) % 100 < rollout;
}

before(async () => {
  server = await startServer();
  token = await opsToken(server.url);
  const made = await admin("POST", `/api/v1/rn/deployments?appId=${appKey}`, { platform: "ANDROID", moduleId });
  deployment = made.find((d) => d.name === "Staging");
  assert.ok(deployment && deployment.key, "Staging with its key: " + JSON.stringify(made));
});

after(async () => {
  if (server) await server.stop();
});

test("check, download, reports, mandatory, binary too old", async (t) => {
  try {
    const binary = { appVersion: "1.0.0" };
    assert.equal(await query(sdk("client-a"), binary), null, "nothing released yet");

    const v1 = await release({ description: "first" }, "one");
    const pkg = await query(sdk("client-a"), binary);
    assert.equal(pkg.label, "v1");
    assert.equal(pkg.description, "first");
    assert.equal(pkg.isMandatory, false);
    assert.equal(pkg.appVersion, "^1.0.0");
    assert.equal(pkg.packageHash, v1.release.packageHash);

    // The download, checked as the client checks it.
    const r = await fetch(pkg.downloadUrl);
    assert.equal(r.status, 200);
    const bytes = Buffer.from(await r.arrayBuffer());
    assert.equal(sha256(bytes), sha256(v1.zip));
    assert.equal(bytes.length, pkg.packageSize);
    assert.equal(await packageHashOfZip(bytes), pkg.packageHash, "the package hash of the downloaded zip");

    const m = sdk("client-a");
    await call((cb) => m.reportStatusDownload(pkg, cb));
    await call((cb) => m.reportStatusDeploy(pkg, AcquisitionStatus.DeploymentSucceeded, "1.0.0", null, cb));
    await call((cb) => m.reportStatusDeploy(null, null, null, null, cb)); // the binary's own bundle
    const running = { appVersion: "1.0.0", label: pkg.label, packageHash: pkg.packageHash };
    assert.equal(await query(m, running), null, "v1 runs v1");

    // A second release in range, then a third marked mandatory.
    await release({}, "two");
    const second = await query(m, running);
    assert.equal(second.label, "v2");
    assert.equal(second.isMandatory, false);
    await release({ mandatory: true }, "three");
    const third = await query(m, running);
    assert.equal(third.label, "v3");
    assert.equal(third.isMandatory, true);
    const fromSecond = await query(m, { appVersion: "1.0.0", label: "v2", packageHash: second.packageHash });
    assert.equal(fromSecond.label, "v3");
    assert.equal(fromSecond.isMandatory, true);

    // A binary too old for every release.
    const old = await query(sdk("client-a", "0.9.0"), { appVersion: "0.9.0" });
    assert.deepEqual(old, { updateAppVersion: true, appVersion: "^1.0.0" });

    const list = await admin("GET", `/api/v1/rn/deployments/${deployment.id}/releases`);
    const first = list.content.find((x) => x.label === "v1");
    assert.equal(first.downloads, 1);
    assert.equal(first.installs, 1);
    assert.equal(first.successes, 1);
  } catch (e) {
    t.diagnostic(server.log().slice(-4000));
    throw e;
  }
});

test("a 30% rollout over 1,000 clients, stable; a disabled release never offered", async (t) => {
  try {
    const v3 = (await admin("GET", `/api/v1/rn/deployments/${deployment.id}/releases`)).content.find((x) => x.label === "v3");
    const current = { appVersion: "1.0.0", label: "v3", packageHash: v3.packageHash };
    const v4 = await release({ rolloutPercent: 30 }, "four");
    assert.equal(v4.release.label, "v4");
    const clients = Array.from({ length: 1000 }, (_, i) => `device-${i}-${(i * 7919) % 1000}`);
    const offered = async () => {
      const got = new Set();
      for (const id of clients) {
        const pkg = await query(sdk(id), current);
        if (pkg) {
          assert.equal(pkg.label, "v4");
          got.add(id);
        }
      }
      return got;
    };
    const first = await offered();
    assert.ok(first.size >= 250 && first.size <= 350, `30% rollout offered to ${first.size} of 1000`);
    const again = await offered();
    assert.deepEqual([...again].sort(), [...first].sort(), "the same clients each time");
    assert.deepEqual([...first].sort(), clients.filter((id) => selectedForRollout(id, 30, "v4")).sort(), "CodePush's own selector");

    // A disabled release is offered to no one: the rollout's clients still get v4, the others nothing.
    await release({ disabled: true }, "five");
    for (const id of clients) {
      const pkg = await query(sdk(id), current);
      assert.ok(pkg === null || pkg.label === "v4", `client ${id} was offered ${pkg && pkg.label}`);
    }
  } catch (e) {
    t.diagnostic(server.log().slice(-4000));
    throw e;
  }
});

// Server-managed signing: with the app's key, a release's zip carries CodePush/.codepushrelease,
// the JWT react-native-code-push verifies with CodePushPublicKey (the public key downloaded
// here) and whose contentHash it compares with the package hash it computes after unzipping.
test("a signed release: .codepushrelease verifies with the downloadable public key", async (t) => {
  try {
    await admin("POST", `/api/v1/rn/signing-key?appId=${appKey}`, {});
    const r0 = await fetch(`${server.url}/api/v1/rn/signing-key/certificate?appId=${appKey}&format=public-key`, { headers: { Authorization: "Bearer " + token } });
    assert.equal(r0.status, 200);
    const publicKey = crypto.createPublicKey(await r0.text());

    const signed = await release({ description: "signed" }, "six");
    assert.equal(signed.release.signed, true);
    const pkg = await query(sdk("client-signed"), { appVersion: "1.0.0" });
    assert.equal(pkg.label, signed.release.label);
    const bytes = Buffer.from(await (await fetch(pkg.downloadUrl)).arrayBuffer());
    assert.equal(await packageHashOfZip(bytes), pkg.packageHash, "the signature leaves the package hash as it was");
    assert.equal(pkg.packageHash, await packageHashOfZip(signed.zip));

    const jwt = (await unzip(bytes))["CodePush/.codepushrelease"];
    assert.ok(jwt, "the zip has CodePush/.codepushrelease");
    const [header, claims, sig] = jwt.toString().split(".");
    assert.equal(JSON.parse(Buffer.from(header, "base64url")).alg, "RS256");
    assert.ok(crypto.verify("sha256", Buffer.from(header + "." + claims), publicKey, Buffer.from(sig, "base64url")), "RS256 signature");
    const c = JSON.parse(Buffer.from(claims, "base64url"));
    assert.equal(c.claimVersion, "1.0.0");
    assert.equal(c.contentHash, pkg.packageHash);
    assert.equal(typeof c.iat, "number");
  } catch (e) {
    t.diagnostic(server.log().slice(-4000));
    throw e;
  }
});
