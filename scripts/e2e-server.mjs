// The server the end-to-end tests drive: the real `npm start`, on a fresh
// embedded database so that the first-admin set-up is part of the run.
import fs from "node:fs";
import path from "node:path";

const dataDir = path.resolve(process.env.LIFTOFF_DATA_DIR || ".data-e2e");
if (!dataDir.includes(".data-e2e")) throw new Error(`refusing to wipe ${dataDir}`);
fs.rmSync(dataDir, { recursive: true, force: true });
await import("./start.mjs");
