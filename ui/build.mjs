// Builds the darkfleet analyst UI into the Python package (src/darkfleet/web/static/).
//
//   node build.mjs              write the bundle into ../src/darkfleet/web/static/
//   node build.mjs --out DIR    write it into DIR instead (the drift test compares the two)
//
// The bundle is committed, so `pip install darkfleet` needs no node. To keep the committed bundle
// and the sources from drifting, the build records a SHA-256 of its inputs (this file,
// package.json, package-lock.json and every file under src/) in the banner of app.js and in
// build-manifest.json, together with the SHA-256 of each output file; tests/web/test_ui_bundle.py
// recomputes both. The hash is over sorted relative paths and raw bytes:
//   sha256( for each file: path + "\0" + bytes + "\0" )
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const UI = dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = resolve(UI, "..", "src", "darkfleet", "web", "static");
const INPUTS = ["build.mjs", "package.json", "package-lock.json"];
const WORKER = "maplibre-gl-worker.mjs";

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

export function sourcesHash() {
  const files = [...INPUTS, ...listFiles(join(UI, "src")).map((p) => relative(UI, p).split(sep).join("/"))];
  files.sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file);
    hash.update("\0");
    hash.update(readFileSync(join(UI, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

function sha256(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

async function build(outDir) {
  const digest = sourcesHash();
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    absWorkingDir: UI,
    entryPoints: { app: "src/main.js" },
    bundle: true,
    format: "esm",
    minify: true,
    target: ["es2022"],
    outdir: outDir,
    legalComments: "eof",
    logLevel: "warning",
    banner: {
      js: `/* darkfleet-ui sources-sha256=${digest} -- built by ui/build.mjs, do not edit */`,
      css: `/* darkfleet-ui sources-sha256=${digest} -- built by ui/build.mjs, do not edit */`,
    },
  });
  copyFileSync(join(UI, "src", "index.html"), join(outDir, "index.html"));
  // MapLibre 6 runs its tile work in a module worker that it loads from next to the bundle
  // (new URL("./maplibre-gl-worker.mjs", import.meta.url)): ship it beside app.js.
  copyFileSync(join(UI, "node_modules", "maplibre-gl", "dist", WORKER), join(outDir, WORKER));
  const outputs = {};
  for (const name of ["app.css", "app.js", "index.html", WORKER]) {
    outputs[name] = sha256(join(outDir, name));
  }
  const manifest = { "sources-sha256": digest, outputs };
  writeFileSync(join(outDir, "build-manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : DEFAULT_OUT;
const manifest = await build(outDir);
for (const [name, digest] of Object.entries(manifest.outputs)) {
  const kib = (statSync(join(outDir, name)).size / 1024).toFixed(0);
  console.log(`${name.padEnd(24)} ${kib.padStart(6)} KiB  ${digest.slice(0, 12)}`);
}
console.log(`sources-sha256 ${manifest["sources-sha256"]} -> ${outDir}`);
