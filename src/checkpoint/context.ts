/**
 * The data one checkpoint hands to its specs (via vitest provide/inject) and the record it
 * appends to the history. Everything here is JSON-serialisable.
 */
import type { MonitorConfig } from "../config/schema.js";
import type { PhaseName } from "../config/schedule.js";
import type { Measurements, ProbeResult } from "../probes/types.js";

export type Verdict = "PASS" | "WARN" | "FAIL" | "ERROR";

export interface CheckRecord {
  id: string;
  /** The checklist line (the spec's title). */
  title: string;
  section: string;
  verdict: Verdict;
  measured: string;
  threshold: string;
  advice?: string;
  value: number | string | null;
  evidence?: Record<string, unknown>;
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
  decision: unknown;
  rollback?: unknown;
  config_source: string;
}
