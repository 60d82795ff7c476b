/**
 * Builds the monitor's commands (src/cli/*.ts) into plain ESM JavaScript under dist/cli/ with
 * esbuild: our sources bundled, every npm package left external. `npm run build` (also run by
 * npm ci through "prepare"); the launcher bin/cutover-monitor.mjs calls it when a source is
 * newer than the build. The new build is written beside dist/ and swapped in by rename, under
 * a lock, so concurrent commands never see a half-written build.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import lockfile from "proper-lockfile";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist");
export const COMMANDS = ["checkpoint", "monitor", "attest", "report", "silence", "signoff", "verify", "ui"];

export async function build({ ifStale } = {}) {
  mkdirSync(ROOT, { recursive: true });
  const release = await lockfile.lock(ROOT, { lockfilePath: path.join(ROOT, ".build.lock"), realpath: false, stale: 60_000, retries: { retries: 300, minTimeout: 50, maxTimeout: 200 } });
  try {
    if (ifStale && !ifStale()) return; // another process built it while we waited
    const next = `${DIST}.next-${process.pid}`;
    rmSync(next, { recursive: true, force: true });
    await esbuild.build({
      absWorkingDir: ROOT,
      // + the output channels' scan worker (src/probes/outputs/scan.ts loads it from beside the commands)
      entryPoints: [...COMMANDS.map((c) => ({ in: `src/cli/${c}.ts`, out: c })), { in: "src/probes/outputs/scan-worker.ts", out: "scan-worker" }],
      outdir: path.join(next, "cli"),
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "warning",
    });
    const old = `${DIST}.old-${process.pid}`;
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(next, DIST);
    rmSync(old, { recursive: true, force: true });
  } finally {
    await release();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await build();
}
