/**
 * Every command the README shows answers --help with its options, their values and its exit
 * codes, on stdout, exit 0, doing nothing else; an unknown option is a usage error (exit 2) whose
 * first line names it. The commands run in a temp PIPELINE_DIR / CUTOVER_REPORTS_DIR on a free
 * port, so that a command that ignored --help could not touch the checkout's files.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHASE_NAMES } from "../../src/config/schedule.js";
import { freePort, ROOT } from "../support/pipeline-harness.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "help-"));
let env: Record<string, string>;

beforeAll(async () => {
  env = { PIPELINE_DIR: path.join(tmp, "pipeline"), CUTOVER_REPORTS_DIR: path.join(tmp, "reports"), PIPELINE_PORT: String(await freePort()), NO_COLOR: "1" };
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tsx = (script: string) => [process.execPath, "--import", "tsx", script];
const monitor = (command: string) => [process.execPath, "bin/cutover-monitor.mjs", command];

/** What `npm run <name> --` runs (package.json "scripts"), and what its help must name. */
const COMMANDS: { name: string; argv: string[]; lists: (string | RegExp)[]; unknownOption?: false }[] = [
  { name: "checkpoint", argv: monitor("checkpoint"), lists: ["--phase", ...PHASE_NAMES, "auto", "--at", "--rehearse", "--json", "--auto-rollback", "--force", "--verbose", "--config", "--help", "PIPELINE_PORT", "PIPELINE_DIR", "CUTOVER_REPORTS_DIR"] },
  { name: "attest", argv: monitor("attest"), lists: ["--item", "--by", "--note", "--list", "--config", "--help"] },
  { name: "report", argv: monitor("report"), lists: ["--serve", "--port", "--no-allure", "--no-pdf", "--config", "--help", "allure-report", "site", "signoff", "CUTOVER_REPORTS_DIR"] },
  { name: "signoff", argv: monitor("signoff"), lists: ["--role", "engineering", "operations", "data-quality", "--by", "--note", "--no-pdf", "--config", "--help", "CUTOVER_SIGNING_KEY"] },
  { name: "verify", argv: monitor("verify"), lists: ["--public-key", "--history", "--config", "--help", "0 intact", "1 changed"] },
  { name: "ui", argv: monitor("ui"), lists: ["--phase", "--port", "--open", "--config", "--help"] },
  { name: "silence", argv: monitor("silence"), lists: ["--rule", "--for", "--until", "--by", "--reason", "--list", "--config", "--help"] },
  {
    name: "pipeline",
    argv: tsx("pipeline/cli.ts"),
    lists: ["start", "serve", "stop", "status", "run-once", "cutover", "validate", "rollback", "test", "fault", "--dir", "--port", "--version v1|v2", "--interval", "--input", "--fault", "--allow-faults", "--supervise", "--restart-delay-ms", "--keep-faults", "--junit", "PIPELINE_PORT", "PIPELINE_DIR", "latency:MS"],
  },
  { name: "receivers", argv: tsx("scripts/receivers.ts"), lists: ["start", "stop", "serve", "--help", "NAME=value", "SLACK_WEBHOOK_URL", "ALERT_WEBHOOK_URL", "CUTOVER_REPORTS_DIR"] },
  { name: "demo", argv: tsx("scripts/demo.ts"), lists: ["PIPELINE_PORT", "PIPELINE_DIR", "CUTOVER_REPORTS_DIR", "--help"] },
  // bench reads its own flags loosely: an unknown option is not refused (and would start a bench).
  { name: "bench", argv: tsx("scripts/bench.ts"), lists: ["--only", "engine", "audit", "idle", "checkpoint", "logscan", "--write", "--log-mb", "--help"], unknownOption: false },
  { name: "docs", argv: tsx("scripts/docs.ts"), lists: ["docs/CHECKS.md", "TRACEABILITY.md", "--help"] },
];

async function run(argv: string[]) {
  const r = await execa(argv[0]!, argv.slice(1), { cwd: ROOT, env, reject: false, stdin: "ignore", timeout: 60_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe("--help of every command", () => {
  it("the launcher: cutover-monitor --help names its commands and exit codes; no command or an unknown one is exit 2", async () => {
    const h = await run([process.execPath, "bin/cutover-monitor.mjs", "--help"]);
    expect(h.exitCode).toBe(0);
    for (const c of ["checkpoint", "attest", "report", "silence", "signoff", "verify", "ui", "exit codes"]) expect(h.stdout).toContain(c);
    const none = await run([process.execPath, "bin/cutover-monitor.mjs"]);
    expect(none).toMatchObject({ exitCode: 2, stdout: "" });
    expect(none.stderr).toMatch(/^usage: cutover-monitor /);
    const bad = await run([process.execPath, "bin/cutover-monitor.mjs", "nope"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe('cutover-monitor: unknown command "nope"');
  });

  for (const c of COMMANDS) {
    it(`npm run ${c.name} -- --help: usage, every option and value, the exit codes; exit 0`, async () => {
      const h = await run([...c.argv, "--help"]);
      expect(h.exitCode, h.stderr).toBe(0);
      expect(h.stdout).toMatch(/^usage: /);
      expect(h.stdout).toMatch(/exit codes: .*\b0\b/);
      for (const item of c.lists) expect(h.stdout, `${c.name} --help lists ${item}`).toContain(item);
      // --help does nothing else: nothing was written.
      expect(fs.readdirSync(tmp)).toEqual([]);
    });

    if (c.unknownOption !== false) {
      it(`npm run ${c.name} -- --no-such-option: exit 2, the first line says what is wrong`, async () => {
        const r = await run([...c.argv, "--no-such-option"]);
        expect(r.exitCode).toBe(2);
        expect(r.stderr.split("\n")[0]).toMatch(/no-such-option/);
        expect(fs.readdirSync(tmp)).toEqual([]);
      });
    }
  }
});
