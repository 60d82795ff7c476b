/**
 * What the watch does next, from the schedule, the recorded cutover start and the history: the
 * same rule as `--phase=auto` (src/checkpoint/due.ts). The latest due slot that has not run runs
 * now; when it is more than a minute past its time it is marked late; earlier slots that were due
 * and never ran (the watch was not running) are MISSED, each recorded once. No slot runs twice:
 * a slot counts as done when a record stands for it (slotOf), whoever ran it.
 */
import { offsetMs, type ScheduledCheckpoint } from "../config/schedule.js";
import { slotOf, type RanBefore } from "../checkpoint/due.js";

export interface Slot extends ScheduledCheckpoint {
  /** Index in the schedule (sorted by time). */
  index: number;
  /** "stability@02:00". */
  key: string;
  offsetMs: number;
}

export interface Plan {
  /** The slot to run now, if any. */
  due: Slot | null;
  /** How late `due` is (monitor-clock ms). */
  lateMs: number;
  /** Slots that were due before `due` and never ran. */
  missed: Slot[];
  /** The next slot in the future. */
  next: Slot | null;
  /** Every slot is done (or missed): the watch is over. */
  complete: boolean;
}

/** A run this much after its slot is "late" (a watch restarted after an outage). */
export const LATE_AFTER_MS = 60_000;

export function slots(schedule: readonly ScheduledCheckpoint[]): Slot[] {
  return [...schedule]
    .filter((s) => s.phase !== "pre-cutover")
    .sort((a, b) => offsetMs(a.at) - offsetMs(b.at))
    .map((s, index) => ({ ...s, index, key: `${s.phase}@${s.at}`, offsetMs: offsetMs(s.at) }));
}

export function doneKeys(ran: readonly RanBefore[], schedule: readonly ScheduledCheckpoint[], cutoverStartedAt: string): Set<string> {
  return new Set(ran.map((r) => slotOf(r, [...schedule], cutoverStartedAt)).filter((s) => s !== null).map((s) => `${s.phase}@${s.at}`));
}

/**
 * `sessionStartMs` (elapsed since the cutover) is when this run of the watch started: slots that
 * came due before it fell into the watch's outage (the latest of them runs, late; the earlier
 * ones are MISSED, as --phase=auto does); slots that came due while the watch was busy with an
 * earlier checkpoint run next, in order, late, and are never skipped.
 */
export function plan(all: readonly Slot[], done: ReadonlySet<string>, missedBefore: ReadonlySet<string>, elapsedMs: number, sessionStartMs = -Infinity): Plan {
  const open = (s: Slot) => !done.has(s.key) && !missedBefore.has(s.key);
  const due = all.filter((s) => s.offsetMs <= elapsedMs && open(s));
  const outage = due.filter((s) => s.offsetMs < sessionStartMs);
  const live = due.filter((s) => s.offsetMs >= sessionStartMs);
  const queue = [...outage.slice(-1), ...live];
  const next = all.find((s) => s.offsetMs > elapsedMs) ?? null;
  const first = queue[0] ?? null;
  const last = all[all.length - 1];
  const finished = !!last && !open(last) && !next;
  return { due: first, lateMs: first ? elapsedMs - first.offsetMs : 0, missed: outage.slice(0, -1), next, complete: finished && !first };
}
