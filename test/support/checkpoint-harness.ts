/**
 * End-to-end harness for `npm run checkpoint` against the real reference pipeline:
 * - runCheckpoint: one checkpoint as a fresh process (as a scheduled CI job runs it), with the
 *   record it appended (last line of <reports>/checkpoints.jsonl);
 * - runCheckpointInProcess: the same checkpoint in the test's process (as the watch runs it), for
 *   the many cases of a file; each file keeps at least one runCheckpoint end to end;
 * - a fresh temp reports dir per test, config files written into it;
 * - prepareCutover: a pipeline on V1, cut over by the hour0 checkpoint, hour-1 baseline recorded;
 *   fork() copies that monitor state for a second case on the same pipeline.
 * Every process started here is stopped by its pid (pipelines through their harness stop()).
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { ROOT, freePort, startPipeline, type StartOptions, type StartedPipeline } from "./pipeline-harness.js";

export { ROOT };

export interface CheckpointEnv {
  PIPELINE_DIR: string;
  PIPELINE_PORT: string;
  CUTOVER_REPORTS_DIR: string;
  [name: string]: string;
}

export interface CheckRecord {
  id: string;
  title: string;
  verdict: "PASS" | "WARN" | "FAIL" | "ERROR";
  measured: string;
  threshold: string;
  advice?: string;
  value: unknown;
  notMeasured?: boolean;
  rules?: string[];
}

export interface CheckpointRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The last record of <reports>/checkpoints.jsonl after the run (null when none). */
  record: Record<string, any> | null;
  /** How many records the file holds after the run. */
  recordCount: number;
  durationMs: number;
  timedOut: boolean;
}

/** Alert channels are off unless a test configures them (the test runner's env must not leak in). */
/** Alert channels off, and no remote output channel unless a test passes its variables. */
const CHANNELS_OFF = { SLACK_WEBHOOK_URL: "", PAGERDUTY_ROUTING_KEY: "", SMTP_HOST: "", SMTP_USER: "", SMTP_PASS: "", ALERT_WEBHOOK_URL: "", AZURE_STORAGE_CONNECTION_STRING: "", SUPABASE_DB_URL: "" };

export function readRecords(reportsDir: string): Record<string, any>[] {
  const file = path.join(reportsDir, "checkpoints.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** `npm run checkpoint -- ARGS` (bin/cutover-monitor.mjs) in the project root; never throws on exit codes. */
export async function runCheckpoint(args: string[], env: CheckpointEnv, opts: { timeoutMs?: number } = {}): Promise<CheckpointRun> {
  const t0 = Date.now();
  // What `npm run checkpoint` runs, without npm's own process.
  const r = await execa(process.execPath, ["bin/cutover-monitor.mjs", "checkpoint", ...args], {
    cwd: ROOT,
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    stdin: "ignore",
    env: { NO_COLOR: "1", ...CHANNELS_OFF, ...env },
  });
  const records = readRecords(env.CUTOVER_REPORTS_DIR);
  return {
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    record: records.length ? records[records.length - 1]! : null,
    recordCount: records.length,
    durationMs: Date.now() - t0,
    timedOut: !!r.timedOut,
  };
}

/**
 * The checkpoint in this process: what `npm run checkpoint -- ARGS` runs (src/cli/checkpoint.ts:
 * loadConfig, then runCheckpoint; the CLI's error boundary maps a user error to exit 2, and its
 * exit closes the storage), the way the watch runs its checkpoints (src/monitor/watch.ts), without
 * a process of its own: no node start, no import of the monitor, no vitest import per checkpoint.
 * The env is this process's environment for the run (runs are serialized, the env restored after).
 * Flags: --phase, --at, --config, --auto-rollback, --force; --json, --verbose and --rehearse print
 * to the process's own streams: runCheckpoint (the CLI) for those.
 */
let inProcessQueue: Promise<unknown> = Promise.resolve();
export function runCheckpointInProcess(args: string[], env: CheckpointEnv): Promise<CheckpointRun> {
  const run = inProcessQueue.then(() => checkpointInProcess(args, env));
  inProcessQueue = run.catch(() => {});
  return run;
}

async function checkpointInProcess(args: string[], env: CheckpointEnv): Promise<CheckpointRun> {
  const t0 = Date.now();
  const { values } = parseArgs({
    args,
    options: { phase: { type: "string" }, config: { type: "string" }, at: { type: "string" }, "auto-rollback": { type: "boolean", default: false }, force: { type: "boolean", default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (!values.phase) throw new Error("runCheckpointInProcess: --phase is required (the CLI's usage errors are runCheckpoint's)");
  const [{ loadConfig }, { runCheckpoint: checkpoint }, { closeAllStorage }, { MonitorUserError }, { redactAll, resetSecretRegistry }] = await Promise.all([
    import("../../src/config/load.js"),
    import("../../src/checkpoint/run-checkpoint.js"),
    import("../../src/storage/storage.js"),
    import("../../src/errors.js"),
    import("../../src/secrets.js"),
  ]);
  const vars: Record<string, string> = { NO_COLOR: "1", ...CHANNELS_OFF, ...env };
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  let stdout = "";
  let stderr = "";
  let exitCode: number;
  try {
    resetSecretRegistry();
    const loaded = await loadConfig({ file: values.config });
    const outcome = await checkpoint(loaded, { phase: values.phase, at: values.at, autoRollback: values["auto-rollback"], force: values.force, print: (t) => (stdout += t + "\n") });
    exitCode = outcome.exitCode;
  } catch (error) {
    const message = redactAll((error as Error)?.message ?? String(error));
    stderr += error instanceof MonitorUserError ? `cutover-monitor: ${message}\n` : `cutover-monitor: internal error (exit 2, the checkpoint could not run): ${message}\n${(error as Error)?.stack ?? ""}\n`;
    exitCode = 2;
  } finally {
    try {
      await closeAllStorage();
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetSecretRegistry();
    }
  }
  const records = readRecords(env.CUTOVER_REPORTS_DIR);
  return { exitCode, stdout, stderr, record: records.length ? records[records.length - 1]! : null, recordCount: records.length, durationMs: Date.now() - t0, timedOut: false };
}

/** `npm run attest -- --item ID --by NAME` with the same reports dir. */
export async function attest(env: CheckpointEnv, items: string[], by = "E2E Tester", extra: string[] = []): Promise<void> {
  for (const item of items) {
    const r = await execa(process.execPath, ["bin/cutover-monitor.mjs", "attest", "--item", item, "--by", by, ...extra], { cwd: ROOT, reject: false, timeout: 60_000, stdin: "ignore", env: { NO_COLOR: "1", ...CHANNELS_OFF, ...env } });
    if (r.exitCode !== 0) throw new Error(`attest ${item} failed (exit ${r.exitCode}): ${r.stderr}`);
  }
}

export const ALL_ATTESTATIONS = [
  "monitoring-dashboard",
  "on-call-briefed",
  "rollback-trained",
  "team-briefed",
  "rollback-documented",
  "on-call-schedule",
  "signoff-engineering",
  "signoff-operations",
  "signoff-data-quality",
];

/** A fresh reports dir under the OS temp dir. */
export function tempReportsDir(prefix = "checkpoint-e2e-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

let configSeq = 0;
/** Write `<dir>/NAME.config.ts` exporting defineConfig(<body>) (body: a JS object literal or JSON). */
export function writeConfig(dir: string, body: string | object, name = `e2e-${++configSeq}`): string {
  const file = path.join(dir, `${name}.config.ts`);
  const literal = typeof body === "string" ? body : JSON.stringify(body, null, 2);
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(ROOT, "src", "config", "define-config.js"))};\nexport default defineConfig(${literal});\n`);
  return file;
}

/** The env a checkpoint needs for a pipeline and a reports dir. */
export function envFor(p: Pick<StartedPipeline, "dir" | "port">, reportsDir: string, extra: Record<string, string> = {}): CheckpointEnv {
  return { PIPELINE_DIR: p.dir, PIPELINE_PORT: String(p.port), CUTOVER_REPORTS_DIR: reportsDir, ...extra };
}

/** The check with this id in a record (throws with the ids present when missing). */
export function checkOf(record: Record<string, any> | null, id: string): CheckRecord {
  const checks = (record?.checks ?? []) as CheckRecord[];
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in the record; checks: ${checks.map((x) => x.id).join(", ") || "(no record)"}`);
  return c;
}

export function checksWith(record: Record<string, any> | null, verdict: string): CheckRecord[] {
  return ((record?.checks ?? []) as CheckRecord[]).filter((c) => c.verdict === verdict);
}

/** Compact "id=VERDICT: measured" lines for assertion messages. */
export function describeChecks(run: CheckpointRun | Record<string, any> | null): string {
  const rec = run && "stdout" in run ? (run as CheckpointRun).record : (run as Record<string, any> | null);
  const extra = run && "stdout" in run ? `\nexit ${(run as CheckpointRun).exitCode}\nstdout tail:\n${(run as CheckpointRun).stdout.split("\n").slice(-25).join("\n")}\nstderr:\n${(run as CheckpointRun).stderr.slice(-2000)}` : "";
  return (((rec?.checks ?? []) as CheckRecord[]).map((c) => `${c.id}=${c.verdict}: ${c.measured}`).join("\n") || "(no checks)") + extra;
}

/** POST the golden 1k tape to the pipeline's KPI endpoint n times (sequentially); returns status counts. */
export async function postKpis(url: string, n: number): Promise<Record<number, number>> {
  const tape = fs.readFileSync(path.join(ROOT, "fixtures", "loans-1k.csv"));
  const counts: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/kpis`, { method: "POST", headers: { "content-type": "text/csv" }, body: tape, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
  return counts;
}

export interface PreparedCutover {
  pipeline: StartedPipeline;
  reportsDir: string;
  env: CheckpointEnv;
  hour0: CheckpointRun;
  hour1: CheckpointRun;
  /**
   * A second monitor state for the same pipeline, as this cutover left it: a copy of the reports
   * dir (records, state, events) taken now, with its own env. For a case that must not see what
   * the other cases' checkpoints recorded (an alert, a rollback claim), without a cutover of its
   * own. The copy is removed by stop().
   */
  fork(): PreparedCutover;
  /** Stop the pipeline (by its pid) and remove the reports dir (and its forks). */
  stop(): Promise<void>;
}

/**
 * A cut-over pipeline, quickly: the reference pipeline started on V1 with a short interval,
 * the hour0 checkpoint cuts over to V2 and records the cutover start, the hour1 checkpoint
 * records the hour-1 baseline. Their verdicts are not asserted here (tests do that).
 * The two checkpoints run in this process (runCheckpointInProcess: what the CLI runs, without a
 * process start each); `cli: true` runs them as processes.
 */
export async function prepareCutover(o: { start?: StartOptions; env?: Record<string, string>; configArgs?: string[]; reportsDir?: string; cli?: boolean } = {}): Promise<PreparedCutover> {
  const pipeline = await startPipeline({ version: "v1", interval: 1, ...o.start });
  const reportsDir = o.reportsDir ?? tempReportsDir();
  const env = envFor(pipeline, reportsDir, o.env);
  const run = o.cli ? runCheckpoint : runCheckpointInProcess;
  try {
    const hour0 = await run(["--phase=hour0", ...(o.configArgs ?? [])], env);
    if (hour0.exitCode !== 0) throw new Error(`hour0 checkpoint failed:\n${describeChecks(hour0)}`);
    const hour1 = await run(["--phase=hour1", ...(o.configArgs ?? [])], env);
    if (hour1.exitCode === 2 || !hour1.record) throw new Error(`hour1 checkpoint could not run:\n${describeChecks(hour1)}`);
    const forks: string[] = [];
    const prepared = (dir: string, own: boolean): PreparedCutover => ({
      pipeline,
      reportsDir: dir,
      env: { ...env, CUTOVER_REPORTS_DIR: dir },
      hour0,
      hour1,
      fork() {
        const copy = tempReportsDir("checkpoint-e2e-fork-");
        fs.cpSync(dir, copy, { recursive: true });
        forks.push(copy);
        return prepared(copy, false);
      },
      async stop() {
        await pipeline.stop();
        for (const f of forks) fs.rmSync(f, { recursive: true, force: true });
        if (own && !o.reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
      },
    });
    return prepared(reportsDir, true);
  } catch (e) {
    await pipeline.stop();
    throw e;
  }
}

/** A stand-in HTTP server on a free 127.0.0.1 port answering every request with (status, body). */
export async function startStandIn(handler: (req: http.IncomingMessage) => { status: number; body: string; type?: string }): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const a = handler(req);
    res.writeHead(a.status, { "content-type": a.type ?? "text/html" }).end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
