/**
 * What the watch hands to an in-process checkpoint (src/checkpoint/run-checkpoint.ts `watch`):
 * the same code as `npm run checkpoint`, told about time compression and the watch's samples.
 */
import type { HistoryPoint } from "../checkpoint/context.js";

/** A history point without its memory readings before `sinceMs` (its other facts are kept). */
export function recentMemory(p: HistoryPoint, sinceMs: number | undefined): HistoryPoint {
  if (sinceMs === undefined) return p;
  const memorySamples = p.memorySamples?.filter((s) => s.t >= sinceMs);
  return { ...p, memorySamples, memory_mb: memorySamples?.length || Date.parse(p.timestamp) >= sinceMs ? p.memory_mb : null };
}

export interface WatchCheckpointOptions {
  /** The probes' clock: real under time compression (the target's files and lines carry real time). */
  probeNow?: () => number;
  /** A probe-clock instant on the monitor's clock (RSS and CPU readings carry no target stamp). */
  toClock?: (probeMs: number) => number;
  /** The watch's samples as history (their RSS series: memory growth is fitted over them too). */
  history?: HistoryPoint[];
  /**
   * Memory growth is a rate: under the watch it is fitted over its recent window (monitor-clock ms;
   * earlier memory points of the history are left out). Unset: the whole history (the final
   * phase, whose 24-hour criteria need it).
   */
  memorySinceMs?: number;
  /** Fields added to the record: time compression, lateness, the watch session. */
  record?: Record<string, unknown>;
}
