/**
 * The README, run as written: the ```sh blocks of "Using it on a cutover" are pasted in order
 * into one bash, as a newcomer would, against the reference pipeline in a temp folder on a free
 * port (PIPELINE_DIR, PIPELINE_PORT, CUTOVER_REPORTS_DIR: the variables the README tells a user to
 * export), with no alert channel in the environment. The section says every command exits 0 on a
 * healthy pipeline: the script runs under `set -e` and must reach its end; then what the commands
 * said they would do is checked in the files they wrote. The same for the ```sh block of "The
 * reference pipeline". (```bash blocks are not run here: `npm ci && npm run demo` and `npm test`,
 * the demo's hint in test/cli/demo.test.ts, `--rehearse` in test/checkpoint/healthy-soak.test.ts.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, freePort, ROOT, TSX_IMPORT, waitFor } from "../support/pipeline-harness.js";
import { readRecords } from "../support/checkpoint-harness.js";
import { blocks, expectRanToTheEnd, paste, section } from "./blocks.js";

describe("README: the two front-door commands", () => {
  it("are exactly `npm ci && npm run demo` and `npm test`", () => {
    const [two] = blocks(section("Two commands"), "bash");
    expect(two?.split("\n").filter(Boolean).map((l) => l.replace(/\s+#.*$/, ""))).toEqual(["npm ci && npm run demo", "npm test"]);
  });
});

describe("README: \"Using it on a cutover\", pasted in order into one shell", () => {
  let tmp: string;
  const env: Record<string, string> = {};
  const sh = blocks(section("Using it on a cutover"), "sh");
  let run: { exitCode: number | undefined; stdout: string; stderr: string };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "readme-"));
    Object.assign(env, { PIPELINE_DIR: path.join(tmp, "pipeline"), PIPELINE_PORT: String(await freePort()), CUTOVER_REPORTS_DIR: path.join(tmp, "reports") });
    run = await paste(sh, env, tmp);
  }, 900_000);

  afterAll(async () => {
    // Whatever the script left running, stopped through its own pidfile.
    await execa(process.execPath, ["--import", TSX_IMPORT, "pipeline/cli.ts", "stop", "--dir", env.PIPELINE_DIR], { cwd: ROOT, reject: false, timeout: 30_000 });
    await execa(process.execPath, ["--import", "tsx", "scripts/receivers.ts", "stop"], { cwd: ROOT, env: { CUTOVER_REPORTS_DIR: env.CUTOVER_REPORTS_DIR }, reject: false, timeout: 30_000 });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has the blocks of a whole cutover: start the pipeline, the receivers, the checkpoints, a person's line and the report, stop", () => {
    expect(sh.length).toBeGreaterThanOrEqual(4);
    expect(sh[0]).toMatch(/^npm run pipeline -- start/m);
    expect(sh.join("\n")).toMatch(/npm run -s receivers -- start/);
    for (const phase of ["pre-cutover", "hour0", "hour1", "stability", "auto"]) expect(sh.join("\n")).toContain(`--phase=${phase}`);
    expect(sh[sh.length - 1]).toMatch(/npm run pipeline -- stop/);
  });

  it("every command exits 0, in the README's order, to the end", () => {
    expectRanToTheEnd(run, sh);
  });

  it("the receivers' environment made the pre-cutover alert-channel check pass: Slack and the webhook got the test notice", () => {
    const records = readRecords(env.CUTOVER_REPORTS_DIR);
    const pre = records.find((r) => r.phase === "pre-cutover");
    const channels = pre?.checks?.find((c: { id: string }) => c.id === "alert-channels");
    expect(channels, JSON.stringify(pre?.checks?.map((c: { id: string; verdict: string }) => `${c.id}:${c.verdict}`))).toMatchObject({ verdict: "PASS" });
    expect(channels.measured).toMatch(/slack: accepted/);
    expect(channels.measured).toMatch(/webhook: accepted/);
    const received = fs.readFileSync(path.join(env.CUTOVER_REPORTS_DIR, "receivers", "receivers.log"), "utf8");
    expect(received).toMatch(/ slack: /);
    expect(received).toMatch(/ webhook: /);
  });

  it("the checkpoints ran against the live pipeline: pre-cutover, hour0, hour1, stability, each exit 0; auto found nothing due", () => {
    const records = readRecords(env.CUTOVER_REPORTS_DIR);
    const failing = records.map((r) => `${r.phase}: ${r.checks?.filter((c: { verdict: string }) => c.verdict === "FAIL" || c.verdict === "ERROR").map((c: { id: string; measured: string }) => `${c.id} (${c.measured})`).join("; ")}`);
    expect(records.map((r) => `${r.phase}:${r.exit_code}`), failing.join("\n")).toEqual(["pre-cutover:0", "hour0:0", "hour1:0", "stability:0"]);
    expect(records.every((r) => r.pipeline_status === "operational")).toBe(true);
    expect(run.stdout).toMatch(/^nothing due: /m);
  });

  it("the person's line, the silence and the report were written; the pipeline and the receivers were stopped", () => {
    const attest = JSON.parse(fs.readFileSync(path.join(env.CUTOVER_REPORTS_DIR, "state", "attestations.json"), "utf8"));
    expect(attest.attestations).toMatchObject([{ id: "on-call-briefed", by: "Ana Ops" }]);
    const judge = JSON.parse(fs.readFileSync(path.join(env.CUTOVER_REPORTS_DIR, "state", "alert-state.json"), "utf8"));
    expect(judge.silences).toMatchObject([{ ruleId: "latency-warning", by: "Ana Ops" }]);
    expect(fs.existsSync(path.join(env.CUTOVER_REPORTS_DIR, "allure-report"))).toBe(true);
    expect(fs.existsSync(path.join(env.CUTOVER_REPORTS_DIR, "receivers", "receivers.pid"))).toBe(false);
    const pid = Number(/pid=(\d+)/.exec(run.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});

describe("README: \"The reference pipeline\", pasted into one shell", () => {
  let tmp: string;
  const env: Record<string, string> = {};
  const sh = blocks(section("The reference pipeline"), "sh");

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "readme-pipeline-"));
    Object.assign(env, { PIPELINE_DIR: path.join(tmp, "pipeline"), PIPELINE_PORT: String(await freePort()), CUTOVER_REPORTS_DIR: path.join(tmp, "reports") });
  });

  afterAll(async () => {
    await execa(process.execPath, ["--import", TSX_IMPORT, "pipeline/cli.ts", "stop", "--dir", env.PIPELINE_DIR], { cwd: ROOT, reject: false, timeout: 30_000 });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("every command exits 0 and the last one stops what the block started", async () => {
    expect(sh).toHaveLength(1);
    const run = await paste(sh, env, tmp);
    expectRanToTheEnd(run, sh);
    expect(run.stdout).toMatch(/^faults=errors:20$/m);
    expect(run.stdout).toMatch(/supervisor_pid=\d+/);
    const pids = [...run.stdout.matchAll(/\bpid=(\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) await waitFor(() => !alive(pid), 10_000, `pid ${pid} to disappear`);
  }, 300_000);
});
