/**
 * Fault injection for the reference pipeline. Off unless the service was started with
 * --allow-faults or a --fault; then `faults.json` in the state dir is polled and applied
 * within a second, without a restart.
 *
 * Semantics (every fault is real, so a monitor can see it the way it would in production):
 * - latency:MS          sleep MS before responding to POST /kpis (after the computation, so it is
 *                       visible end to end but not in Server-Timing compute nor the latency histogram)
 * - errors:PERCENT      deterministic and evenly spread: the n-th KPI request (counted from when the
 *                       fault was set) fails iff floor(n*p/100) > floor((n-1)*p/100); the same for runs
 * - leak:MB_PER_MIN     Buffers filled with data are retained (4 slices a second), so RSS grows
 * - cpu:PERCENT         a worker thread of the service burns that share of one core (duty cycle in
 *                       100 ms slices), so pidusage on the service pid sees it
 * - nulls:PERCENT       floor(rows*p/100) rows of outputs/loans_processed.csv get an empty
 *                       total_receivable_usd (rows picked by the same even spread as errors)
 * - duplicates:PERCENT  floor(rows*p/100) rows are written twice (same loan_id, next line)
 * - audit:off           audit events are no longer written; everything else still claims success
 * - outputs:off         writing outputs fails -> the run fails with an ERROR line
 * - stale-outputs       runs succeed but outputs are not rewritten
 * - crash:SECONDS       the process kills itself (SIGKILL) SECONDS after the fault is applied
 * - local|azure|supabase:MODE  one output channel only (pipeline/outputs/): down (its write fails,
 *                       a WARN line, the run and the other channels go on), stale (not written, no
 *                       line), partial (half the rows), drift (one KPI differs), corrupt (one row with a
 *                       negative amount whose buckets no longer add up). The manifest stays the run's own.
 * - restart[:N]         a token consumed on use: the service process that applies it first rewrites
 *                       faults.json with the token used up (restart:N -> restart:N-1, restart:1 and
 *                       restart -> removed), then exits with RESTART_FAULT_EXIT_CODE. So one
 *                       activation (`pipeline fault restart`) is exactly one exit; under
 *                       `start --supervise` the service comes back with a new pid, and with
 *                       restart:N the restarted processes consume the rest (N exits in a row).
 *                       Run-time only (faults.json / `pipeline fault`), never a start flag.
 */
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { readJson, writeJsonAtomic } from "../service/common.ts";

export interface FaultSet {
  latencyMs?: number;
  errorsPercent?: number;
  leakMbPerMin?: number;
  cpuPercent?: number;
  nullsPercent?: number;
  duplicatesPercent?: number;
  auditOff?: boolean;
  outputsOff?: boolean;
  staleOutputs?: boolean;
  crashAfterS?: number;
  /** Faults of one output channel each (local:partial, azure:down, ...). */
  channels?: Partial<Record<OutputChannel, ChannelFault>>;
  /** Pending restart tokens (restart = restart:1). */
  restartCount?: number;
}

export const OUTPUT_CHANNELS = ["local", "azure", "supabase"] as const;
export type OutputChannel = (typeof OUTPUT_CHANNELS)[number];
export const CHANNEL_FAULTS = ["down", "stale", "partial", "drift", "corrupt"] as const;
export type ChannelFault = (typeof CHANNEL_FAULTS)[number];

/** Exit code of a service process that consumed a restart token (a failure, so a supervisor restarts it). */
export const RESTART_FAULT_EXIT_CODE = 1;
export const MAX_RESTART_TOKENS = 100;

export interface FaultsFile {
  allowed: boolean;
  faults: string[];
}

export class FaultSpecError extends Error {}

function num(spec: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (raw === undefined || raw === "" || !Number.isFinite(n) || n < min || n > max)
    throw new FaultSpecError(`invalid fault "${spec}": value must be a number in ${min}..${max}`);
  return n;
}

/** Parse and validate one spec; returns it normalised. Throws FaultSpecError. */
export function parseFaultSpec(spec: string, into: FaultSet = {}): FaultSet {
  const [name, value, ...rest] = spec.trim().split(":");
  if (rest.length) throw new FaultSpecError(`invalid fault "${spec}"`);
  switch (name) {
    case "latency":
      into.latencyMs = num(spec, value, 0, 600_000);
      break;
    case "errors":
      into.errorsPercent = num(spec, value, 0, 100);
      break;
    case "leak":
      into.leakMbPerMin = num(spec, value, 0, 100_000);
      break;
    case "cpu":
      into.cpuPercent = num(spec, value, 0, 100);
      break;
    case "nulls":
      into.nullsPercent = num(spec, value, 0, 100);
      break;
    case "duplicates":
      into.duplicatesPercent = num(spec, value, 0, 100);
      break;
    case "audit":
    case "outputs":
      if (value !== "off") throw new FaultSpecError(`invalid fault "${spec}": expected ${name}:off`);
      if (name === "audit") into.auditOff = true;
      else into.outputsOff = true;
      break;
    case "stale-outputs":
      if (value !== undefined) throw new FaultSpecError(`invalid fault "${spec}": stale-outputs takes no value`);
      into.staleOutputs = true;
      break;
    case "crash":
      into.crashAfterS = num(spec, value, 0, 86_400);
      break;
    case "local":
    case "azure":
    case "supabase":
      if (!CHANNEL_FAULTS.includes(value as ChannelFault)) throw new FaultSpecError(`invalid fault "${spec}": expected ${name}:${CHANNEL_FAULTS.join("|")}`);
      into.channels = { ...into.channels, [name]: value as ChannelFault };
      break;
    case "restart": {
      const n = value === undefined ? 1 : num(spec, value, 1, MAX_RESTART_TOKENS);
      if (!Number.isInteger(n)) throw new FaultSpecError(`invalid fault "${spec}": restart takes a whole number of restarts`);
      into.restartCount = n;
      break;
    }
    default:
      throw new FaultSpecError(
        `unknown fault "${spec}" (latency:MS errors:PCT leak:MB_PER_MIN cpu:PCT nulls:PCT duplicates:PCT audit:off outputs:off stale-outputs crash:S restart[:N] local|azure|supabase:down|stale|partial|drift|corrupt)`,
      );
  }
  return into;
}

/** True for a `restart` spec (run-time only: it cannot be given as a start flag). */
export function isRestartSpec(spec: string): boolean {
  return spec.trim().split(":")[0] === "restart";
}

/** The specs with one restart token used up: restart:N -> restart:N-1, the last one removed. */
export function consumeRestartToken(specs: string[]): string[] {
  const out: string[] = [];
  for (const s of specs) {
    if (!isRestartSpec(s)) {
      out.push(s);
      continue;
    }
    const n = parseFaultSpec(s).restartCount ?? 1;
    if (n > 1) out.push(`restart:${n - 1}`);
  }
  return out;
}

export function parseFaults(specs: string[]): FaultSet {
  const set: FaultSet = {};
  for (const s of specs) parseFaultSpec(s, set);
  return set;
}

export function readFaultsFile(file: string): FaultsFile {
  const f = readJson<FaultsFile>(file);
  if (!f || typeof f !== "object") return { allowed: false, faults: [] };
  return { allowed: f.allowed === true, faults: Array.isArray(f.faults) ? f.faults.map(String) : [] };
}

export function writeFaultsFile(file: string, f: FaultsFile): void {
  writeJsonAtomic(file, f);
}

/** Even spread: the n-th event (1-based) is hit iff floor(n*p/100) > floor((n-1)*p/100). */
export function evenHit(n: number, percent: number): boolean {
  return Math.floor((n * percent) / 100) > Math.floor(((n - 1) * percent) / 100);
}

/** Number of hits among the first `rows` events: floor(rows*p/100). */
export function evenHits(rows: number, percent: number): number {
  return Math.floor((rows * percent) / 100);
}

/**
 * CPU burner (worker thread of the service process). Feedback on the process's own CPU time
 * (process.cpuUsage is process-wide): each ~100 ms slice it burns until the process has used
 * `percent` % of one core since the fault was set (debt capped at 400 ms), else it sleeps. Two
 * such threads share the work, so the share holds under scheduler contention (a busy 2-core
 * machine) and already includes the service's own work.
 */
const CPU_WORKER = `
const { workerData } = require("node:worker_threads");
const sab = new Int32Array(new SharedArrayBuffer(4));
let percent = workerData.percent;
let t0 = performance.now();
let c0 = process.cpuUsage();
function used() { const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; }
function slice() {
  const now = performance.now();
  let target = (now - t0) * percent / 100;
  let u = used();
  if (target - u > 400) { c0 = process.cpuUsage(); t0 = now - 400 * 100 / percent; u = 0; target = 400; }
  if (u < target) {
    const end = now + 100;
    while (performance.now() < end && used() < (performance.now() - t0) * percent / 100) {
      for (let i = 0; i < 20000; i++) { /* burn */ }
    }
  } else {
    Atomics.wait(sab, 0, 0, Math.min(100, (u - target) * 100 / percent + 1));
  }
  setImmediate(slice);
}
slice();
`;

/**
 * The live fault state of a service process: what is active, counters for the even spread,
 * and the actuators (leak buffers, cpu worker, crash timer).
 */
export class FaultRuntime {
  active: FaultSet = {};
  specs: string[] = [];
  private requestN = 0;
  private runN = 0;
  private leakTimer?: NodeJS.Timeout;
  private leaked: Buffer[] = [];
  private cpuWorkers: Worker[] = [];
  private crashTimer?: NodeJS.Timeout;
  private lastRaw = "";
  private watchTimer?: NodeJS.Timeout;

  constructor(
    private enabled: boolean,
    private file: string,
    private onChange: (specs: string[], error?: string) => void = () => {},
    /** Called (on the next tick, after onChange) when a restart token was consumed; must end the process. */
    private onRestart: (info: { spec: string; remaining: string[] }) => void = () => process.exit(RESTART_FAULT_EXIT_CODE),
  ) {}

  get leakedBytes(): number {
    return this.leaked.reduce((a, b) => a + b.length, 0);
  }

  /** Poll faults.json every 250 ms (fs.watch is unreliable with atomic renames). */
  watch(): void {
    if (!this.enabled) return;
    this.poll();
    this.watchTimer = setInterval(() => this.poll(), 250);
    this.watchTimer.unref();
  }

  poll(): void {
    let raw = "";
    try {
      raw = fs.readFileSync(this.file, "utf8");
    } catch {
      raw = "";
    }
    if (raw === this.lastRaw) return;
    this.lastRaw = raw;
    const f = readFaultsFile(this.file);
    try {
      this.apply(f.faults);
      this.onChange(this.specs);
    } catch (e) {
      this.onChange(this.specs, (e as Error).message);
    }
  }

  apply(specs: string[]): void {
    if (!this.enabled) return;
    let next = parseFaults(specs);
    if (next.restartCount !== undefined) {
      // Consume the token BEFORE exiting, durably (atomic rename): the restarted process reads
      // faults.json again and must not find the same token, so one activation is one exit.
      const spec = specs.find(isRestartSpec)!;
      const remaining = consumeRestartToken(specs);
      writeFaultsFile(this.file, { allowed: readFaultsFile(this.file).allowed || this.enabled, faults: remaining });
      try {
        this.lastRaw = fs.readFileSync(this.file, "utf8");
      } catch {
        /* the exit below happens anyway */
      }
      specs = remaining;
      next = parseFaults(specs);
      setImmediate(() => this.onRestart({ spec, remaining }));
    }
    const prev = this.active;
    this.active = next;
    this.specs = [...specs];
    if (next.errorsPercent !== prev.errorsPercent) {
      this.requestN = 0;
      this.runN = 0;
    }
    // leak
    if (next.leakMbPerMin !== prev.leakMbPerMin) {
      if (this.leakTimer) clearInterval(this.leakTimer);
      this.leakTimer = undefined;
      if (!next.leakMbPerMin) this.leaked = [];
      else {
        const perTick = Math.max(1, Math.round((next.leakMbPerMin * 1024 * 1024) / 60 / 4));
        this.leakTimer = setInterval(() => {
          // Buffer.alloc with a fill writes every page, so the memory is resident, not just reserved.
          this.leaked.push(Buffer.alloc(perTick, this.leaked.length % 251));
        }, 250);
      }
    }
    // cpu
    if (next.cpuPercent !== prev.cpuPercent) {
      for (const w of this.cpuWorkers) void w.terminate();
      this.cpuWorkers = [];
      if (next.cpuPercent) {
        for (let i = 0; i < 2; i++) {
          const w = new Worker(CPU_WORKER, { eval: true, workerData: { percent: next.cpuPercent } });
          w.unref();
          this.cpuWorkers.push(w);
        }
      }
    }
    // crash
    if (next.crashAfterS !== prev.crashAfterS) {
      if (this.crashTimer) clearTimeout(this.crashTimer);
      this.crashTimer = undefined;
      if (next.crashAfterS !== undefined) {
        this.crashTimer = setTimeout(() => process.kill(process.pid, "SIGKILL"), next.crashAfterS * 1000);
      }
    }
  }

  /** Call once per POST /kpis; true when this request must fail. */
  nextRequestFails(): boolean {
    const p = this.active.errorsPercent;
    if (!p) return false;
    return evenHit(++this.requestN, p);
  }

  /** Call once per run; true when this run must fail. */
  nextRunFails(): boolean {
    const p = this.active.errorsPercent;
    if (!p) return false;
    return evenHit(++this.runN, p);
  }

  stop(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    if (this.leakTimer) clearInterval(this.leakTimer);
    if (this.crashTimer) clearTimeout(this.crashTimer);
    for (const w of this.cpuWorkers) void w.terminate();
    this.leaked = [];
  }
}

export function ensureFaultsDir(file: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
}
