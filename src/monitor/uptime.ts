/**
 * Uptime, the checklist's "24-hour Uptime: 100 %": up / (up + down) over the monitored time.
 *
 * With the watch: from its observations (every sample's and every checkpoint's pipeline-up). A
 * state holds from one observation to the next; a down observation starts an incident, the next
 * up one ends it. Time the watch was not running (between two of its sessions, or a stall inside
 * one) is a monitoring gap: reported, never counted as uptime or downtime.
 *
 * Without the watch (checkpoints only, as from a scheduled job): the checkpoints' own pipeline-up
 * probes, with their coverage stated; never a PASS, since the time between them was not watched.
 */
import path from "node:path";
import type { CheckpointRecord, CutoverState } from "../checkpoint/context.js";
import { JsonlCheckpointStore } from "../history/jsonl-store.js";
import type { CheckpointStore } from "../history/store.js";
import type { WatchLine } from "./watch-lines.js";

export interface Observation {
  /** Monitor-clock epoch ms (start; a checkpoint covers start..end). */
  t: number;
  end?: number;
  up: boolean | null;
  session: number;
  what: string;
}

export interface Incident {
  start: string;
  end: string | null;
  minutes: number;
  detectedBy: string;
  resolvedBy: string | null;
}

export interface Gap {
  from: string;
  to: string;
  minutes: number;
  reason: string;
}

export interface UptimeSummary {
  source: "watch" | "checkpoints";
  from: string;
  to: string;
  upMinutes: number;
  downMinutes: number;
  gapMinutes: number;
  /** up / (up + down), percent; null when nothing was measured. */
  uptimePercent: number | null;
  /** (up + down) / (to - from), percent. */
  coveragePercent: number;
  incidents: Incident[];
  gaps: Gap[];
  observations: number;
  /** Within one session, observations further apart than this are a stall (a gap). */
  gapAfterMinutes: number;
}

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * The summary over [fromMs, toMs] from observations (any order). An observation with `up` null
 * (not judged) is a gap until the next judged one.
 */
export function computeUptime(obs: readonly Observation[], fromMs: number, toMs: number, gapAfterMs: number, source: UptimeSummary["source"] = "watch"): UptimeSummary {
  const list = obs.filter((o) => o.t <= toMs && (o.end ?? o.t) >= fromMs).sort((a, b) => a.t - b.t);
  let up = 0;
  let down = 0;
  let gapMs = 0;
  const gaps: Gap[] = [];
  const incidents: Incident[] = [];
  let open: { start: number; by: string } | null = null;
  const addGap = (a: number, b: number, reason: string) => {
    if (b <= a) return;
    gapMs += b - a;
    const last = gaps[gaps.length - 1];
    if (last && Date.parse(last.to) === a && last.reason === reason) {
      last.to = iso(b);
      last.minutes = r1((b - Date.parse(last.from)) / MIN);
    } else gaps.push({ from: iso(a), to: iso(b), minutes: r1((b - a) / MIN), reason });
  };
  const count = (o: Observation, a: number, b: number) => {
    if (b <= a) return;
    if (o.up === true) up += b - a;
    else if (o.up === false) down += b - a;
    else addGap(a, b, `not judged (${o.what})`);
  };
  if (!list.length) addGap(fromMs, toMs, "no observation");
  else addGap(fromMs, Math.max(fromMs, list[0]!.t), "before the first observation");
  for (let k = 0; k < list.length; k++) {
    const o = list[k]!;
    const next = list[k + 1];
    const start = Math.max(o.t, fromMs);
    const own = Math.min(o.end ?? o.t, toMs);
    // The observation's own span (a checkpoint's run) is measured.
    count(o, start, own);
    if (o.up === false && !open) open = { start: o.t, by: o.what };
    if (o.up === true && open) {
      incidents.push({ start: iso(open.start), end: iso(o.t), minutes: r1((o.t - open.start) / MIN), detectedBy: open.by, resolvedBy: o.what });
      open = null;
    }
    const until = Math.min(next ? next.t : toMs, toMs);
    if (until <= own) continue;
    if (!next) {
      // After the last observation: held up to `to` only within the gap limit.
      count(o, own, Math.min(until, own + gapAfterMs));
      addGap(own + gapAfterMs, until, "no observation since");
    } else if (next.session !== o.session) {
      addGap(own, until, "the watch was not running (restarted)");
    } else if (until - own > gapAfterMs) {
      addGap(own, until, `no observation for ${r1((until - own) / MIN)} min`);
    } else count(o, own, until);
  }
  if (open) incidents.push({ start: iso(open.start), end: null, minutes: r1((toMs - open.start) / MIN), detectedBy: open.by, resolvedBy: null });
  const span = Math.max(1, toMs - fromMs);
  return {
    source,
    from: iso(fromMs),
    to: iso(toMs),
    upMinutes: r1(up / MIN),
    downMinutes: r1(down / MIN),
    gapMinutes: r1(gapMs / MIN),
    uptimePercent: up + down > 0 ? Math.round((up / (up + down)) * 100_000) / 1000 : null,
    coveragePercent: Math.round(((up + down) / span) * 100_000) / 1000,
    incidents,
    gaps,
    observations: list.length,
    gapAfterMinutes: r1(gapAfterMs / MIN),
  };
}

/** The stall limit inside one watch session: ten sampling intervals, at least one real minute. */
export function gapAfterMs(sampleEveryMs: number, speed: number): number {
  return Math.max(10 * sampleEveryMs, 60_000 * speed);
}

/** Observations from the watch's lines (samples and the checkpoints it ran). */
export function watchObservations(lines: readonly WatchLine[]): Observation[] {
  const out: Observation[] = [];
  for (const l of lines) {
    if (l.kind === "sample") out.push({ t: Date.parse(l.t), up: l.up, session: l.session, what: `sample #${l.i}` });
    else if (l.kind === "checkpoint") out.push({ t: Date.parse(l.t), end: Date.parse(l.end), up: l.up, session: l.session, what: `checkpoint ${l.slot}` });
  }
  return out.filter((o) => Number.isFinite(o.t));
}

/** What the uptime-24h check reads (run-checkpoint puts it into the checkpoint's context). */
export interface UptimeEvidence {
  summary: UptimeSummary;
  /** The watch's sampling interval (monitor clock), when the watch sampled. */
  sampleEverySeconds: number | null;
  speed: number;
}

/**
 * The evidence for the uptime criterion at a checkpoint: the watch's samples of this cutover when
 * there are any, else the checkpoints' own pipeline-up. `nowMs` is the monitor's clock.
 */
export async function uptimeEvidence(input: { reportsRoot: string; samples?: CheckpointStore<WatchLine>; cutover: CutoverState | null; records: readonly CheckpointRecord[]; nowMs: number }): Promise<UptimeEvidence | undefined> {
  if (!input.cutover) return undefined;
  const fromMs = Date.parse(input.cutover.startedAt);
  // The watch's samples from the storage the config chose (src/storage/), else samples.jsonl.
  const store = input.samples ?? new JsonlCheckpointStore<WatchLine>(path.join(input.reportsRoot, "samples.jsonl"));
  const { records: lines } = await store.readAll((l) => typeof l.t === "string" && Date.parse(l.t) >= fromMs - 60 * MIN);
  const starts = lines.filter((l): l is Extract<WatchLine, { kind: "start" }> => l.kind === "start");
  const observations = watchObservations(lines).filter((o) => o.t >= fromMs - 60 * MIN);
  if (observations.some((o) => o.what.startsWith("sample"))) {
    const speed = starts[starts.length - 1]?.speed ?? 1;
    const every = starts[starts.length - 1]?.every ?? sampleEvery(lines);
    return { summary: computeUptime(observations, fromMs, input.nowMs, gapAfterMs(every * 1000, speed), "watch"), sampleEverySeconds: every, speed };
  }
  const obs: Observation[] = input.records
    .filter((r) => r.timestamp >= input.cutover!.startedAt || r.checkpoint_id === input.cutover!.recordedBy)
    .map((r) => {
      const v = r.checks?.find((c) => c.id === "pipeline-up")?.verdict;
      const t = Date.parse(r.timestamp);
      return { t, end: t + (r.duration_ms ?? 0), up: v === "PASS" ? true : v === "FAIL" ? false : null, session: 0, what: `checkpoint ${r.phase}${r.scheduled_at ? "@" + r.scheduled_at : ""}` };
    });
  // Checkpoints only: each covers its own run; the time between them is not measured.
  return { summary: computeUptime(obs, fromMs, input.nowMs, 0, "checkpoints"), sampleEverySeconds: null, speed: 1 };
}

/** The sampling interval the watch recorded (seconds of the monitor's clock); 15 by default. */
function sampleEvery(lines: readonly WatchLine[]): number {
  const s = lines.filter((l) => l.kind === "sample").map((l) => Date.parse(l.t)).sort((a, b) => a - b);
  if (s.length < 2) return 15;
  const d = s.slice(1).map((t, k) => t - s[k]!).sort((a, b) => a - b);
  return Math.max(1, Math.round(d[Math.floor(d.length / 2)]! / 1000));
}
