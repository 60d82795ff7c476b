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
const COMMANDS = ["checkpoint", "monitor", "attest", "report", "silence", "signoff", "verify", "ui"]; // as in scripts/build.mjs
const command = process.argv[2];
const USAGE = `usage: cutover-monitor ${COMMANDS.join("|")} [options]   (cutover-monitor COMMAND --help for its options)`;
/** --help without a command: what each command is for (each command's own --help lists its options). */
const HELP = `${USAGE}

  checkpoint   run one checkpoint of the 24-hour checklist (--phase=NAME|auto), or a dress rehearsal (--rehearse)
  monitor      the 24-hour watch: samples every 15 s, runs each checkpoint at its time, resumes after a restart
               (--cutover, --speed N with --scenario FILE on the reference pipeline, --watchdog)
  attest       record a line only a person can do (--item ID --by NAME), or --list them
  report       the hourly report site, the 24-hour sign-off bundle and one Allure report per checkpoint (--serve)
  silence      mute an alert rule's notifications for a while (--rule ID --for MINUTES --by NAME --reason TEXT)
  signoff      sign the 24-hour decision as a role (--role engineering|operations|data-quality --by NAME)
  verify       check a sign-off bundle and the history against a public key
  ui           the phase's specs in @vitest/ui against the live target (--phase=NAME)

Through npm: npm run checkpoint|monitor|attest|report|silence|signoff|verify|ui -- [options].

exit codes: the command's own (checkpoint: 0 PASS or WARN, 1 FAIL, 2 could not run, 3 inconclusive;
            monitor: 0 GO, 1 NO-GO or rolled back, 2 could not run, 130/143 stopped by a signal,
            --watchdog 0 alive, 1 monitor down; verify: 0 intact, 1 changed, 2 could not run; the others: 0 done, 2 could not run);
            2 for an unknown command.`;
if (command === "--help" || command === "-h" || command === "help") {
  process.stdout.write(HELP + "\n");
  process.exit(0);
}
if (!COMMANDS.includes(command ?? "")) {
  process.stderr.write(`${command ? `cutover-monitor: unknown command "${command}"\n` : ""}${USAGE}\n`);
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
