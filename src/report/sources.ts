/**
 * What the report and the sign-off read, all from the reports directory and never from the
 * target: the checkpoint records, the events log, the watch's samples (when the watch ran), the
 * cutover, the attestations and the sign-offs, with each file's hash chain. Read once, in
 * chunks, through the history store.
 */
import path from "node:path";
import { z } from "zod";
import type { LoadedConfig } from "../config/load.js";
import type { MonitorConfig } from "../config/schema.js";
import type { Attestation, CheckpointRecord, CutoverState } from "../checkpoint/context.js";
import { monitorPaths, type MonitorPaths } from "../checkpoint/paths.js";
import { monitorState } from "../checkpoint/state.js";
import { STATE_DOCS, storageFor, type Storage } from "../storage/storage.js";
import type { ChainStatus, SkippedLine } from "../history/store.js";
import { stateFile } from "../state/state-file.js";
import type { MonitoringEvent } from "./events-log.js";

/** One sign-off as recorded by `npm run signoff`: who, when, and what they signed. */
export const signoffEntrySchema = z.object({
  role: z.string(),
  by: z.string(),
  at: z.string(),
  note: z.string().optional(),
  /** The decision shown when they signed (signing a NO-GO is allowed and shown as such). */
  decision: z.string(),
  conditions: z.array(z.string()).default([]),
  /** The chain heads they signed: the history as it stood. */
  chain: z.object({
    checkpoints: z.object({ records: z.number().int(), head: z.string().nullable() }),
    events: z.object({ records: z.number().int(), head: z.string().nullable() }),
  }),
  publicKeyFingerprint: z.string().optional(),
});
export type SignoffEntry = z.infer<typeof signoffEntrySchema>;
const signoffsFileSchema = z.object({ version: z.literal(1), signoffs: z.array(signoffEntrySchema) });

/** The sign-offs state (`<reports>/state/signoffs.json`, or the storage's document): written atomically under a lock. */
export function signoffsFile(where: MonitorPaths | Storage) {
  const initial = () => ({ version: 1 as const, signoffs: [] });
  return "doc" in where ? where.doc(STATE_DOCS.signoffs, signoffsFileSchema, initial) : stateFile(path.join(where.state, STATE_DOCS.signoffs), signoffsFileSchema, initial);
}

/** Where the report and the sign-off write, under the reports directory. */
export function reportPaths(reportsDir: string) {
  const paths = monitorPaths(reportsDir);
  return {
    ...paths,
    samples: path.join(paths.root, "samples.jsonl"),
    site: path.join(paths.root, "site"),
    signoff: path.join(paths.root, "signoff"),
    allureHistory: path.join(paths.root, "allure-history", "history.jsonl"),
    allureLaunches: path.join(paths.root, ".allure-launches"),
    signing: path.join(paths.state, "signing"),
  };
}
export type ReportPaths = ReturnType<typeof reportPaths>;

/** One watch sample, as far as the report reads it (fields checked one by one: the watch's format may grow). */
export interface SamplePoint {
  t: number;
  up: boolean | null;
  lat: number | null;
  err: number | null;
  rss: number | null;
  cpu: number | null;
}

/** A fault the watch injected or saw start (scenario runs). */
export interface FaultMark {
  t: number;
  label: string;
}

export interface ReportSources {
  config: MonitorConfig;
  configSource: string;
  paths: ReportPaths;
  /** This cutover's records and the latest pre-cutover record before it, oldest first. */
  records: CheckpointRecord[];
  /** Records of earlier cutovers (not shown hour by hour; counted). */
  earlierRecords: number;
  skipped: SkippedLine[];
  events: MonitoringEvent[];
  samples: SamplePoint[];
  faults: FaultMark[];
  /** Watch lines for slots it saw missed, and gaps it recorded (kept as they are). */
  watchNotes: { t: number; kind: string; text: string }[];
  cutover: CutoverState | null;
  previousCutovers: CutoverState[];
  attestations: Attestation[];
  signoffs: SignoffEntry[];
  chains: { checkpoints: ChainStatus; events: ChainStatus; samples: ChainStatus | null };
  /** The report's "now": the later of the clock and the newest thing recorded (a simulated watch clock runs ahead). */
  nowMs: number;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Reads every source of the report. Nothing here judges: verdicts stay as recorded. */
export async function readSources(loaded: Pick<LoadedConfig, "config" | "source">, nowMs = Date.now()): Promise<ReportSources> {
  const { config } = loaded;
  const paths = reportPaths(config.reportsDir);
  // Read from the storage the config chose (src/storage/): the files, or the shared database.
  const storage = storageFor(config);
  const state = monitorState(storage);
  const cutoverFile = await state.cutover.load();
  const cutover = cutoverFile.current;
  const recordStore = storage.log<CheckpointRecord>("checkpoints");
  const all = await recordStore.readAll((r) => typeof r === "object" && typeof r.timestamp === "string" && typeof r.checkpoint_id === "string");
  const belongs = (r: CheckpointRecord) => !cutover || r.timestamp >= cutover.startedAt || r.checkpoint_id === cutover.recordedBy;
  const mine = all.records.filter((r) => r.phase !== "pre-cutover" && belongs(r));
  const pre = all.records.filter((r) => r.phase === "pre-cutover" && (!cutover || r.timestamp <= cutover.startedAt));
  const records = [...(pre.length ? [pre[pre.length - 1]!] : []), ...mine].sort((a, b) => a.timestamp.localeCompare(b.timestamp));

  const eventStore = storage.log<MonitoringEvent>("events");
  const fromIso = cutover ? new Date(Date.parse(cutover.startedAt) - 24 * 3600_000).toISOString() : "";
  const events = (await eventStore.readAll((e) => typeof e.ts === "string" && e.ts >= fromIso)).records;

  const samples: SamplePoint[] = [];
  const faults: FaultMark[] = [];
  const watchNotes: ReportSources["watchNotes"] = [];
  let samplesChain: ChainStatus | null = null;
  if (await storage.hasLog("samples")) {
    const store = storage.log<Record<string, unknown>>("samples");
    const fromMs = cutover ? Date.parse(cutover.startedAt) - 3600_000 : -Infinity;
    const { records: lines } = await store.readAll();
    for (const l of lines) {
      const t = typeof l.t === "string" ? Date.parse(l.t) : NaN;
      if (!Number.isFinite(t) || t < fromMs) continue;
      if (l.kind === "sample") {
        samples.push({ t, up: typeof l.up === "boolean" ? l.up : null, lat: num(l.lat), err: num(l.err), rss: num(l.rss), cpu: num(l.cpu) });
      } else if (l.kind === "fault") {
        const started = Array.isArray(l.started) ? l.started.map(String) : [];
        const cleared = Array.isArray(l.cleared) ? l.cleared.map(String) : [];
        if (started.length || cleared.length) faults.push({ t, label: [...started.map((f) => `fault ${f}`), ...cleared.map((f) => `cleared ${f}`)].join(", ") });
      } else if (l.kind === "missed" || l.kind === "gap") {
        watchNotes.push({ t, kind: String(l.kind), text: l.kind === "missed" ? `slot ${String(l.slot ?? "?")} missed: ${String(l.reason ?? "")}` : `watch gap ${String(l.from ?? "")} - ${String(l.to ?? "")}: ${String(l.reason ?? "")}` });
      }
    }
    samples.sort((a, b) => a.t - b.t);
    samplesChain = await store.chain();
  }

  const newest = Math.max(
    ...records.map((r) => Date.parse(r.timestamp) + (r.duration_ms ?? 0)),
    samples.length ? samples[samples.length - 1]!.t : 0,
  );
  return {
    config,
    configSource: loaded.source,
    paths,
    records,
    earlierRecords: all.records.length - records.length,
    skipped: all.skipped,
    events,
    samples,
    faults,
    watchNotes,
    cutover,
    previousCutovers: cutoverFile.previous,
    attestations: (await state.attestations.load()).attestations,
    signoffs: (await signoffsFile(storage).load()).signoffs,
    chains: { checkpoints: await recordStore.chain(), events: await eventStore.chain(), samples: samplesChain },
    nowMs: Math.max(nowMs, Number.isFinite(newest) ? newest : 0),
  };
}
