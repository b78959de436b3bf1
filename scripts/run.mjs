/**
 * node scripts/run.mjs scripts/NAME.ts [args...]
 *
 * Runs one of the project's TypeScript commands compiled into a single file
 * by esbuild, and keeps that file until one of its sources changes. The dump,
 * load and verify commands start in about 0.2 s this way, where tsx took 0.6 s
 * (compiling and hooking every module on each start): part of what the
 * benchmark measures against pg_dump, which starts at once. Packages stay
 * outside the file, so patch-package's fixes to them still apply.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const [entry, ...args] = process.argv.slice(2);
if (!entry || !entry.endsWith(".ts")) {
  console.error("Usage: node scripts/run.mjs scripts/NAME.ts [args...]");
  process.exit(2);
}
const source = path.resolve(entry);
const cacheDir = path.join(root, "node_modules", ".cache", "liftoff-run");
const name = path.relative(root, source).replace(/[^a-zA-Z0-9]+/g, "_");
const compiled = path.join(cacheDir, `${name}.mjs`);
const sources = path.join(cacheDir, `${name}.sources.json`);

/** The compiled file is current when every source it was built from is as it was. */
function isCurrent() {
  try {
    const recorded = JSON.parse(fs.readFileSync(sources, "utf8"));
    return (
      fs.existsSync(compiled) &&
      Object.entries(recorded).every(
        ([file, mtimeMs]) => fs.statSync(path.join(root, file)).mtimeMs === mtimeMs,
      )
    );
  } catch {
    return false;
  }
}

if (!isCurrent()) {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    tsconfig: path.join(root, "tsconfig.json"),
    write: false,
    metafile: true,
    logLevel: "error",
  });
  const inputs = [...Object.keys(result.metafile.inputs), "tsconfig.json", "package.json"];
  const recorded = Object.fromEntries(
    inputs.map((file) => [file, fs.statSync(path.join(root, file)).mtimeMs]),
  );
  fs.mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed: two commands starting at once never run half a file.
  const suffix = `.${process.pid}.tmp`;
  fs.writeFileSync(compiled + suffix, result.outputFiles[0].contents);
  fs.writeFileSync(sources + suffix, JSON.stringify(recorded));
  fs.renameSync(compiled + suffix, compiled);
  fs.renameSync(sources + suffix, sources);
}

// The command reads its own arguments as if it had been started directly.
process.argv = [process.argv[0], source, ...args];
await import(pathToFileURL(compiled).href);
