/**
 * Time under the watch (docs/DESIGN.md "The watch"). Two clocks:
 * - the monitor's clock: the schedule, alert hold and escalation timers, records and growth per
 *   hour. Under `--speed N` it is simulated, N times faster than real time, anchored at the
 *   recorded cutover start, and it stands still while a checkpoint runs (a hold), so a checkpoint's
 *   real seconds cost the schedule nothing however busy the machine is; the holds are persisted,
 *   so a restarted watch computes the same simulated time;
 * - the target's clock: always real. The pipeline stamps its log lines, audit events, run
 *   summaries and outputs in real time, so the probes read real time and the durations they
 *   compare against (windows, freshness) are scaled instead (compress.ts).
 */
import { systemClock, type Clock } from "../judge/clock.js";

/** A stretch of real time the monitor's clock stood still (a checkpoint ran under compression). */
export interface Hold {
  /** Real epoch ms the hold began. */
  from: number;
  /** Its real length. */
  ms: number;
}

export interface WatchTime {
  /** 1: real time. */
  speed: number;
  /** Real epoch ms where both clocks agree (the cutover start, or the watch's start before hour0). */
  anchorMs: number;
  /** The monitor's clock (simulated under compression). */
  clock: Clock;
  /** The target's clock (real). */
  real: Clock;
  /** A real instant on the monitor's clock (inside a hold: the hold's start). */
  toSim(realMs: number): number;
  /** A monitor-clock instant in real time (the earliest real instant it stands for). */
  toReal(simMs: number): number;
  /** Real milliseconds of a simulated duration. */
  realDuration(simMs: number): number;
  /**
   * Under compression the monitor's clock stands still until the returned function is called:
   * the real seconds a checkpoint takes cost it no simulated hours (at x720 a 30-second
   * checkpoint would otherwise be six hours of the schedule). At speed 1 a no-op: real time is real.
   */
  hold(): () => Hold | null;
  /** The finished holds (persisted by the watch, so that a restarted watch computes the same time). */
  holds(): Hold[];
}

/**
 * sim = anchor + (real - anchor - held) * speed, where `held` is the real time spent in holds
 * before `real`. Holds before the anchor do not count.
 */
export function watchTime(anchorMs: number, speed: number, real: Clock = systemClock, previous: readonly Hold[] = []): WatchTime {
  if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const done: Hold[] = speed === 1 ? [] : previous.filter((h) => h.ms > 0 && h.from + h.ms > anchorMs).map((h) => (h.from < anchorMs ? { from: anchorMs, ms: h.from + h.ms - anchorMs } : { ...h })).sort((a, b) => a.from - b.from);
  let open: number | null = null;
  const heldBefore = (realMs: number) => {
    let held = 0;
    for (const h of done) if (h.from < realMs) held += Math.min(h.ms, realMs - h.from);
    if (open !== null && realMs > open) held += realMs - open;
    return held;
  };
  const toSim = (realMs: number) => anchorMs + (realMs - anchorMs - heldBefore(realMs)) * speed;
  return {
    speed,
    anchorMs,
    clock: speed === 1 ? real : { now: () => toSim(real.now()) },
    real,
    toSim,
    toReal: (simMs) => {
      let r = anchorMs + (simMs - anchorMs) / speed;
      for (const h of done) if (h.from < r) r += h.ms;
      if (open !== null && open < r) r = Math.max(r, open) + (real.now() - open);
      return r;
    },
    realDuration: (simMs) => simMs / speed,
    hold: () => {
      if (speed === 1 || open !== null) return () => null;
      const from = real.now();
      open = from;
      return () => {
        if (open !== from) return null;
        const h = { from, ms: Math.max(0, real.now() - from) };
        open = null;
        if (h.ms > 0) done.push(h);
        return h;
      };
    },
    holds: () => done.map((h) => ({ ...h })),
  };
}

/** "HH:MM" after the cutover start for a monitor-clock instant (negative: 00:00). */
export function hhmm(elapsedMs: number): string {
  const m = Math.max(0, Math.floor(elapsedMs / 60_000));
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}
