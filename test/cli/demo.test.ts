/**
 * `npm run demo`'s closing hint is true: after the demo the reference pipeline still runs, and
 * each command the hint prints works when pasted as printed (its own PIPELINE_PORT, PIPELINE_DIR
 * and CUTOVER_REPORTS_DIR included: the shell here has none of them). Then the newcomer's next
 * step: the README's "Using it on a cutover", pasted in the same folders, works after the demo.
 * The demo runs in temp folders on a free port; whatever is left running is stopped through the
 * pipeline's pidfile.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRecords } from "../support/checkpoint-harness.js";
import { alive, freePort, ROOT, TSX_IMPORT, waitFor } from "../support/pipeline-harness.js";
import { blocks, expectRanToTheEnd, paste as pasteBlocks, section } from "../readme/blocks.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "demo-"));
const dirs = { PIPELINE_DIR: path.join(tmp, "pipeline"), CUTOVER_REPORTS_DIR: path.join(tmp, "reports") };
const CHANNEL_VARS = ["SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "SMTP_HOST", "SMTP_USER", "SMTP_PASS", "ALERT_WEBHOOK_URL"];
/** The test runner's environment without the pipeline's, the reports' or any channel's variables. */
const bare = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !["PIPELINE_PORT", "PIPELINE_DIR", "CUTOVER_REPORTS_DIR", ...CHANNEL_VARS].includes(k)),
) as Record<string, string>;

let demo: { exitCode: number | undefined; stdout: string; stderr: string };
let port: number;
/** The hint's commands, as printed (comment lines left out). */
let hint: string[] = [];

/** The pid of a pipeline left running in the demo's folder, as a previous demo leaves it. */
let previous: number;

beforeAll(async () => {
  port = await freePort();
  const start = await execa(process.execPath, ["--import", TSX_IMPORT, "pipeline/cli.ts", "start", "--version", "v2", "--dir", dirs.PIPELINE_DIR, "--port", String(port)], {
    cwd: ROOT,
    reject: false,
    timeout: 60_000,
  });
  previous = Number(/pid=(\d+)/.exec(String(start.stdout))?.[1]);
  const r = await execa(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
    cwd: ROOT,
    env: { ...bare, ...dirs, PIPELINE_PORT: String(port), NO_COLOR: "1" },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: 400_000,
  });
  demo = { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  const next = demo.stdout.split("\n");
  const at = next.findIndex((l) => l.startsWith("Next, from this folder:"));
  hint = at < 0 ? [] : next.slice(at + 1).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}, 420_000);

afterAll(async () => {
  await execa(process.execPath, ["--import", TSX_IMPORT, "pipeline/cli.ts", "stop", "--dir", dirs.PIPELINE_DIR], { cwd: ROOT, reject: false, timeout: 30_000 });
  await execa(process.execPath, ["--import", "tsx", "scripts/receivers.ts", "stop"], { cwd: ROOT, env: { CUTOVER_REPORTS_DIR: dirs.CUTOVER_REPORTS_DIR }, reject: false, timeout: 30_000 });
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
});

/** One hint line in bash, from the package root, as a user pastes it. */
async function paste(line: string) {
  const r = await execa("bash", ["-c", line], { cwd: ROOT, env: { ...bare, NO_COLOR: "1" }, extendEnv: false, reject: false, stdin: "ignore", timeout: 240_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe("npm run demo: the closing hint", () => {
  it("the demo ran (exit 0) after stopping the pipeline a previous demo left on its port, and still runs the one it names, by pid and url", async () => {
    expect(previous).toBeGreaterThan(0);
    expect(demo.exitCode, demo.stderr.slice(-2000)).toBe(0);
    await waitFor(() => !alive(previous), 10_000, "the previous pipeline's pid to disappear");
    const m = /still running on V2 \(pid (\d+), (http:\/\/127\.0\.0\.1:\d+)\)/.exec(demo.stdout);
    expect(m, demo.stdout.slice(-2000)).not.toBeNull();
    expect(m![2]).toBe(`http://127.0.0.1:${port}`);
    expect(alive(Number(m![1]))).toBe(true);
    const health = await fetch(`${m![2]}/health`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
    expect(((await health.json()) as { version: string }).version).toBe("v2");
  });

  it("prints a stability, an auto, a report and a stop command, each with the demo's folders and port", () => {
    expect(hint.map((l) => l.slice(l.indexOf("npm run ")).replace(/ --config \S+/, ""))).toEqual([
      "npm run checkpoint -- --phase=stability",
      "npm run checkpoint -- --phase=auto",
      "npm run report",
      "npm run pipeline -- stop",
    ]);
    for (const l of hint.slice(0, 2)) expect(l).toContain(`--config ${path.join(dirs.CUTOVER_REPORTS_DIR, "demo.config.ts")}`);
    for (const l of hint) expect(l).toContain(`PIPELINE_PORT=${port} PIPELINE_DIR=${dirs.PIPELINE_DIR} CUTOVER_REPORTS_DIR=${dirs.CUTOVER_REPORTS_DIR} npm run `);
  });

  it("pasted as printed: the stability checkpoint watches the live pipeline, auto answers (exit 0), the report is rebuilt in the demo's folder", async () => {
    const before = readRecords(dirs.CUTOVER_REPORTS_DIR).length;
    const stability = await paste(hint[0]!);
    const records = readRecords(dirs.CUTOVER_REPORTS_DIR);
    expect(records.length, stability.stderr.slice(-2000)).toBe(before + 1);
    const rec = records[records.length - 1]!;
    expect(rec).toMatchObject({ phase: "stability", pipeline_status: "operational" });
    expect(JSON.stringify(rec.firing ?? [])).not.toContain("pipeline-down");
    expect([0, 1]).toContain(stability.exitCode); // the fault the demo injected may still be in this window

    const auto = await paste(hint[1]!);
    expect(auto.exitCode, auto.stderr).toBe(0);

    const report = await paste(hint[2]!);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(report.stdout).toContain(dirs.CUTOVER_REPORTS_DIR); // it says where, in the demo's reports folder
    expect(fs.existsSync(path.join(dirs.CUTOVER_REPORTS_DIR, "allure-report"))).toBe(true);
  }, 600_000);

  it("then the README's \"Using it on a cutover\" clean-up line: the hint's stop ends the demo's pipeline, the two folders go", async () => {
    const pid = Number(/still running on V2 \(pid (\d+)/.exec(demo.stdout)![1]);
    const cleanUp = /`(npm run pipeline -- stop && rm -rf \.pipeline reports)`/.exec(section("Using it on a cutover"))?.[1];
    expect(cleanUp).toBeDefined();
    // Its stop is the hint's, pasted as printed; its folders are the demo's here.
    const stop = await paste(hint[3]!);
    expect(stop).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^stopped$/m) });
    await waitFor(() => !alive(pid), 10_000, "the demo's pipeline's pid to disappear");
    for (const d of [dirs.PIPELINE_DIR, dirs.CUTOVER_REPORTS_DIR]) fs.rmSync(d, { recursive: true, force: true, maxRetries: 5 });
    // The README's blocks themselves run to the end in test/readme/readme.test.ts (not again here:
    // the suite's time budget); this checks that the clean-up line leaves nothing running.
    expect(alive(pid)).toBe(false);
  }, 600_000);
});
