/**
 * What reading one output channel measures, whatever the channel: its latest run (head) and how
 * old it is, then one run's manifest, rows (through the row rules) and KPI results. The three
 * readers (local.ts, azure.ts, supabase.ts) fill these shapes; data-quality.ts picks which run
 * each reads so that they can be reconciled, and the evaluators in src/checks/outputs.ts judge.
 */
import type { TargetConfig } from "../../config/target.js";
import type { ProbeFailureKind } from "../probe.js";
import { getPath } from "../target-io.js";
import { kpiColumns } from "./kpis.js";
import type { RowRulesConfig, RowScan } from "./rows.js";

export type ChannelName = "local" | "azure" | "supabase";
export const CHANNELS: readonly ChannelName[] = ["local", "azure", "supabase"];
export const CHANNEL_TITLE: Record<ChannelName, string> = { local: "local", azure: "Azure", supabase: "Supabase" };

/** The channel's newest run, as the channel itself says (pointer, newest row, newest file). */
export interface ChannelHead {
  runId: string | null;
  /** When it was written (ISO), by the channel's clock where it has one. */
  writtenAt: string | null;
  ageSeconds: number | null;
  /** Where the time comes from, for messages. */
  source: string;
}

/** A channel that keeps several runs (Azure, Supabase). */
export interface ChannelReader {
  location: string;
  /** The newest run; `prefix`: where its files are (Azure's pointer), when the channel says. */
  head(nowMs: number): Promise<ChannelHead & { prefix?: string | null }>;
  hasRun(runId: string): Promise<boolean>;
  readRun(runId: string, prefix?: string | null): Promise<RunRead>;
  close(): Promise<void>;
}

/** A run's manifest: the pipeline's own account of what it wrote. */
export interface ManifestFacts {
  location: string;
  found: boolean;
  /** Missing is a failure for this run (local: by version; remote channels: always). */
  required: boolean;
  error?: string;
  runId: string | null;
  rows: number | null;
  rejected: number | null;
  /** SHA-256 the manifest gives for the rows file and the KPI file (file channels). */
  rowsSha256: string | null;
  kpiSha256: string | null;
}

export interface KpiFacts {
  location: string;
  readable: boolean;
  error?: string;
  runId: string | null;
  /** Each configured KPI as the channel reports it (null: absent or not a number). */
  values: Record<string, number | null>;
  /** The KPI document (file channels), for the KPI ranges check. */
  content?: unknown;
  sha256?: string;
}

export interface RunRead {
  runId: string | null;
  version: string | null;
  /** null: this channel keeps no manifest (configured so). */
  manifest: ManifestFacts | null;
  rows: { location: string; sha256: string | null; bytes: number | null; scan: RowScan };
  kpis: KpiFacts;
  /** The KPIs the monitor recomputed from the rows (null: no KPI definitions configured). */
  recomputed: Record<string, number | null> | null;
  /** Declared column types that are not what the rules need (databases). */
  schemaProblems: string[];
  attempts: number;
  notes: string[];
}

export type ChannelMeasurement =
  | { channel: ChannelName; configured: false; reason: string }
  | { channel: ChannelName; configured: true; reachable: false; failure: ProbeFailureKind; error: string; location: string }
  | {
      channel: ChannelName;
      configured: true;
      reachable: true;
      location: string;
      head: ChannelHead;
      fresh: boolean;
      maxAgeSeconds: number;
      /** The run read, or why it could not be read. */
      run: RunRead | null;
      runError?: { failure: ProbeFailureKind; error: string };
      /** Why this run was read (the reconciliation's run, or the channel's own latest). */
      readBecause: string;
    };

/** The input, read by the monitor: its rows and the rows the pipeline must reject. */
export interface InputFacts {
  file: string;
  readable: boolean;
  error?: string;
  rows: number;
  rejected: number;
  rejectedSamples: { row: number; key: string | null; column: string; value: string | null; rule: string }[];
  sha256: string | null;
  columns: string[];
}

export class ChannelError extends Error {
  constructor(
    readonly failure: ProbeFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** The row rules of every channel, from target.outputs. */
export function rowRules(target: TargetConfig): RowRulesConfig {
  const o = target.outputs;
  return {
    key: o.rules.key ?? o.local.key,
    required: o.rules.requiredColumns ?? o.local.requiredColumns,
    numeric: o.rules.numericColumns,
    nonNegative: o.rules.nonNegative,
    sums: o.rules.sums,
    sampleRows: o.rules.sampleRows,
    checksumDecimals: o.rules.checksumDecimals,
    sumColumns: kpiColumns(o.kpis),
  };
}

/** A number at a dot path (a number, a numeric string, or an object with a numeric `value`). */
export function numberAt(doc: unknown, p: string): number | null {
  const v = getPath(doc, p);
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : typeof v === "object" && v !== null ? Number((v as { value?: unknown }).value ?? Number.NaN) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

export function stringAt(doc: unknown, p: string | null): string | null {
  if (p === null) return null;
  const v = getPath(doc, p);
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
}

/** The manifest's facts; `rowsName` / `kpiName`: the file names to find in its file list. */
export function manifestFacts(target: TargetConfig, location: string, doc: unknown, required: boolean, rowsName: string, kpiName: string | null): ManifestFacts {
  const f = target.outputs.manifest;
  const files = getPath(doc, f.files);
  const shaOf = (name: string | null): string | null => {
    if (!name || !Array.isArray(files)) return null;
    const base = name.split("/").pop();
    const hit = files.find((x) => String(getPath(x, f.filePath) ?? "").split("/").pop() === base);
    const sha = hit === undefined ? undefined : getPath(hit, f.fileSha256);
    return typeof sha === "string" ? sha : null;
  };
  return {
    location,
    found: true,
    required,
    runId: stringAt(doc, f.runId),
    rows: numberAt(doc, f.rows),
    rejected: f.rejected === null ? null : numberAt(doc, f.rejected),
    rowsSha256: shaOf(rowsName),
    kpiSha256: shaOf(kpiName),
  };
}

export function missingManifest(location: string, required: boolean, error: string): ManifestFacts {
  return { location, found: false, required, error, runId: null, rows: null, rejected: null, rowsSha256: null, kpiSha256: null };
}

/** The configured KPIs from a KPI document (file channels). */
export function kpisFromDoc(target: TargetConfig, doc: unknown): Record<string, number | null> {
  const k = target.outputs.kpis;
  if (!k) return {};
  return Object.fromEntries(Object.entries(k.paths).map(([name, p]) => [name, numberAt(doc, p)]));
}

/** Rejects after `ms` with a target failure naming what timed out; the work is abandoned (its own signal stops it). */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new ChannelError("target", `${what}: timed out after ${ms} ms`));
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `fn` every `everyMs` until it returns a value or `ms` passed (then undefined). */
export async function pollFor<T>(fn: () => Promise<T | undefined>, ms: number, everyMs = 100): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() + everyMs > end) return undefined;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
