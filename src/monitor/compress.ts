/**
 * `--speed N`: every duration scaled by N (docs/DESIGN.md "The watch", time compression).
 * The monitor's own durations (schedule, sampling, hold and escalation timers, stale limits,
 * growth per hour) run on the simulated clock and need no change. The durations the probes hold
 * against the target's real timestamps (windows, log silence, output age, the CPU window) are
 * divided by N here, each with a physical floor: a window cannot be shorter than what the
 * machine can measure or than the pipeline's own (floored) run interval. Every floor that applied
 * is named, and the record says the run was compressed and by how much.
 */
import type { MonitorConfig } from "../config/schema.js";

/** The reference pipeline's run interval (pipeline/service/common.ts DEFAULT_INTERVAL_S). */
export const REFERENCE_INTERVAL_S = 30;
/** Below this a run of the 10k tape would follow the previous one back to back. */
export const MIN_PIPELINE_INTERVAL_S = 0.25;
/** The reference supervisor's restart delay (ms) before a restart. */
export const REFERENCE_RESTART_DELAY_MS = 500;
/** A remote channel's write time is known to the second (Azure's Last-Modified header). */
export const REMOTE_CLOCK_PRECISION_S = 1;
/** pidusage needs a few readings to tell a CPU share. */
export const MIN_CPU_WINDOW_MS = 300;
export const MIN_CPU_SAMPLE_MS = 50;

export interface Compression {
  speed: number;
  /** The reference pipeline's real run interval at this speed. */
  pipelineIntervalS: number;
  /** Durations that could not be scaled all the way, e.g. "outputs maxAgeSeconds 120 -> 1 s (floor: 4 runs)". */
  floors: string[];
}

export function pipelineIntervalFor(speed: number): number {
  return Math.max(REFERENCE_INTERVAL_S / speed, MIN_PIPELINE_INTERVAL_S);
}

export function restartDelayFor(speed: number): number {
  return Math.max(0, Math.round(REFERENCE_RESTART_DELAY_MS / speed));
}

/**
 * The config the probes use under compression: windows and freshness limits scaled to real
 * seconds. The result is a copy; the input is not changed.
 */
export function compressConfig(config: MonitorConfig, speed: number): { config: MonitorConfig; compression: Compression } {
  const out = structuredClone(config);
  const interval = pipelineIntervalFor(speed);
  const floors: string[] = [];
  const scaled = (name: string, value: number, floor: number, why: string, unit = "s") => {
    const v = value / speed;
    if (v >= floor) return round3(v);
    floors.push(`${name} ${value} ${unit} -> ${round3(floor)} ${unit} (floor: ${why}; ${round3(v)} ${unit} at x${speed})`);
    return round3(floor);
  };
  if (speed !== 1) {
    const t = out.target;
    t.windows.minLookbackSeconds = scaled("windows.minLookbackSeconds", t.windows.minLookbackSeconds, 0, "none");
    t.logs.maxSilenceSeconds = scaled("logs.maxSilenceSeconds", t.logs.maxSilenceSeconds, 4 * interval, "4 pipeline runs");
    t.outputs.local.maxAgeSeconds = scaled("outputs.local.maxAgeSeconds", t.outputs.local.maxAgeSeconds, 4 * interval, "4 pipeline runs");
    // The remote channels are written by the same runs, their age read from their own clocks, which
    // tell whole seconds (Azure's Last-Modified) or the transaction's start (PostgreSQL's now()):
    // the same scale, and a floor of 4 runs plus that second of precision.
    const remoteFloor = 4 * interval + REMOTE_CLOCK_PRECISION_S;
    if (t.outputs.azure) t.outputs.azure.maxAgeSeconds = scaled("outputs.azure.maxAgeSeconds", t.outputs.azure.maxAgeSeconds, remoteFloor, "4 pipeline runs + 1 s of the channel's clock precision");
    if (t.outputs.supabase) t.outputs.supabase.maxAgeSeconds = scaled("outputs.supabase.maxAgeSeconds", t.outputs.supabase.maxAgeSeconds, remoteFloor, "4 pipeline runs + 1 s of the channel's clock precision");
    t.process.cpuWindowMs = Math.round(scaled("process.cpuWindowMs", t.process.cpuWindowMs, MIN_CPU_WINDOW_MS, "a measurable CPU share", "ms"));
    t.process.cpuSampleIntervalMs = Math.max(MIN_CPU_SAMPLE_MS, Math.min(t.process.cpuSampleIntervalMs, Math.floor(t.process.cpuWindowMs / 4)));
  }
  return { config: out, compression: { speed, pipelineIntervalS: interval, floors } };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
