/**
 * `npm run receivers`: the local alert channel stand-ins as a command. It prints the environment
 * first (one NAME=value line per variable, eval-able), then one plain line per notice received,
 * and stops cleanly on SIGINT/SIGTERM; `start` runs them in the background and `stop` stops them.
 * The pre-cutover failure without any channel names it. (A pre-cutover checkpoint passing with
 * its environment on a healthy pipeline: test/readme/readme.test.ts.)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { alertChannelsTested } from "../../src/checks/readiness.js";
import { checkpointContext } from "../support/checkpoint-context.js";
import { alive, ROOT, waitFor } from "../support/pipeline-harness.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "receivers-"));
const env = { ...process.env, CUTOVER_REPORTS_DIR: path.join(tmp, "reports") };
const SCRIPT = ["--import", "tsx", "scripts/receivers.ts"];
/** A NAME=value line (the .env and shell format), or a # comment. */
const ENV_LINE = /^[A-Z][A-Z0-9_]*=\S+$/;

afterAll(async () => {
  await execa(process.execPath, [...SCRIPT, "stop"], { cwd: ROOT, env, reject: false, timeout: 30_000 });
  fs.rmSync(tmp, { recursive: true, force: true });
});

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });

describe("npm run receivers", () => {
  it("in the foreground: NAME=value lines first, then one line per notice; SIGINT stops it, exit 0", async () => {
    const child = spawn(process.execPath, SCRIPT, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      await waitFor(() => /^ALERT_WEBHOOK_URL=/m.test(out), 20_000, "the environment lines");
      const lines = out.split("\n").filter(Boolean);
      const vars = Object.fromEntries(lines.filter((l) => ENV_LINE.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
      expect(Object.keys(vars)).toEqual(["SLACK_WEBHOOK_URL", "ALERT_WEBHOOK_URL"]);
      // Every line before the first notice is a NAME=value line or a # comment.
      for (const l of lines) expect(l).toMatch(/^([A-Z][A-Z0-9_]*=\S+|# .*)$/);
      for (const url of Object.values(vars)) expect(new URL(url).hostname).toBe("127.0.0.1");

      expect((await post(vars.SLACK_WEBHOOK_URL!, { text: "[WARNING] latency-warning\nkpi-latency is WARN" })).status).toBe(200);
      expect(
        (await post(vars.ALERT_WEBHOOK_URL!, { dedupKey: "k1", kind: "trigger", severity: "critical", title: "error-rate-critical", ts: new Date().toISOString() })).status,
      ).toBe(200);
      await waitFor(() => / webhook: critical trigger: error-rate-critical$/m.test(out), 10_000, "the webhook line");
      expect(out).toMatch(/^\S+ slack: \[WARNING\] latency-warning kpi-latency is WARN$/m);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });

  it("start: prints only NAME=value lines and comments, which bash can eval; again: the same, already running; stop: stopped, SIGTERM, files removed", async () => {
    const shell = await execa(
      "bash",
      ["-c", `set -a; eval "$(node ${SCRIPT.join(" ")} start)"; set +a; echo "slack=$SLACK_WEBHOOK_URL"; echo "webhook=$ALERT_WEBHOOK_URL"`],
      { cwd: ROOT, env, reject: false, timeout: 60_000 },
    );
    expect(shell.exitCode, shell.stderr).toBe(0);
    const slack = /^slack=(http:\/\/127\.0\.0\.1:\d+\/\S+)$/m.exec(shell.stdout)?.[1];
    const webhook = /^webhook=(http:\/\/127\.0\.0\.1:\d+\/\S+)$/m.exec(shell.stdout)?.[1];
    expect(slack && webhook, shell.stdout).toBeTruthy();
    expect(shell.stderr).toMatch(/running in the background \(pid \d+\)/);

    const dir = path.join(tmp, "reports", "receivers");
    const pid = Number(fs.readFileSync(path.join(dir, "receivers.pid"), "utf8"));
    expect(alive(pid)).toBe(true);
    expect((await post(slack!, { text: "hello from the test" })).status).toBe(200);
    await waitFor(() => / slack: hello from the test$/m.test(fs.readFileSync(path.join(dir, "receivers.log"), "utf8")), 10_000, "the log line");

    const again = await execa(process.execPath, [...SCRIPT, "start"], { cwd: ROOT, env, reject: false, timeout: 60_000 });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`SLACK_WEBHOOK_URL=${slack}`);
    expect(again.stderr).toContain(`already running (pid ${pid})`);

    const stop = await execa(process.execPath, [...SCRIPT, "stop"], { cwd: ROOT, env, reject: false, timeout: 30_000 });
    expect(stop).toMatchObject({ exitCode: 0, stdout: "stopped" });
    // Exited; its orphaned pid disappears once the system reaps it.
    await waitFor(() => !alive(pid), 10_000, "the receivers' pid to disappear");
    expect(fs.existsSync(path.join(dir, "receivers.pid"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "receivers.env"))).toBe(false);
    const none = await execa(process.execPath, [...SCRIPT, "stop"], { cwd: ROOT, env, reject: false, timeout: 30_000 });
    expect(none).toMatchObject({ exitCode: 0, stdout: "not running" });
  });

  it("the pre-cutover check without any channel names npm run receivers", () => {
    const c = checkpointContext({});
    c.alertChannels = { ok: true, durationMs: 1, data: { configured: [], problems: ["slack: not configured (SLACK_WEBHOOK_URL is not set)"], results: [] } };
    const r = alertChannelsTested(c);
    expect(r.verdict).toBe("FAIL");
    expect(r.measured).toMatch(/^no alert channel configured/);
    expect(r.advice).toMatch(/`npm run receivers`/);
  });
});
