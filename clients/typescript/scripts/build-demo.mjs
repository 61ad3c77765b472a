// Bundles the demo chat into internal/httpapi/web/demo, the folder the binary embeds, so that
// `make run` serves /demo without Node. The output is committed; make check-generated rebuilds it.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../../../internal/httpapi/web/demo");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "../demo/main.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
for (const f of ["index.html", "style.css"]) copyFileSync(join(here, "../demo", f), join(out, f));
