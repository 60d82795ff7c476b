/**
 * The reference pipeline under time compression: `npm run monitor -- --cutover --speed N` starts
 * it (on PIPELINE_PORT / PIPELINE_DIR) with its run interval and supervisor delay scaled like
 * the monitor's durations, when it is not already running at that speed; a restarted watch
 * reattaches to the one it started. Only the reference pipeline can be sped up: a real pipeline
 * runs in real time, so `--speed` on any other target is refused.
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type { MonitorConfig } from "../config/schema.js";
import { resolveTargetPath } from "../config/target.js";
import { PACKAGE_ROOT } from "../checkpoint/run-specs.js";
import { MonitorUserError } from "../errors.js";
import { pipelineIntervalFor, restartDelayFor } from "./compress.js";
import { pidAlive } from "./watch-state.js";

const CLI = path.join(PACKAGE_ROOT, "pipeline", "cli.ts");
const TSX_LOADER = path.join(PACKAGE_ROOT, "node_modules", "tsx", "dist", "loader.mjs");

/** The default target: the bundled pipeline's CLI runs the cutover, on 127.0.0.1. */
export function isReferenceTarget(config: MonitorConfig): boolean {
  const cmd = config.target.cutover.command;
  const cli = cmd.find((a) => a.endsWith("cli.ts"));
  let host = "";
  try {
    host = new URL(config.target.baseUrl).hostname;
  } catch {
    return false;
  }
  return !!cli && path.resolve(PACKAGE_ROOT, cli) === CLI && host === "127.0.0.1" && fs.existsSync(CLI);
}

export interface ReferencePipeline {
  dir: string;
  port: number;
  intervalS: number;
  /** Started by this call (false: reattached to a running one). */
  started: boolean;
  pid: number | null;
  supervisorPid: number | null;
  faultsEnabled: boolean;
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/** The pid a pidfile names, or null (missing, unreadable, not a pid). */
export function readPid(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

async function healthy(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * The output channels the monitor's config checks, as the reference pipeline's flags, so that the
 * pipeline the watch starts writes what the watch reads. Secrets stay in the environment: only
 * the variables' names are passed.
 */
export function channelFlags(config: MonitorConfig, speed = 1): string[] {
  const o = config.target.outputs;
  const a: string[] = [];
  if (o.azure) a.push("--azure-container", o.azure.container, "--azure-env", o.azure.connectionStringEnv);
  if (o.supabase) a.push("--supabase-schema", o.supabase.schema, "--supabase-env", o.supabase.connectionStringEnv, "--supabase-tables", `runs=${o.supabase.tables.runs},loans_processed=${o.supabase.tables.rows},kpi_results=${o.supabase.tables.kpis}`);
  // Compressed, a run follows the previous one within a second: keep the runs of the last 20 real
  // seconds, so that a run the monitor is still reading (slowly, on a busy machine) is not pruned under it.
  if (a.length && speed !== 1) a.push("--keep-runs", String(keepRunsFor(speed)));
  return a;
}

/**
 * Runs the compressed pipeline keeps in Azure and Supabase: 20 real seconds' worth (5, as
 * uncompressed, at least). With 5 seconds' worth a checkpoint slowed by a loaded machine found
 * the run latest.json named already pruned ("manifest not found").
 */
export const KEEP_RUNS_REAL_SECONDS = 20;
export function keepRunsFor(speed: number): number {
  return Math.min(1000, Math.max(5, Math.ceil(KEEP_RUNS_REAL_SECONDS / pipelineIntervalFor(speed))));
}

function channelNames(config: MonitorConfig): string[] {
  const o = config.target.outputs;
  return [...(o.local.enabled ? ["local files"] : []), ...(o.azure ? [`Azure container ${o.azure.container}`] : []), ...(o.supabase ? [`Supabase schema ${o.supabase.schema}`] : [])];
}

/** Reattach to the reference pipeline running at this speed, or start it (V1 before a cutover). */
export async function ensureReferencePipeline(input: { config: MonitorConfig; speed: number; beforeCutover: boolean; needFaults: boolean; print: (t: string) => void }): Promise<ReferencePipeline> {
  const { config, speed } = input;
  const dir = path.resolve(config.target.stateDir);
  const port = Number(new URL(config.target.baseUrl).port || 80);
  const intervalS = pipelineIntervalFor(speed);
  const service = readJson<{ pid?: number; interval_s?: number; faults_enabled?: boolean; port?: number }>(path.join(dir, "service.json"));
  const pid = readPid(path.join(dir, "pipeline.pid"));
  const running = pid !== null && pidAlive(pid) && (await healthy(config.target.baseUrl));
  if (running) {
    const was = service?.interval_s;
    if (typeof was !== "number" || Math.abs(was - intervalS) > 1e-9) {
      throw new MonitorUserError(
        "E_SPEED",
        `the reference pipeline in ${dir} (port ${port}, pid ${pid}) runs with a run interval of ${was ?? "unknown"} s, not the ${intervalS} s of --speed ${speed}: stop it (npm run pipeline -- stop) or use another PIPELINE_DIR/PIPELINE_PORT`,
      );
    }
    if (input.needFaults && !service?.faults_enabled) {
      throw new MonitorUserError("E_SPEED", `the reference pipeline in ${dir} (pid ${pid}) was started without --allow-faults: a scenario cannot inject its faults; stop it (npm run pipeline -- stop) and start the watch again`);
    }
    input.print(`reference pipeline: reattached to pid ${pid} in ${dir} (port ${port}, run interval ${intervalS} s for x${speed})`);
    return { dir, port, intervalS, started: false, pid, supervisorPid: readPid(path.join(dir, "supervisor.pid")), faultsEnabled: !!service?.faults_enabled };
  }
  const args = ["--import", `file://${TSX_LOADER}`, CLI, "start", "--dir", dir, "--port", String(port), "--interval", String(intervalS), "--allow-faults", "--supervise", "--restart-delay-ms", String(restartDelayFor(speed)), ...channelFlags(config, speed)];
  if (input.beforeCutover) args.push("--version", "v1");
  // The tape the monitor recomputes from is the tape the pipeline reads: a config naming another
  // than the pipeline's own generated 10k-row tape starts it on that one.
  const tape = config.target.outputs.local.inputFile ? resolveTargetPath(config.target, config.target.outputs.local.inputFile) : null;
  if (tape && tape !== path.join(dir, "input", "loans-10k.csv")) {
    if (!fs.existsSync(tape)) throw new MonitorUserError("E_PIPELINE_START", `target.outputs.local.inputFile: ${tape} does not exist; the reference pipeline would read another tape than the one its outputs are checked against`);
    args.push("--input", tape);
  }
  input.print(`reference pipeline: starting it in ${dir} on port ${port} (run interval ${intervalS} s = ${30} s at x${speed}, supervised, faults allowed; writes ${channelNames(config).join(", ")})`);
  const r = await execa(process.execPath, args, { cwd: PACKAGE_ROOT, reject: false, timeout: 90_000, stdin: "ignore", env: { ...process.env, PIPELINE_DIR: dir, PIPELINE_PORT: String(port) } });
  const m = /url=(\S+) pid=(\d+)(?: supervisor_pid=(\d+))?/.exec(String(r.stdout));
  if (r.exitCode !== 0 || !m) {
    const why = `${String(r.stderr).trim() || String(r.stdout).trim() || (r.timedOut ? "timed out after 90 s" : `exit ${r.exitCode}`)}`.split("\n")[0];
    throw new MonitorUserError("E_PIPELINE_START", `the reference pipeline did not start in ${dir} on port ${port}: ${why}`);
  }
  return { dir, port, intervalS, started: true, pid: Number(m[2]), supervisorPid: m[3] ? Number(m[3]) : null, faultsEnabled: true };
}

/** Stops the reference pipeline the watch started (its own `stop`: the supervisor, then the service). */
export async function stopReferencePipeline(dir: string, port: number): Promise<string> {
  const r = await execa(process.execPath, ["--import", `file://${TSX_LOADER}`, CLI, "stop", "--dir", dir, "--port", String(port)], { cwd: PACKAGE_ROOT, reject: false, timeout: 30_000, stdin: "ignore" });
  return r.exitCode === 0 ? `reference pipeline stopped (${dir})` : `reference pipeline stop failed (exit ${r.exitCode}): ${String(r.stderr).trim().split("\n")[0]}`;
}
