/**
 * node scripts/run.mjs scripts/NAME.ts [args...]
 *
 * Runs one of the project's TypeScript commands compiled into a single file
 * by esbuild, and keeps that file until one of its sources changes. The dump,
 * load and verify commands start in about 0.25 s this way, where tsx took
 * 0.6 s (compiling and hooking every module on each start): part of what the
 * benchmark measures against pg_dump, which starts at once. Packages go into
 * the file too (resolving and compiling drizzle's and zod's hundreds of
 * modules one by one took 80 ms more); being read from node_modules, they
 * carry patch-package's fixes, and a changed package file is a changed source.
 * PGlite stays outside: it finds its WebAssembly beside its own modules, and
 * it and its drizzle driver load only when a command opens an embedded
 * database (bundled, the driver's import of PGlite would load it always).
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
    external: ["@electric-sql/pglite", "@electric-sql/pglite/*", "drizzle-orm/pglite"],
    tsconfig: path.join(root, "tsconfig.json"),
    // CommonJS packages bundled into an ES module (pino, the AWS SDK) require
    // Node's own modules at run time: give them a real `require`.
    banner: {
      js: 'import { createRequire as __liftoffCreateRequire } from "node:module"; const require = __liftoffCreateRequire(import.meta.url);',
    },
    tsconfig: path.join(root, "tsconfig.json"),
    write: false,
    metafile: true,
    logLevel: "error",
  });
  const inputs = [
    ...Object.keys(result.metafile.inputs),
    "tsconfig.json",
    "package.json",
    path.relative(root, import.meta.filename),
  ];
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
