#!/usr/bin/env node
/**
 * Launcher for the monitor's commands: `node bin/cutover-monitor.mjs checkpoint --phase=...`.
 * Runs the command from a plain-JavaScript build in dist/ (esbuild, node_modules external), so
 * a checkpoint does not pay a TypeScript loader on every import (about 4x the import time of
 * vitest on this machine). The build is refreshed first when any source is newer than it.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const COMMANDS = ["checkpoint", "attest", "report", "silence"]; // as in scripts/build.mjs
const command = process.argv[2];
if (!COMMANDS.includes(command ?? "")) {
  process.stderr.write(`usage: cutover-monitor ${COMMANDS.join("|")} [options]\n`);
  process.exit(2);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const out = path.join(ROOT, "dist", "cli", `${command}.js`);
const isStale = () => !existsSync(out) || newestMtime(path.join(ROOT, "src")) > statSync(out).mtimeMs;
if (isStale()) {
  const { build } = await import("../scripts/build.mjs");
  await build({ ifStale: isStale });
}
process.argv.splice(2, 1);
await import(pathToFileURL(out).href);
