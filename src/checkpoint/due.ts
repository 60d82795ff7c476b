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
    const scheduledAt = opts.at ? labelFor(phase, opts.at, schedule, cutoverStartedAt) : phase === "hour0" ? "00:00" : undefined;
    return { phase, scheduledAt, reason: "asked for" };
  }

  if (!cutoverStartedAt) {
    const preDone = ran.some((r) => r.phase === "pre-cutover");
    return preDone
      ? { phase: "hour0", scheduledAt: "00:00", reason: "pre-cutover done and no cutover recorded" }
      : { phase: "pre-cutover", reason: "no cutover recorded yet" };
  }
  const elapsed = nowMs - Date.parse(cutoverStartedAt);
  const done = new Set(ran.filter((r) => r.scheduled_at).map((r) => `${r.phase}@${r.scheduled_at}`));
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
  const next = schedule.filter((s) => offsetMs(s.at) > elapsed).sort((a, b) => offsetMs(a.at) - offsetMs(b.at))[0];
  return {
    nothingDue: next
      ? `nothing due: ${latest ? `${latest.phase}@${latest.at} already ran; ` : ""}next is ${next.phase} at ${next.at} (in ${fmtElapsed(offsetMs(next.at) - elapsed)})`
      : "nothing due: the 24-hour schedule is complete",
  };
}

/** `--at` accepts "HH:MM" after cutover or an ISO time (mapped to the offset after cutover). */
function labelFor(phase: PhaseName, at: string, schedule: ScheduledCheckpoint[], cutoverStartedAt: string | null): string {
  if (/^\d{1,2}:\d{2}$/.test(at)) return at.padStart(5, "0");
  const t = Date.parse(at);
  if (Number.isNaN(t)) throw new UsageError(`--at: "${at}" is neither HH:MM after cutover nor an ISO time`);
  if (!cutoverStartedAt) return at;
  const elapsed = t - Date.parse(cutoverStartedAt);
  const mine = schedule.filter((s) => s.phase === phase).sort((a, b) => Math.abs(offsetMs(a.at) - elapsed) - Math.abs(offsetMs(b.at) - elapsed));
  return mine[0]?.at ?? at;
}

function fmtElapsed(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}
