/**
 * Which scheduled checkpoint a run stands for: `--phase=auto` picks the latest scheduled
 * checkpoint that is due and has not run; `--at` only labels a run.
 */
import { UsageError } from "../errors.js";
import { PHASE_NAMES, offsetMs, type PhaseName, type ScheduledCheckpoint } from "../config/schedule.js";

export interface Resolved {
  phase: PhaseName;
  scheduledAt?: string;
  /** Why this phase (for auto). */
  reason: string;
}

export interface RanBefore {
  phase: string;
  scheduled_at?: string;
  /** When it ran (ISO): places a run without a slot label on the schedule. */
  timestamp?: string;
}

/** A run started up to this long before a slot is due stands for that slot (early by hand). */
const EARLY_MS = 5 * 60_000;

/**
 * The scheduled slot a run stands for: its label when that is a slot of its phase; otherwise the
 * slot that was due when it ran (by its HH:MM or ISO label, else its timestamp), if that slot is
 * of the same phase. A stability run at 03:10 after cutover stands for stability@03:00 whether or
 * not it was labelled, so `--phase=auto` does not offer that slot again.
 */
export function slotOf(r: RanBefore, schedule: ScheduledCheckpoint[], cutoverStartedAt: string | null): ScheduledCheckpoint | null {
  const exact = schedule.find((s) => s.phase === r.phase && s.at === r.scheduled_at);
  if (exact) return exact;
  if (!cutoverStartedAt) return null;
  let elapsed: number;
  if (r.scheduled_at && HHMM.test(r.scheduled_at)) elapsed = offsetMs(r.scheduled_at);
  else if (r.scheduled_at && !Number.isNaN(Date.parse(r.scheduled_at))) elapsed = Date.parse(r.scheduled_at) - Date.parse(cutoverStartedAt);
  else if (r.timestamp) elapsed = Date.parse(r.timestamp) - Date.parse(cutoverStartedAt);
  else return null;
  const due = schedule.filter((s) => offsetMs(s.at) <= elapsed + EARLY_MS).sort((a, b) => offsetMs(a.at) - offsetMs(b.at));
  const slot = due[due.length - 1];
  return slot && slot.phase === r.phase ? slot : null;
}

const HHMM = /^(\d{1,2}):(\d{2})$/;

/**
 * `--at`: "HH:MM" after the cutover start, from 00:00 to 24:00 with minutes below 60, or an ISO
 * time. Anything else (25:00, 02:61, an empty value) is a usage error, never recorded.
 */
export function parseAt(at: string): { hhmm: string } | { epochMs: number } {
  const m = HHMM.exec(at.trim());
  if (m) {
    const h = Number(m[1]);
    const min = Number(m[2]);
    if (min >= 60 || h > 24 || (h === 24 && min > 0)) throw new UsageError(`--at: "${at}" is not a time after the cutover: expected HH:MM from 00:00 to 24:00 with minutes below 60, or an ISO time`);
    return { hhmm: `${String(h).padStart(2, "0")}:${m[2]}` };
  }
  const isoLike = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(at.trim());
  const t = isoLike ? Date.parse(at.trim()) : Number.NaN;
  if (Number.isNaN(t)) throw new UsageError(`--at: "${at}" is neither HH:MM after cutover (00:00 to 24:00) nor an ISO time (e.g. 2026-01-01T03:00:00Z)`);
  return { epochMs: t };
}

export function resolvePhase(opts: {
  phase: string;
  at?: string;
  schedule: ScheduledCheckpoint[];
  cutoverStartedAt: string | null;
  ran: RanBefore[];
  nowMs: number;
}): Resolved | { nothingDue: string } {
  const { schedule, cutoverStartedAt, ran, nowMs } = opts;
  if (opts.phase !== "auto") {
    if (!(PHASE_NAMES as readonly string[]).includes(opts.phase)) {
      throw new UsageError(`--phase: "${opts.phase}" is not a phase; expected one of ${PHASE_NAMES.join(", ")} or auto`);
    }
    const phase = opts.phase as PhaseName;
    if (opts.at !== undefined) return { phase, scheduledAt: labelFor(phase, opts.at, schedule, cutoverStartedAt), reason: "asked for" };
    if (phase === "hour0") return { phase, scheduledAt: "00:00", reason: "asked for" };
    // Run by hand without --at: it stands for the slot due now, when that slot is of this phase.
    const slot = cutoverStartedAt ? slotOf({ phase, timestamp: new Date(nowMs).toISOString() }, schedule, cutoverStartedAt) : null;
    return slot ? { phase, scheduledAt: slot.at, reason: `asked for; stands for the ${slot.at} checkpoint` } : { phase, reason: "asked for" };
  }

  if (!cutoverStartedAt) {
    const preDone = ran.some((r) => r.phase === "pre-cutover");
    return preDone
      ? { phase: "hour0", scheduledAt: "00:00", reason: "pre-cutover done and no cutover recorded" }
      : { phase: "pre-cutover", reason: "no cutover recorded yet" };
  }
  const elapsed = nowMs - Date.parse(cutoverStartedAt);
  const done = new Set(ran.map((r) => slotOf(r, schedule, cutoverStartedAt)).filter((s) => s !== null).map((s) => `${s.phase}@${s.at}`));
  const due = schedule
    .filter((s) => offsetMs(s.at) <= elapsed)
    .sort((a, b) => offsetMs(a.at) - offsetMs(b.at));
  const latest = due[due.length - 1];
  if (latest && !done.has(`${latest.phase}@${latest.at}`)) {
    const skipped = due.slice(0, -1).filter((s) => !done.has(`${s.phase}@${s.at}`)).length;
    return {
      phase: latest.phase,
      scheduledAt: latest.at,
      reason: `latest due checkpoint (${fmtElapsed(elapsed)} after cutover)${skipped ? `; ${skipped} earlier missed checkpoint(s) are covered by this one` : ""}`,
    };
  }
  // Slots already run ahead of the clock (a rehearsal, the demo) are not "next".
  const next = schedule.filter((s) => offsetMs(s.at) > elapsed && !done.has(`${s.phase}@${s.at}`)).sort((a, b) => offsetMs(a.at) - offsetMs(b.at))[0];
  return {
    nothingDue: next
      ? `nothing due: ${latest ? `${latest.phase}@${latest.at} already ran; ` : ""}next is ${next.phase} at ${next.at} (in ${fmtElapsed(offsetMs(next.at) - elapsed)})`
      : "nothing due: the 24-hour schedule is complete",
  };
}

/** `--at` accepts "HH:MM" after cutover or an ISO time (mapped to the offset after cutover). */
function labelFor(phase: PhaseName, at: string, schedule: ScheduledCheckpoint[], cutoverStartedAt: string | null): string {
  const parsed = parseAt(at);
  if ("hhmm" in parsed) return parsed.hhmm;
  const t = parsed.epochMs;
  if (!cutoverStartedAt) return at.trim();
  const elapsed = t - Date.parse(cutoverStartedAt);
  const mine = schedule.filter((s) => s.phase === phase).sort((a, b) => Math.abs(offsetMs(a.at) - elapsed) - Math.abs(offsetMs(b.at) - elapsed));
  return mine[0]?.at ?? at;
}

function fmtElapsed(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}
