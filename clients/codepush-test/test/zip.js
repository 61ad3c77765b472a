// Zips made as `code-push release` makes them, and the package hash computed from a zip the
// way react-native-code-push checks it after unzipping (CodePushUpdateUtils.verifyFolderHash):
// SHA-256 of JSON.stringify of the sorted "path:sha256" strings of the files, leaving out
// __MACOSX/, .DS_Store and .codepushrelease.
"use strict";
const crypto = require("node:crypto");
const yazl = require("yazl");
const yauzl = require("yauzl");

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

function ignored(path) {
  return path.startsWith("__MACOSX/") || path === ".DS_Store" || path.endsWith("/.DS_Store") ||
    path === ".codepushrelease" || path.endsWith("/.codepushrelease");
}

/** The files of a zip: name → Buffer. */
function unzip(buffer) {
  return new Promise((ok, fail) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err) return fail(err);
      const files = {};
      zip.on("entry", (entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry();
        zip.openReadStream(entry, (err, stream) => {
          if (err) return fail(err);
          const chunks = [];
          stream.on("data", (c) => chunks.push(c));
          stream.on("end", () => ((files[entry.fileName] = Buffer.concat(chunks)), zip.readEntry()));
        });
      });
      zip.on("end", () => ok(files));
      zip.on("error", fail);
      zip.readEntry();
    });
  });
}

function sha256(b) {
  return crypto.createHash("sha256").update(b).digest("hex");
}

async function packageHashOfZip(buffer) {
  const files = await unzip(buffer);
  const manifest = Object.keys(files).filter((n) => !ignored(n)).map((n) => n + ":" + sha256(files[n])).sort();
  return sha256(JSON.stringify(manifest));
}

module.exports = { makeZip, unzip, packageHashOfZip, sha256 };
