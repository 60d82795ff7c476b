/**
 * The 24-hour watch (issue 9 §6), `npm run bench -- --only=watch`:
 *
 * 1. The compressed 24 hours: `npm run monitor -- --cutover --speed 1440` (the demo's speed) on a
 *    healthy reference pipeline the watch starts itself, the default schedule (20 checkpoints),
 *    a sample every 15 s of its clock. Wall time from spawn to exit, every checkpoint's wall time
 *    inside the watch (the `ms` of its line in samples.jsonl), and the watch process's resident
 *    memory read from /proc every second: its growth from the first to the last fifth of the day.
 * 2. The watch's own cost in real time: a reference pipeline on V2 (cut over by
 *    `npm run checkpoint -- --phase=hour0`, as a team does), then `npm run monitor` sampling every
 *    15 s for N minutes (default 5). CPU as a share of one core = the watch process's utime+stime
 *    (/proc/PID/stat) over the window's wall time; RSS (VmRSS) every second. Only the watch's own
 *    process: the pipeline is measured alongside as the reference, not added to it.
 * 3. The observer's overhead: the same golden-tape KPI request the monitor sends
 *    (src/probes/kpi-latency.ts postGoldenTape), once a second, without the watch (before it
 *    starts and after it stops) and with it running; the ratio of the medians and of the p95s.
 *
 * The machine is shared: every part records the load average at its start and end.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorConfigSchema } from "../src/config/resolve.ts";
import { loadGolden, percentile, postGoldenTape } from "../src/probes/kpi-latency.ts";
import { freePort, machine, median, ROOT, round, run, sig4, startPipeline, stopPid, target, type Target } from "./util.ts";
import { readJsonl } from "../scripts/read-jsonl.js";

const LAUNCHER = path.join(ROOT, "bin", "cutover-monitor.mjs");
/** The alert channels blanked: a bench never pages anyone (values from .env are not read over these). */
const CHANNELS_OFF = { SLACK_WEBHOOK_URL: "", PAGERDUTY_ROUTING_KEY: "", SMTP_HOST: "", SMTP_USER: "", SMTP_PASS: "", ALERT_WEBHOOK_URL: "", CUTOVER_MONITOR_PING_URL: "" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((x) => round(x, 2));

let clockTicks = 0;
function ticksPerSecond(): number {
  if (!clockTicks) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** One process's CPU seconds (user + system, its own threads; not its children) and memory, from /proc. */
export function readProc(pid: number): { cpuS: number; rssMb: number; hwmMb: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { cpuS: (Number(f[11]) + Number(f[12])) / ticksPerSecond(), rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

interface ProcPoint {
  /** Real ms since the process was spawned. */
  t: number;
  cpuS: number;
  rssMb: number;
}

/** `node bin/cutover-monitor.mjs monitor ...` (what `npm run monitor` runs), its output kept with real times, /proc read every second. */
class WatchProcess {
  readonly child: ChildProcess;
  readonly started = performance.now();
  readonly points: ProcPoint[] = [];
  readonly lines: { t: number; text: string }[] = [];
  hwmMb = 0;
  exit: Promise<{ code: number | null; signal: string | null; wallMs: number }>;
  private timer: NodeJS.Timeout;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [LAUNCHER, "monitor", ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...CHANNELS_OFF, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const text of parts) this.lines.push({ t: performance.now() - this.started, text });
    };
    this.child.stdout!.on("data", onData);
    this.child.stderr!.on("data", onData);
    this.timer = setInterval(() => this.poll(), 1000);
    this.exit = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        clearInterval(this.timer);
        resolve({ code, signal, wallMs: performance.now() - this.started });
      });
    });
  }

  poll(): ReturnType<typeof readProc> {
    const p = this.child.pid ? readProc(this.child.pid) : null;
    if (p) {
      this.points.push({ t: performance.now() - this.started, cpuS: p.cpuS, rssMb: p.rssMb });
      this.hwmMb = Math.max(this.hwmMb, p.hwmMb);
    }
    return p;
  }

  /** The first output line matching, with its real time (ms since spawn). */
  lineAt(re: RegExp): number | null {
    return this.lines.find((l) => re.test(l.text))?.t ?? null;
  }

  tail(n = 15): string {
    return this.lines.slice(-n).map((l) => l.text).join("\n");
  }
}


function writeConfig(dir: string, body: object): string {
  const file = path.join(dir, "bench-watch.config.ts");
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(ROOT, "src", "config", "define-config.js"))};\nexport default defineConfig(${JSON.stringify(body, null, 2)});\n`);
  return file;
}

/** Stops the reference pipeline of a state dir by the pids it wrote (supervisor first). */
async function stopPipelineDir(dir: string): Promise<void> {
  for (const name of ["supervisor.pid", "pipeline.pid"]) {
    try {
      const pid = Number(fs.readFileSync(path.join(dir, name), "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) await stopPid(pid, 5000);
    } catch {
      /* no such pidfile */
    }
  }
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? percentile(s, p) : NaN;
};

// ------------------------------------------------------------------ 1. compressed 24 hours

export interface CheckpointTime {
  slot: string;
  verdict: string;
  ms: number | null;
  late_min: number | null;
}

export interface Compressed24h {
  speed: number;
  sample_every_s: number;
  /** 24 h / speed: the schedule's own length in real seconds. */
  clock_s: number;
  wall_s: number;
  exit_code: number | null;
  verdict: string | null;
  checkpoints: CheckpointTime[];
  stability_ms: number[];
  stability_median_ms: number;
  stability_max_ms: number;
  /** Where a stability checkpoint's time went (its record's timings_ms, medians, real ms): vitest and the probes. */
  stability_parts_ms: { specs: number; collect: number; slowest_probe: string } | null;
  samples: number;
  sample_median_ms: number;
  alerts_fired: string[];
  /** The watch process only. */
  cpu_s: number;
  cpu_percent_of_core: number;
  /**
   * Growth judged on the floors: the lowest reading of each tenth of the day after the cutover (the
   * memory the watch keeps between a checkpoint's vitest run and the next, below the GC sawtooth).
   * The first tenth is the warm-up (the first checkpoints load vitest and the specs into the
   * process); after it, growth = median of the last three floors - median of the three after the
   * warm-up; noise = the spread (max - min) of the five floors after the warm-up.
   */
  rss: { peak_mb: number; hwm_mb: number; floors_mb: number[]; first_floors_mb: number; last_floors_mb: number; growth_mb: number; noise_mb: number; median_first_fifth_mb: number; median_last_fifth_mb: number; slope_mb_per_min: number; points: number; after_s: number };
  load_avg: { start: number[]; end: number[] };
}

async function compressed24h(progress: (t: string) => void, speed: number): Promise<Compressed24h> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-watch-24h-"));
  const reports = path.join(dir, "reports");
  const pipelineDir = path.join(dir, "pipeline");
  const loadStart = load();
  try {
    const port = await freePort();
    const config = writeConfig(dir, { name: "bench: the compressed 24 hours" });
    progress(`watch: compressed 24 hours at x${speed} (${round(1440 / speed, 1)} min of clock), default schedule, pipeline on port ${port}`);
    const w = new WatchProcess(["--cutover", "--speed", String(speed), "--config", config], { PIPELINE_DIR: pipelineDir, PIPELINE_PORT: String(port), CUTOVER_REPORTS_DIR: reports });
    const limit = setTimeout(() => w.child.kill("SIGTERM"), 20 * 60_000);
    const end = await w.exit;
    clearTimeout(limit);
    const lines = readJsonl(path.join(reports, "samples.jsonl"));
    const cps = lines.filter((l) => l.kind === "checkpoint");
    const samples = lines.filter((l) => l.kind === "sample");
    const last = lines[lines.length - 1];
    if (!cps.length) throw new Error(`the watch ran no checkpoint (exit ${end.code}):\n${w.tail()}`);
    const checkpoints: CheckpointTime[] = cps.map((c) => ({ slot: c.slot, verdict: c.verdict, ms: typeof c.ms === "number" ? c.ms : null, late_min: c.late_min ?? null }));
    if (checkpoints.some((c) => c.ms === null)) throw new Error("samples.jsonl's checkpoint lines carry no `ms` (src/monitor/watch.ts records each checkpoint's real duration)");
    const stability = checkpoints.filter((c) => c.slot.startsWith("stability@")).map((c) => c.ms!);
    // Memory after the cutover (hour0 done: the watch is in its steady work of samples and checkpoints).
    const after = w.lineAt(/cutover recorded at/) ?? 0;
    const pts = w.points.filter((p) => p.t >= after);
    const rss = pts.map((p) => p.rssMb);
    const fifth = Math.max(1, Math.floor(rss.length / 5));
    const tenth = rss.length / 10;
    const floors = Array.from({ length: 10 }, (_, k) => Math.min(...rss.slice(Math.floor(k * tenth), Math.max(Math.floor(k * tenth) + 1, Math.floor((k + 1) * tenth)))));
    const firstFloors = median(floors.slice(1, 4));
    const lastFloors = median(floors.slice(-3));
    const noise = Math.max(...floors.slice(1, 6)) - Math.min(...floors.slice(1, 6));
    // The stability checkpoints' records: timings_ms are real ms (the watch's clock holds while a
    // checkpoint runs).
    const records = readJsonl(path.join(reports, "checkpoints.jsonl")).filter((r) => r.phase === "stability" && r.metrics?.timings_ms);
    const tm = records.map((r) => r.metrics.timings_ms as { collect: number; specs: number; probes: Record<string, number> });
    const probeMedians = Object.keys(tm[0]?.probes ?? {}).map((k) => [k, median(tm.map((x) => x.probes[k] ?? 0))] as const).sort((a, b) => b[1] - a[1]);
    const n = pts.length;
    const mt = pts.reduce((a, p) => a + p.t, 0) / n;
    const mr = rss.reduce((a, r) => a + r, 0) / n;
    const slope = pts.reduce((a, p) => a + (p.t - mt) * (p.rssMb - mr), 0) / Math.max(1e-9, pts.reduce((a, p) => a + (p.t - mt) ** 2, 0));
    const cpuEnd = w.points[w.points.length - 1]?.cpuS ?? NaN;
    const fired = [...new Set(samples.flatMap((s) => s.fired ?? []).concat(cps.flatMap((c) => c.firing ?? [])))];
    return {
      speed,
      sample_every_s: 15,
      clock_s: round((24 * 3600) / speed, 1),
      wall_s: round(end.wallMs / 1000, 1),
      exit_code: end.code,
      verdict: last?.kind === "end" ? (last.verdict ?? last.reason) : null,
      checkpoints,
      stability_ms: stability,
      stability_median_ms: Math.round(median(stability)),
      stability_max_ms: Math.max(...stability),
      stability_parts_ms: tm.length ? { specs: Math.round(median(tm.map((x) => x.specs))), collect: Math.round(median(tm.map((x) => x.collect))), slowest_probe: probeMedians[0] ? `${probeMedians[0][0]} ${Math.round(probeMedians[0][1])} ms` : "n/a" } : null,
      samples: samples.length,
      sample_median_ms: Math.round(median(samples.map((s) => s.ms))),
      alerts_fired: fired,
      cpu_s: round(cpuEnd, 1),
      cpu_percent_of_core: round((cpuEnd / (end.wallMs / 1000)) * 100, 1),
      rss: {
        peak_mb: round(Math.max(...w.points.map((p) => p.rssMb)), 1),
        hwm_mb: round(w.hwmMb, 1),
        floors_mb: floors.map((f) => round(f, 1)),
        first_floors_mb: round(firstFloors, 1),
        last_floors_mb: round(lastFloors, 1),
        growth_mb: round(lastFloors - firstFloors, 1),
        noise_mb: round(noise, 1),
        median_first_fifth_mb: round(median(rss.slice(0, fifth)), 1),
        median_last_fifth_mb: round(median(rss.slice(-fifth)), 1),
        slope_mb_per_min: round(slope * 60_000, 2),
        points: n,
        after_s: round(after / 1000, 1),
      },
      load_avg: { start: loadStart, end: load() },
    };
  } finally {
    await stopPipelineDir(pipelineDir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ 2 + 3. real time, observer overhead

interface LatencyWindow {
  label: string;
  requests: number;
  errors: number;
  p50_ms: number;
  p95_ms: number;
  mean_ms: number;
  seconds: number;
  load_avg: number[];
}

export interface RealTimeCost {
  minutes: number;
  sample_every_s: number;
  pipeline_interval_s: number;
  hour0_exit: number | null;
  window_s: number;
  samples_in_window: number;
  sample_median_ms: number;
  /** The watch process over the window: CPU seconds and share of one core. */
  cpu_s: number;
  cpu_percent_of_core: number;
  /** The pipeline (V2 service) over the same window: the reference. */
  pipeline_cpu_percent_of_core: number | null;
  rss_mb: { window_max: number; window_median: number; at_end: number; hwm: number; growth_in_window: number };
  pipeline_rss_mb: number | null;
  bare_node_rss_mb: number;
  watch_exit: { code: number | null; signal: string | null };
  latency: { without_before: LatencyWindow; with_watch: LatencyWindow; without_after: LatencyWindow; ratio_p50: number; ratio_p95: number };
  load_avg: { start: number[]; end: number[] };
}

/** The golden-tape KPI request, once per `everyMs`, for `ms`. */
async function latencyWindow(label: string, ms: number, call: () => Promise<{ ok: boolean; ms: number }>, everyMs = 1000): Promise<LatencyWindow> {
  const t0 = performance.now();
  const times: number[] = [];
  let errors = 0;
  for (let k = 0; performance.now() - t0 < ms; k++) {
    const wait = t0 + k * everyMs - performance.now();
    if (wait > 0) await sleep(wait);
    const r = await call().catch(() => ({ ok: false, ms: NaN }));
    if (r.ok) times.push(r.ms);
    else errors++;
  }
  return { label, requests: times.length + errors, errors, p50_ms: round(q(times, 50), 2), p95_ms: round(q(times, 95), 2), mean_ms: round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length), 2), seconds: round((performance.now() - t0) / 1000, 1), load_avg: load() };
}

async function bareNodeRss(): Promise<number> {
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    await sleep(1500);
    return round(readProc(bare.pid!)?.rssMb ?? NaN, 1);
  } finally {
    bare.kill();
  }
}

async function realTimeCost(progress: (t: string) => void, minutes: number): Promise<RealTimeCost> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-watch-rt-"));
  const reports = path.join(dir, "reports");
  const pipelineDir = path.join(dir, "pipeline");
  const loadStart = load();
  let watch: WatchProcess | undefined;
  let pipelinePid: number | undefined;
  try {
    const bare = await bareNodeRss();
    const p = await startPipeline(pipelineDir, ["--version", "v1"]);
    pipelinePid = p.pid;
    const env = { PIPELINE_DIR: pipelineDir, PIPELINE_PORT: String(p.port), CUTOVER_REPORTS_DIR: reports, ...CHANNELS_OFF };
    const config = writeConfig(dir, { name: "bench: the watch in real time" });
    progress(`watch: real time: pipeline pid ${p.pid} on port ${p.port} (interval 30 s); hour0 (the cutover) by npm run checkpoint`);
    const hour0 = await run(process.execPath, [LAUNCHER, "checkpoint", "--phase=hour0", "--config", config], { env, timeoutMs: 180_000 });
    if (hour0.code !== 0) progress(`watch: hour0 exited ${hour0.code}: ${hour0.stdout.split("\n").filter((l) => /FAIL|Checkpoint:/.test(l)).join(" | ")}`);
    // The service after the cutover (V2; the cutover restarts it).
    const servicePid = () => {
      try {
        return Number(fs.readFileSync(path.join(pipelineDir, "pipeline.pid"), "utf8").trim());
      } catch {
        return pipelinePid!;
      }
    };
    const targetConfig = monitorConfigSchema.parse({ target: { baseUrl: `http://127.0.0.1:${p.port}`, stateDir: pipelineDir } }).target;
    const golden = await loadGolden(targetConfig);
    let seq = 0;
    const call = async () => {
      const r = await postGoldenTape(targetConfig, golden, `bench-watch-${++seq}`);
      return { ok: r.status === 200, ms: r.ms };
    };
    const aside = Math.max(60_000, Math.round(minutes * 0.3 * 60_000));
    progress(`watch: pipeline latency without the watch (${aside / 1000} s)`);
    const before = await latencyWindow("without the watch (before)", aside, call);

    progress(`watch: npm run monitor, a sample every 15 s, for ${minutes} min`);
    watch = new WatchProcess(["--sample-every", "15", "--config", config], env);
    const samplesFile = path.join(reports, "samples.jsonl");
    const firstSample = Date.now() + 180_000;
    while (!readJsonl(samplesFile).some((l) => l.kind === "sample")) {
      if (Date.now() > firstSample || watch.child.exitCode !== null) throw new Error(`the watch took no sample within 180 s (exit ${watch.child.exitCode}):\n${watch.tail()}`);
      await sleep(200);
    }
    const w0 = watch.poll()!;
    const t0 = performance.now();
    const wallStart = new Date().toISOString();
    const pipe0 = readProc(servicePid());
    const inWindow = watch.points.length;
    const withWatch = await latencyWindow(`with the watch (${minutes} min)`, minutes * 60_000, call);
    const w1 = watch.poll()!;
    const pipe1 = readProc(servicePid());
    const windowS = (performance.now() - t0) / 1000;
    const wallEnd = new Date().toISOString();
    const windowRss = watch.points.slice(inWindow).map((x) => x.rssMb);
    watch.child.kill("SIGTERM");
    const exit = await Promise.race([watch.exit, sleep(60_000).then(() => null)]);
    if (!exit) watch.child.kill("SIGKILL");
    const samples = readJsonl(samplesFile).filter((l) => l.kind === "sample" && l.t >= wallStart && l.t <= wallEnd);

    progress(`watch: pipeline latency without the watch, after it stopped (${aside / 1000} s)`);
    const after = await latencyWindow("without the watch (after)", aside, call);
    const withoutAll = [before, after];
    const wMed = (f: (x: LatencyWindow) => number) => median(withoutAll.map(f));
    return {
      minutes,
      sample_every_s: 15,
      pipeline_interval_s: 30,
      hour0_exit: hour0.code,
      window_s: round(windowS, 1),
      samples_in_window: samples.length,
      sample_median_ms: Math.round(median(samples.map((s) => s.ms))),
      cpu_s: round(w1.cpuS - w0.cpuS, 2),
      cpu_percent_of_core: round(((w1.cpuS - w0.cpuS) / windowS) * 100, 2),
      pipeline_cpu_percent_of_core: pipe0 && pipe1 ? round(((pipe1.cpuS - pipe0.cpuS) / windowS) * 100, 2) : null,
      rss_mb: { window_max: round(Math.max(...windowRss), 1), window_median: round(median(windowRss), 1), at_end: round(w1.rssMb, 1), hwm: round(watch.hwmMb, 1), growth_in_window: round(w1.rssMb - w0.rssMb, 1) },
      pipeline_rss_mb: pipe1 ? round(pipe1.rssMb, 1) : null,
      bare_node_rss_mb: bare,
      watch_exit: exit ? { code: exit.code, signal: exit.signal } : { code: null, signal: "SIGKILL" },
      latency: { without_before: before, with_watch: withWatch, without_after: after, ratio_p50: sig4(withWatch.p50_ms / wMed((x) => x.p50_ms)), ratio_p95: sig4(withWatch.p95_ms / wMed((x) => x.p95_ms)) },
      load_avg: { start: loadStart, end: load() },
    };
  } finally {
    if (watch && watch.child.exitCode === null && watch.child.signalCode === null) watch.child.kill("SIGKILL");
    await stopPipelineDir(pipelineDir);
    if (pipelinePid) await stopPid(pipelinePid, 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ the part

export interface WatchBench {
  machine: ReturnType<typeof machine>;
  command: string;
  compressed?: Compressed24h;
  compressed_error?: string;
  real_time?: RealTimeCost;
  real_time_error?: string;
  total_s: number;
}

/** Both measurements, one after the other (never side by side: each would disturb the other). */
export async function benchWatch(progress: (t: string) => void, opts: { minutes?: number; speed?: number } = {}): Promise<WatchBench> {
  const t0 = performance.now();
  const minutes = opts.minutes ?? 5;
  const speed = opts.speed ?? 1440;
  const out: WatchBench = { machine: machine(), command: `npm run bench -- --only=watch${minutes !== 5 ? ` --watch-minutes=${minutes}` : ""}${speed !== 1440 ? ` --watch-speed=${speed}` : ""}`, total_s: 0 };
  // The launcher rebuilds dist/ when a source is newer: do that first, outside every measurement.
  await run(process.execPath, [LAUNCHER, "monitor", "--help"], { timeoutMs: 120_000 });
  try {
    out.compressed = await compressed24h(progress, speed);
  } catch (e) {
    out.compressed_error = String((e as Error)?.message ?? e);
    progress(`watch: compressed 24 hours FAILED: ${out.compressed_error}`);
  }
  try {
    out.real_time = await realTimeCost(progress, minutes);
  } catch (e) {
    out.real_time_error = String((e as Error)?.message ?? e);
    progress(`watch: real-time cost FAILED: ${out.real_time_error}`);
  }
  out.total_s = round((performance.now() - t0) / 1000, 1);
  if (!out.compressed && !out.real_time) throw new Error(`${out.compressed_error} / ${out.real_time_error}`.split("\n")[0]);
  progress(`watch: BENCHMARKS.md section:\n${watchMarkdown(out)}`);
  return out;
}

/** The watch's figures as targets of the summary (PASS/MISS in BENCHMARKS.md's table). */
export function watchTargets(b: WatchBench): Record<string, Target & { figure: string; reference: string }> {
  const T: Record<string, Target & { figure: string; reference: string }> = {};
  const c = b.compressed;
  if (c) {
    T.watch_24h_wall = { figure: `Compressed 24 hours (x${c.speed}, default schedule, ${c.checkpoints.length} checkpoints): the watch's wall time`, reference: `the schedule's own ${c.clock_s} s at x${c.speed} (wall ${sig4(c.wall_s / c.clock_s)}x)`, ...target(c.wall_s, "<=", 180, "s") };
    T.watch_stability_checkpoint = { figure: `Stability checkpoint inside the watch (in process), median of ${c.stability_ms.length}`, reference: `max ${c.stability_max_ms} ms; every checkpoint in BENCHMARKS.md's watch section`, ...target(round(c.stability_median_ms / 1000, 2), "<=", 1, "s") };
    T.watch_rss_growth = { figure: "Watch RSS growth over the compressed 24 hours (its floors: the lowest reading of each tenth of the day; the last three vs the three after the first tenth's warm-up)", reference: `noise: the spread of the five floors after the warm-up ${c.rss.noise_mb} MB; floors ${c.rss.first_floors_mb} -> ${c.rss.last_floors_mb} MB; ${c.rss.floors_mb[0]} MB in the warm-up`, ...target(c.rss.growth_mb, "<=", Math.max(c.rss.noise_mb, 0), "MB", "no growth beyond noise") };
  }
  const r = b.real_time;
  if (r) {
    T.watch_cpu = { figure: `Watch CPU in real time, a sample every 15 s, over ${r.minutes} min (share of one core)`, reference: `the pipeline it watches: ${r.pipeline_cpu_percent_of_core ?? "n/a"} % of a core over the same window`, ...target(r.cpu_percent_of_core, "<", 1, "%") };
    T.watch_rss = { figure: `Watch RSS in real time (max over ${r.minutes} min)`, reference: `a bare idle node ${r.bare_node_rss_mb} MB (watch ${sig4(r.rss_mb.window_max / r.bare_node_rss_mb)}x); the pipeline ${r.pipeline_rss_mb ?? "n/a"} MB`, ...target(r.rss_mb.window_max, "<", 150, "MB") };
  }
  return T;
}

const ok = (t: Target) => (t.pass ? "PASS" : "**MISS**");

/** BENCHMARKS.md's "The watch" section. */
export function watchMarkdown(b: WatchBench): string {
  const T = watchTargets(b);
  const m = b.machine;
  const out: string[] = [
    WATCH_HEADING,
    "",
    `Measured by \`${b.command}\` (bench/watch.ts) on ${m.date.slice(0, 16)}Z: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, Node ${m.node}; ${b.total_s} s in all. The machine was shared with other work: the load average (1/5/15 min) is given with each part.`,
    "",
  ];
  const c = b.compressed;
  if (c) {
    out.push(
      `**The compressed 24 hours.** \`npm run monitor -- --cutover --speed ${c.speed}\` (the demo's speed) on a healthy reference pipeline the watch starts itself, the default schedule, a sample every ${c.sample_every_s} s of the watch's clock; ended ${c.verdict ?? "?"} (exit ${c.exit_code}); ${c.samples} samples (median ${c.sample_median_ms} ms each); alerts fired: ${c.alerts_fired.join(", ") || "none"}. Load average ${c.load_avg.start.join(" / ")} at the start, ${c.load_avg.end.join(" / ")} at the end.`,
      "",
      "| Figure | Measured | Reference in the same run | Target | Result |",
      "|---|---|---|---|---|",
      `| Wall time, spawn to exit (starting the pipeline included) | **${c.wall_s} s** | the schedule's own ${c.clock_s} s (24 h / ${c.speed}); the checkpoints' real time ${round(c.checkpoints.reduce((a, x) => a + (x.ms ?? 0), 0) / 1000, 1)} s | <= 3 min | ${ok(T.watch_24h_wall!)} |`,
      `| Stability checkpoint inside the watch, median of ${c.stability_ms.length} | **${c.stability_median_ms} ms** | ${c.stability_ms.join(", ")} ms (max ${c.stability_max_ms} ms)${c.stability_parts_ms ? `; of it (medians of the records' timings_ms): vitest ${c.stability_parts_ms.specs} ms, the probes ${c.stability_parts_ms.collect} ms (slowest: ${c.stability_parts_ms.slowest_probe})` : ""} | <= 1 s | ${ok(T.watch_stability_checkpoint!)} |`,
      `| Watch RSS growth over the 24 hours: its floors (the lowest reading of each tenth of the day after the cutover), median of the last three - median of the three after the first tenth (the warm-up: the first checkpoints load vitest and the specs into the process) | **${c.rss.growth_mb} MB** (floors ${c.rss.floors_mb.join(", ")} MB) | noise: the spread of the five floors after the warm-up ${c.rss.noise_mb} MB; all readings: median ${c.rss.median_first_fifth_mb} MB in the first fifth, ${c.rss.median_last_fifth_mb} MB in the last (the final checkpoints' vitest runs), trend ${c.rss.slope_mb_per_min} MB per real minute; ${c.rss.points} readings, one a second | none beyond noise | ${ok(T.watch_rss_growth!)} |`,
      `| Watch RSS peak, CPU | ${c.rss.peak_mb} MB (VmHWM ${c.rss.hwm_mb} MB: the checkpoints run vitest in the watch's process, one after the other); ${c.cpu_s} CPU s, ${c.cpu_percent_of_core} % of a core over the run | | | - |`,
      "",
      "Every checkpoint's wall time inside the watch (real ms, from the `ms` of its line in samples.jsonl; late: minutes of the watch's clock):",
      "",
      `| ${c.checkpoints.map((x) => x.slot).join(" | ")} |`,
      `|${c.checkpoints.map(() => "---").join("|")}|`,
      `| ${c.checkpoints.map((x) => `${x.ms} ms${x.verdict !== "PASS" ? ` ${x.verdict}` : ""}${x.late_min ? `, late ${x.late_min}` : ""}`).join(" | ")} |`,
      "",
    );
  } else out.push(`The compressed 24 hours could not run: ${b.compressed_error?.split("\n")[0]}`, "");
  const r = b.real_time;
  if (r) {
    const L = r.latency;
    out.push(
      `**The watch's own cost in real time.** A reference pipeline (its default 30 s run interval) cut over to V2 by \`npm run checkpoint -- --phase=hour0\`, then \`npm run monitor\` sampling every ${r.sample_every_s} s; measured over ${r.window_s} s from its first sample (${r.samples_in_window} samples, median ${r.sample_median_ms} ms each), the watch's own process only (/proc/PID/stat and status, read every second); stopped by SIGTERM (exit ${r.watch_exit.code ?? r.watch_exit.signal}). Load average ${r.load_avg.start.join(" / ")} at the start, ${r.load_avg.end.join(" / ")} at the end.`,
      "",
      "| Figure | Measured | Reference in the same run | Target | Result |",
      "|---|---|---|---|---|",
      `| CPU, share of one core | **${r.cpu_percent_of_core} %** (${r.cpu_s} CPU s in ${r.window_s} s: about ${round(r.cpu_s / Math.max(1, r.samples_in_window), 2)} CPU s per sample) | the pipeline's service over the same window: ${r.pipeline_cpu_percent_of_core ?? "n/a"} % | < 1 % | ${ok(T.watch_cpu!)} |`,
      `| RSS | max **${r.rss_mb.window_max} MB**, median ${r.rss_mb.window_median} MB, ${r.rss_mb.at_end} MB at the end (${r.rss_mb.growth_in_window >= 0 ? "+" : ""}${r.rss_mb.growth_in_window} MB over the window); VmHWM ${r.rss_mb.hwm} MB (the startup and its config load included) | a bare idle node ${r.bare_node_rss_mb} MB; the pipeline's service ${r.pipeline_rss_mb ?? "n/a"} MB | < 150 MB | ${ok(T.watch_rss!)} |`,
      "",
      `**The observer's overhead.** The pipeline's latency: the golden-tape KPI request the monitor sends (\`POST /kpis\`, 1,000 rows), once a second from the bench process, without the watch before it starts and after it stops, and with it running (the same window as above).`,
      "",
      "| Window | Requests (errors) | p50 | p95 | mean | load average at its end |",
      "|---|---|---|---|---|---|",
      ...[L.without_before, L.with_watch, L.without_after].map((x) => `| ${x.label}, ${x.seconds} s | ${x.requests} (${x.errors}) | ${x.p50_ms} ms | ${x.p95_ms} ms | ${x.mean_ms} ms | ${x.load_avg.join(" / ")} |`),
      `| **with / without** (the median of the two windows without) | | **${L.ratio_p50}x** | **${L.ratio_p95}x** | | |`,
      "",
      "No target is set for the overhead; on a shared machine the other work's load moves these figures more than a sample every 15 s does.",
      "",
    );
  } else out.push(`The real-time cost could not be measured: ${b.real_time_error?.split("\n")[0]}`, "");
  return out.join("\n");
}

export const WATCH_HEADING = "## The watch (issue 9)";

/**
 * Writes the watch section into BENCHMARKS.md in place (replacing an earlier one, else appended),
 * leaving every other section as it is: what `--only=watch` does.
 */
export function writeWatchSection(file: string, b: WatchBench): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const section = watchMarkdown(b).trimEnd() + "\n";
  const start = text.indexOf(`\n${WATCH_HEADING}\n`);
  if (start < 0) {
    fs.writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf("\n## ", start + 1);
  fs.writeFileSync(file, text.slice(0, start + 1) + section + (next < 0 ? "" : `\n${text.slice(next + 1)}`));
}
