/**
 * The data one checkpoint hands to its specs (via vitest provide/inject) and the record it
 * appends to the history. Everything here is JSON-serialisable.
 */
import type { MonitorConfig } from "../config/schema.js";
import type { PhaseName } from "../config/schedule.js";
import type { Measurements } from "../probes/measurements.js";
import type { ProbeResult } from "../probes/probe.js";

import type { Verdict } from "../judge/verdict.js";
export type { Verdict };

/** A checklist line (a spec) bound to a check. */
export interface CheckLine {
  /** Spec id, e.g. "stability.latency" (specs/TRACEABILITY.md). */
  spec: string;
  /** The checklist line, the spec's title. */
  title: string;
  /** The spec's section: not stored in the record (the spec id names it). */
  section?: string;
}

/** One check's verdict at one checkpoint: judged once, read by specs, rules, decision and report. */
export interface CheckRecord {
  /** The catalogue id, e.g. "kpi-latency". */
  id: string;
  /** What the check judges (catalogue title). */
  title: string;
  /** Dashboard group (catalogue). */
  section: string;
  verdict: Verdict;
  measured: string;
  threshold: string;
  advice?: string;
  value: number | string | null;
  unit?: string;
  /** Nothing could be measured: shown as "not measured", never as 0 or as a breach. */
  notMeasured?: boolean;
  /** N/A (not configured): no say in the checkpoint's verdict, the alert rules or the decision. */
  notApplicable?: boolean;
  evidence?: Record<string, unknown>;
  /** The alert rules this check feeds (empty: an explicit "no alert" in the catalogue). */
  rules?: string[];
  /** Why it was judged here: its phase lists it, or an open alert needed re-measuring. */
  judgedBecause?: "phase" | "open alert";
  /** The checklist lines (specs) of this phase bound to it. */
  lines?: CheckLine[];
}

export interface CheckpointInfo {
  /** Unique id of this run, e.g. "20261126T101500Z-stability". */
  id: string;
  phase: PhaseName;
  /** Scheduled moment it stands for ("02:00" after cutover), when known. */
  scheduledAt?: string;
  /** Human label: "stability @ 02:00". */
  label: string;
  startedAt: string;
}

export interface Hour1Baseline {
  recordedAt: string;
  checkpointId: string;
  latencySamplesMs: number[];
  serverLatencySamplesMs: number[];
  memoryMb: number | null;
  cpuPercent: number | null;
  errorRatePercent: number | null;
  auditTrailEvents: number | null;
}

export interface Attestation {
  id: string;
  by: string;
  at: string;
  note?: string;
}

export interface CutoverState {
  /** The recorded cutover start (hour 0), ISO. */
  startedAt: string;
  recordedBy: string;
  rolledBack?: { at: string; reason: string; verified: boolean };
}

/** A compact view of earlier records that trend checks need. */
export interface HistoryPoint {
  timestamp: string;
  checkpointId: string;
  phase: PhaseName;
  scheduledAt?: string;
  memory_mb: number | null;
  memorySamples?: { t: number; mb: number }[];
  kpi_latency_ms: number | null;
  error_rate_percent: number | null;
  cpu_percent: number | null;
  audit_trail_events: number | null;
  validation_status: string | null;
  verdict: Verdict;
  pipeline_status: string;
}

export interface ChannelTestResult {
  channel: string;
  ok: boolean;
  error?: string;
}

export interface CheckpointContext {
  config: MonitorConfig;
  checkpoint: CheckpointInfo;
  measurements: Measurements;
  cutover: CutoverState | null;
  baselines: { hour1: Hour1Baseline | null };
  history: HistoryPoint[];
  attestations: Attestation[];
  /** The checks this checkpoint judged (catalogue order), set before the specs run. */
  checks?: CheckRecord[];
  /** Pre-cutover: the result of sending a test notification to every configured channel. */
  alertChannels?: ProbeResult<{ configured: string[]; problems: string[]; results: ChannelTestResult[] }>;
}

/** One line of reports/checkpoints.jsonl. */
export interface CheckpointRecord {
  // The checklist's "Key Metrics to Track".
  timestamp: string;
  kpi_latency_ms: number | null;
  error_rate_percent: number | null;
  memory_mb: number | null;
  cpu_percent: number | null;
  pipeline_status: string;
  audit_trail_events: number | null;
  validation_status: string | null;
  // What this monitor adds.
  checkpoint_id: string;
  phase: PhaseName;
  scheduled_at?: string;
  verdict: Verdict;
  exit_code: number;
  duration_ms: number;
  checks: CheckRecord[];
  metrics: Record<string, unknown>;
  alerts: unknown[];
  /** Alerts firing after this checkpoint (muted and stale ones marked). */
  firing?: { rule: string; severity: string; decision: string; since: string; checks: string[]; muted: string | null; stale: string | null }[];
  decision: unknown;
  rollback?: unknown;
  config_source: string;
}
