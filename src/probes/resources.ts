import fs from "node:fs";
import { pidAlive } from "../state/pid.js";
import { setTimeout as sleep } from "node:timers/promises";
import pidusage from "pidusage";
import { resolveTargetPath, targetUrl, type TargetConfig } from "../config/target.js";
import { bodySnippet, errorText, httpRequest, monitorFailure, notApplicable, runProbe, targetFailure } from "./target-io.js";
import { metricValue, parsePrometheusText, PromParseError } from "./prometheus.js";
import type { ProbeContext, ProbeResult, ProbeState, ProcessIdentity } from "./probe.js";

export interface ResourceSample {
  /** Epoch ms. */
  at: number;
  rssMb: number;
  /** % of one core since the previous sample (can exceed 100). */
  cpuPercent: number;
}

export interface ResourcesMeasurement {
  /**
   * Where memory, CPU and the process identity came from: "pidfile" (the pid in process.pidFile,
   * read on this host) or "metrics" (the target's Prometheus process metrics: no pidfile is
   * reachable from where the monitor runs, process.pidFile: null).
   */
  source: "pidfile" | "metrics";
  /** The source in words, for the checks' measured text: "pid 123 (pidfile /x/pipeline.pid)", "the process metrics at http://x/metrics (no pidfile here)". */
  sourceText: string;
  /** null with the metrics source (process metrics carry no pid). */
  pid: number | null;
  /** The pidfile read (source "pidfile"), else null. */
  pidFile: string | null;
  /** The metrics endpoint and the metric names read (source "metrics"). */
  metrics?: { url: string; residentMemory: string; cpuSeconds: string; startTime: string };
  windowMs: number;
  intervalMs: number;
  /** The first reading (pidusage's, or the first scrape: a 0-delta for CPU) is discarded. */
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
 * a changed pid, or a start time more than START_TIME_TOLERANCE_MS away (with the process
 * metrics, which carry no pid, the start time alone); the first observation is not one. Restart times are the monitor's clock at detection; those older
 * than an hour drop out.
 */
export function detectRestart(
  previous: ProbeState["processIdentity"] | undefined,
  current: ProcessIdentity,
  nowMs: number,
): { restart: RestartInfo; state: NonNullable<ProbeState["processIdentity"]> } {
  const prev = previous && (previous.pid === null || Number.isInteger(previous.pid)) ? previous : undefined;
  const startChanged =
    !!prev && prev.startedAtMs != null && current.startedAtMs != null && Math.abs(prev.startedAtMs - current.startedAtMs) > START_TIME_TOLERANCE_MS;
  // A pid known on one side only (the process metrics carry none): the start time decides.
  const pidChanged = !!prev && prev.pid !== null && current.pid !== null && prev.pid !== current.pid;
  const restarted = !!prev && (pidChanged || startChanged);
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
  if (target.process.pidFile === null) throw monitorFailure("no pidfile configured (process.pidFile: null)");
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
 * RSS and CPU of the pipeline process over a sampling window, every cpuSampleIntervalMs for
 * cpuWindowMs (the first reading is a 0-delta for CPU and is discarded): from the pidfile's pid
 * (pidusage) or, with `process.pidFile: null` (no pidfile reachable from where the monitor runs),
 * from the target's Prometheus process metrics. Neither configured: N/A.
 */
export function probeResources(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<ResourcesMeasurement>> {
  return runProbe(async () => {
    if (target.process.pidFile !== null) return fromPidfile(target, ctx);
    if (target.metrics.path !== null) return fromMetrics(target, ctx, target.metrics.path);
    throw notApplicable("no pidfile and no metrics endpoint reachable from where the monitor runs (process.pidFile: null, metrics.path: null): memory, CPU and restarts are not measured here");
  });
}

function summary(samples: ResourceSample[]) {
  const cpu = samples.map((s) => s.cpuPercent);
  const rss = samples.map((s) => s.rssMb);
  return {
    rssMbMax: Math.max(...rss),
    rssMbLast: rss[rss.length - 1]!,
    cpuPercentMean: Math.round((cpu.reduce((a, b) => a + b, 0) / cpu.length) * 100) / 100,
    cpuPercentMax: Math.max(...cpu),
  };
}

async function fromPidfile(target: TargetConfig, ctx: ProbeContext): Promise<ResourcesMeasurement> {
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
  const identity: ProcessIdentity = { pid, startedAtMs };
  const { restart } = detectRestart(ctx.previous?.processIdentity, identity, ctx.now());
  return {
    source: "pidfile",
    sourceText: `pid ${pid} (pidfile ${pidFile})`,
    pid,
    pidFile,
    windowMs,
    intervalMs,
    samples,
    ...summary(samples),
    process: identity,
    restart,
  };
}

interface Scrape {
  /** Epoch ms (the probe's clock) when the answer arrived. */
  at: number;
  /** performance.now() half-way through the request: the moment the target read its counters, near enough. */
  mid: number;
  rssBytes: number;
  cpuSeconds: number;
  startTimeSeconds: number | null;
}

/** One GET of the metrics endpoint, read for the process metrics. Unreachable or an HTTP error: target failure; not Prometheus text, or a process metric missing: monitor failure. */
async function scrape(target: TargetConfig, url: string, ctx: ProbeContext): Promise<Scrape> {
  const names = target.process.metrics;
  const t0 = performance.now();
  let res;
  try {
    res = await httpRequest("GET", url, { timeoutMs: target.requestTimeoutMs, headers: { accept: "text/plain" } });
  } catch (err) {
    throw targetFailure(`process metrics not read (no pidfile here, process.pidFile: null): ${errorText(err)}`, err);
  }
  const mid = (t0 + performance.now()) / 2;
  const at = ctx.now();
  if (res.status === 404) throw monitorFailure(`process metrics not read: GET ${url} answered 404: no metrics endpoint there (metrics.path)`);
  if (res.status < 200 || res.status >= 300) throw targetFailure(`process metrics not read: metrics endpoint answered HTTP ${res.status}: GET ${url}: ${bodySnippet(res.text)}`);
  let parsed;
  try {
    parsed = parsePrometheusText(res.text);
  } catch (err) {
    const detail = err instanceof PromParseError ? err.message : errorText(err);
    throw monitorFailure(`process metrics not read: metrics endpoint answered non-Prometheus text: GET ${url}: ${detail}`);
  }
  const rssBytes = metricValue(parsed, names.residentMemoryBytes);
  const cpuSeconds = metricValue(parsed, names.cpuSecondsTotal);
  const missing = [
    rssBytes === null ? `${names.residentMemoryBytes} (process.metrics.residentMemoryBytes)` : null,
    cpuSeconds === null ? `${names.cpuSecondsTotal} (process.metrics.cpuSecondsTotal)` : null,
  ].filter((x) => x !== null);
  if (missing.length) throw monitorFailure(`process metrics not read: GET ${url} has no ${missing.join(" and no ")}: the pipeline does not export them, or the config names others`);
  return { at, mid, rssBytes: rssBytes!, cpuSeconds: cpuSeconds!, startTimeSeconds: metricValue(parsed, target.metrics.processStartTime) };
}

/**
 * Memory and CPU from the process metrics: a scrape every cpuSampleIntervalMs over cpuWindowMs
 * after a first one. RSS is the gauge; CPU is the counter's increase over the time between two
 * scrapes (% of one core). A scrape costs the target a little CPU of its own (prom-client's
 * default metrics: about 2 ms, so about 1 % of a core at a 200 ms interval), which this counts.
 * The identity is the start time (process_start_time_seconds): the metrics carry no pid.
 */
async function fromMetrics(target: TargetConfig, ctx: ProbeContext, metricsPath: string): Promise<ResourcesMeasurement> {
  const url = targetUrl(target, metricsPath);
  const { cpuWindowMs: windowMs, cpuSampleIntervalMs: intervalMs } = target.process;
  const names = target.process.metrics;
  const samples: ResourceSample[] = [];
  let prev = await scrape(target, url, ctx); // primes the CPU delta
  const n = Math.max(1, Math.round(windowMs / intervalMs));
  const t0 = performance.now();
  // Slow answers shorten the window rather than stretch the probe past its deadline.
  const stopAt = t0 + windowMs + target.requestTimeoutMs;
  for (let i = 1; i <= n; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    const cur = await scrape(target, url, ctx);
    const seconds = (cur.mid - prev.mid) / 1000;
    const sameProcess = cur.startTimeSeconds === prev.startTimeSeconds && cur.cpuSeconds >= prev.cpuSeconds;
    // A restart inside the window: the counter started again; that pair says nothing about CPU.
    if (sameProcess && seconds > 0) {
      samples.push({
        at: cur.at,
        rssMb: Math.round((cur.rssBytes / MB) * 100) / 100,
        cpuPercent: Math.round(((cur.cpuSeconds - prev.cpuSeconds) / seconds) * 100 * 100) / 100,
      });
    }
    prev = cur;
    if (samples.length && performance.now() > stopAt) break;
  }
  if (!samples.length) throw targetFailure(`process metrics: no two scrapes of ${url} of the same process within ${windowMs} ms (the process restarted during the window): measured nothing`);
  const startedAtMs = prev.startTimeSeconds === null ? null : Math.round(prev.startTimeSeconds * 1000);
  const identity: ProcessIdentity = { pid: null, startedAtMs };
  const { restart } = detectRestart(ctx.previous?.processIdentity, identity, ctx.now());
  return {
    source: "metrics",
    sourceText: `the process metrics at ${url} (no pidfile here)`,
    pid: null,
    pidFile: null,
    metrics: { url, residentMemory: names.residentMemoryBytes, cpuSeconds: names.cpuSecondsTotal, startTime: target.metrics.processStartTime },
    windowMs,
    intervalMs,
    samples,
    ...summary(samples),
    process: identity,
    restart,
  };
}
