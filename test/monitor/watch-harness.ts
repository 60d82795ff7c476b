/**
 * Runs `npm run monitor` (src/cli/monitor.ts through the tsx loader: the launcher's build does not
 * list the command yet) against a fresh reports dir and pipeline dir on a free port; the watch
 * starts the reference pipeline itself (--speed). Reads what it wrote. Every process is ended by
 * its pid: the watch by the test, the pipeline it started by the pids in its state dir.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { ROOT, TSX_IMPORT, alive, freePort, readPidFile, waitFor, writeTape } from "../support/pipeline-harness.js";
import { writeConfig } from "../support/checkpoint-harness.js";

export { ROOT, waitFor, alive };

const CHANNELS_OFF = { SLACK_WEBHOOK_URL: "", PAGERDUTY_ROUTING_KEY: "", SMTP_HOST: "", SMTP_USER: "", SMTP_PASS: "", ALERT_WEBHOOK_URL: "", CUTOVER_MONITOR_PING_URL: "" };

/** The tape of the pipelines these tests' watches start (relative to the pipeline's dir). */
const TAPE = "input/loans-1k.csv";

export interface WatchEnv {
  dir: string;
  reportsDir: string;
  pipelineDir: string;
  port: number;
  env: Record<string, string>;
  config: string;
}

/** A temp dir with a config file (a short schedule by default) and the env a watch needs. */
export async function watchEnv(config: Record<string, unknown>, extraEnv: Record<string, string> = {}): Promise<WatchEnv> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "watch-test-"));
  const reportsDir = path.join(dir, "reports");
  const pipelineDir = path.join(dir, "pipeline");
  fs.mkdirSync(reportsDir, { recursive: true });
  // A 1,000-row tape, as the demo's: compressed, the pipeline runs it every quarter of a second
  // beside the monitor; the 10k-row default would cost these tests a third of a core per pipeline.
  // The watch starts the pipeline on the tape the config names.
  await writeTape(path.join(pipelineDir, TAPE), 1000);
  const target = (config.target ?? {}) as Record<string, any>;
  config = { ...config, target: { ...target, outputs: { ...target.outputs, local: { inputFile: TAPE, ...target.outputs?.local } } } };
  const port = await freePort();
  return {
    dir,
    reportsDir,
    pipelineDir,
    port,
    config: writeConfig(dir, config, "watch"),
    env: { NO_COLOR: "1", ...CHANNELS_OFF, PIPELINE_DIR: pipelineDir, PIPELINE_PORT: String(port), CUTOVER_REPORTS_DIR: reportsDir, ...extraEnv },
  };
}

/** Starts the watch (not awaited); stdout and stderr are kept. */
export function startWatch(w: WatchEnv, args: string[]): { proc: ResultPromise; output: () => string } {
  const proc = execa(process.execPath, ["--import", TSX_IMPORT, path.join(ROOT, "src", "cli", "monitor.ts"), "--config", w.config, ...args], { cwd: ROOT, reject: false, env: w.env, stdin: "ignore", all: true, timeout: 300_000 });
  let out = "";
  proc.all?.on("data", (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

/** `npm run monitor -- --watchdog` once. */
export async function watchdog(w: WatchEnv, args: string[] = []) {
  return execa(process.execPath, ["--import", TSX_IMPORT, path.join(ROOT, "src", "cli", "monitor.ts"), "--watchdog", "--config", w.config, ...args], { cwd: ROOT, reject: false, env: w.env, stdin: "ignore", timeout: 60_000 });
}

export function readJsonl(file: string): { lines: any[]; bad: number } {
  if (!fs.existsSync(file)) return { lines: [], bad: 0 };
  const lines: any[] = [];
  let bad = 0;
  for (const l of fs.readFileSync(file, "utf8").split("\n")) {
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      bad++;
    }
  }
  return { lines, bad };
}

export const samplesOf = (w: WatchEnv) => readJsonl(path.join(w.reportsDir, "samples.jsonl"));
export const recordsOf = (w: WatchEnv) => readJsonl(path.join(w.reportsDir, "checkpoints.jsonl"));

/** Ends the pipeline the watch started (supervisor first, then the service), then removes the dir. */
export async function cleanup(w: WatchEnv | undefined): Promise<void> {
  if (!w) return;
  for (const name of ["supervisor.pid", "pipeline.pid"]) {
    const pid = readPidFile(w.pipelineDir, name);
    if (pid && alive(pid)) {
      process.kill(pid, "SIGTERM");
      await waitFor(() => !alive(pid), 5000, `pid ${pid} to exit`).catch(() => process.kill(pid, "SIGKILL"));
    }
  }
  if (!process.env.WATCH_TEST_KEEP) fs.rmSync(w.dir, { recursive: true, force: true });
}

/** The short schedule of these tests: every phase once, 24 hours. */
export const SHORT_SCHEDULE = [
  { phase: "hour0", at: "00:00" },
  { phase: "hour1", at: "01:00" },
  { phase: "stability", at: "02:00" },
  { phase: "extended", at: "06:00" },
  { phase: "day", at: "12:00" },
  { phase: "final", at: "24:00" },
];

/** "HH:MM" after the cutover of an ISO time. */
export function offsetOf(t: string, cutoverStartedAt: string): number {
  return (Date.parse(t) - Date.parse(cutoverStartedAt)) / 60_000;
}
