/**
 * Time under the watch (docs/DESIGN.md "The watch"). Two clocks:
 * - the monitor's clock: the schedule, alert hold and escalation timers, records and growth per
 *   hour. Under `--speed N` it is simulated, N times faster than real time, anchored at the
 *   recorded cutover start (so a restarted watch computes the same simulated time);
 * - the target's clock: always real. The pipeline stamps its log lines, audit events, run
 *   summaries and outputs in real time, so the probes read real time and the durations they
 *   compare against (windows, freshness) are scaled instead (compress.ts).
 */
import { systemClock, type Clock } from "../judge/clock.js";

export interface WatchTime {
  /** 1: real time. */
  speed: number;
  /** Real epoch ms where both clocks agree (the cutover start, or the watch's start before hour0). */
  anchorMs: number;
  /** The monitor's clock (simulated under compression). */
  clock: Clock;
  /** The target's clock (real). */
  real: Clock;
  /** A real instant on the monitor's clock. */
  toSim(realMs: number): number;
  /** A monitor-clock instant in real time. */
  toReal(simMs: number): number;
  /** Real milliseconds of a simulated duration. */
  realDuration(simMs: number): number;
}

export function watchTime(anchorMs: number, speed: number, real: Clock = systemClock): WatchTime {
  if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const toSim = (realMs: number) => anchorMs + (realMs - anchorMs) * speed;
  return {
    speed,
    anchorMs,
    clock: speed === 1 ? real : { now: () => toSim(real.now()) },
    real,
    toSim,
    toReal: (simMs) => anchorMs + (simMs - anchorMs) / speed,
    realDuration: (simMs) => simMs / speed,
  };
}

/** "HH:MM" after the cutover start for a monitor-clock instant (negative: 00:00). */
export function hhmm(elapsedMs: number): string {
  const m = Math.max(0, Math.floor(elapsedMs / 60_000));
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}
