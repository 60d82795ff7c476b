import fs from "node:fs";
import { pidAlive } from "../state/pid.js";
import { setTimeout as sleep } from "node:timers/promises";
import pidusage from "pidusage";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, runProbe, targetFailure } from "./target-io.js";
import type { ProbeContext, ProbeResult, ProbeState, ProcessIdentity } from "./probe.js";

export interface ResourceSample {
  /** Epoch ms. */
  at: number;
  rssMb: number;
  /** % of one core since the previous sample (can exceed 100). */
  cpuPercent: number;
}

export interface ResourcesMeasurement {
  pid: number;
  pidFile: string;
  windowMs: number;
  intervalMs: number;
  /** The first pidusage reading (a 0-delta for CPU) is discarded. */
  samples: ResourceSample[];
  rssMbMax: number;
  rssMbLast: number;
  cpuPercentMean: number;
  cpuPercentMax: number;
  /** Identity of the sampled process: pid and start time (epoch ms; null when unknown). */
  process: ProcessIdentity;
  /** Compared with the identity the previous checkpoint recorded (ProbeState.processIdentity). */
  restart: RestartInfo;
}

export interface RestartInfo {
  /** The identity recorded by the previous checkpoint; null on the first observation. */
  previous: ProcessIdentity | null;
  /** pid changed, or same pid with another start time (the first observation is not a restart). */
  restartedSincePrevious: boolean;
  /** ISO times (monitor clock, when detected) of restarts within the last hour, including this one. */
  restartsWithinHour: string[];
}

const MB = 1024 * 1024;
const HOUR_MS = 3_600_000;
/**
 * Same pid and start times this close: the same process. Start times are good to about a second:
 * /proc/stat btime is whole seconds and can flip by one between reads, and `ps` (pidusage's
 * elapsed time off Linux) counts whole seconds.
 */
export const START_TIME_TOLERANCE_MS = 2000;

let clockTicks: Promise<number> | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, read once); 100 when it cannot be read. */
function clockTicksPerSecond(): Promise<number> {
  clockTicks ??= (async () => {
    try {
      const { execa } = await import("execa");
      const r = await execa("getconf", ["CLK_TCK"], { timeout: 2000, reject: false });
      const n = Number(String(r.stdout).trim());
      return Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      return 100;
    }
  })();
  return clockTicks;
}

/** Linux: start time (epoch ms) from /proc/<pid>/stat field 22 (starttime, ticks since boot) + /proc/stat btime. */
async function procStartTimeMs(pid: number): Promise<number | null> {
  if (process.platform !== "linux") return null;
  try {
    const stat = await fs.promises.readFile(`/proc/${pid}/stat`, "utf8");
    // field 2 (comm) is in parentheses and may hold spaces or ')': split after the last ')'
    const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/); // fields[0] is field 3
    const ticks = Number(fields[22 - 3]);
    const btime = /^btime\s+(\d+)\s*$/m.exec(await fs.promises.readFile("/proc/stat", "utf8"));
    if (!Number.isFinite(ticks) || ticks < 0 || !btime) return null;
    return Math.round(Number(btime[1]) * 1000 + (ticks * 1000) / (await clockTicksPerSecond()));
  } catch {
    return null;
  }
}

/**
 * Compare the process seen now with the identity the previous checkpoint recorded. A restart is
 * a changed pid, or the same pid with a start time more than START_TIME_TOLERANCE_MS away; the
 * first observation is not one. Restart times are the monitor's clock at detection; those older
 * than an hour drop out.
 */
export function detectRestart(
  previous: ProbeState["processIdentity"] | undefined,
  current: ProcessIdentity,
  nowMs: number,
): { restart: RestartInfo; state: NonNullable<ProbeState["processIdentity"]> } {
  const prev = previous && Number.isInteger(previous.pid) ? previous : undefined;
  const startChanged =
    !!prev && prev.startedAtMs != null && current.startedAtMs != null && Math.abs(prev.startedAtMs - current.startedAtMs) > START_TIME_TOLERANCE_MS;
  const restarted = !!prev && (prev.pid !== current.pid || startChanged);
  const recent = (Array.isArray(prev?.restarts) ? prev.restarts : []).filter((t) => {
    const at = Date.parse(t);
    return Number.isFinite(at) && at > nowMs - HOUR_MS && at <= nowMs;
  });
  const restartsWithinHour = restarted ? [...recent, new Date(nowMs).toISOString()] : recent;
  return {
    restart: {
      previous: prev ? { pid: prev.pid, startedAtMs: prev.startedAtMs ?? null } : null,
      restartedSincePrevious: restarted,
      restartsWithinHour,
    },
    state: { pid: current.pid, startedAtMs: current.startedAtMs, restarts: restartsWithinHour },
  };
}

/** The pid in the target's pidfile; missing or not a number -> target failure. */
export async function readPid(target: TargetConfig): Promise<{ pid: number; pidFile: string }> {
  const pidFile = resolveTargetPath(target, target.process.pidFile);
  let text: string;
  try {
    text = await fs.promises.readFile(pidFile, "utf8");
  } catch (err) {
    throw targetFailure(`pidfile missing: ${pidFile} (process.pidFile): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw targetFailure(`pidfile does not hold a pid: ${pidFile}: "${text.trim().slice(0, 40)}"`);
  return { pid, pidFile };
}

const alive = pidAlive;

async function usage(pid: number, pidFile: string) {
  try {
    return await pidusage(pid);
  } catch (err) {
    throw targetFailure(`pipeline process gone: pid ${pid} from ${pidFile}: ${errorText(err)}`);
  }
}

/**
 * RSS and CPU of the pipeline process over a sampling window: a pidusage reading every
 * cpuSampleIntervalMs for cpuWindowMs (the first reading is a 0-delta for CPU and is discarded).
 */
export function probeResources(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<ResourcesMeasurement>> {
  return runProbe(async () => {
    const { pid, pidFile } = await readPid(target);
    if (!alive(pid)) throw targetFailure(`pipeline process gone: pid ${pid} from ${pidFile} is not running`);
    const { cpuWindowMs: windowMs, cpuSampleIntervalMs: intervalMs } = target.process;
    const samples: ResourceSample[] = [];
    let startedAtMs = await procStartTimeMs(pid);
    try {
      const first = await usage(pid, pidFile); // primes the CPU delta
      if (startedAtMs === null && Number.isFinite(first.timestamp) && Number.isFinite(first.elapsed)) startedAtMs = Math.round(first.timestamp - first.elapsed);
      const n = Math.max(1, Math.round(windowMs / intervalMs));
      const t0 = performance.now();
      for (let i = 1; i <= n; i++) {
        const wait = t0 + i * intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        const u = await usage(pid, pidFile);
        samples.push({
          at: ctx.now(),
          rssMb: Math.round((u.memory / MB) * 100) / 100,
          cpuPercent: Math.round(u.cpu * 100) / 100,
        });
      }
    } finally {
      pidusage.clear();
    }
    const cpu = samples.map((s) => s.cpuPercent);
    const rss = samples.map((s) => s.rssMb);
    const identity: ProcessIdentity = { pid, startedAtMs };
    const { restart } = detectRestart(ctx.previous?.processIdentity, identity, ctx.now());
    return {
      pid,
      pidFile,
      windowMs,
      intervalMs,
      samples,
      rssMbMax: Math.max(...rss),
      rssMbLast: rss[rss.length - 1]!,
      cpuPercentMean: Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 100) / 100,
      cpuPercentMax: Math.max(...cpu),
      process: identity,
      restart,
    };
  });
}
