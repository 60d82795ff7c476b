/**
 * What every probe shares: its result, its name, its window, the state carried between
 * checkpoints and its context. Each probe's own output type stands beside it (health.ts, ...). Every value here is JSON-serialisable: a checkpoint
 * measures once (collect), the specs read these shapes, the record stores them.
 *
 * Failure classification (docs/DESIGN.md "Result states"):
 * - `failure: "target"`  -> the check is a FAIL: the target is unreachable, timed out, answered
 *   with an HTTP error, answered wrongly, or the probe measured nothing (zero samples/rows/events).
 * - `failure: "monitor"` -> the check is an ERROR: the monitor could not parse what it got
 *   (unknown report format, truncated JSON, non-Prometheus text) or the monitor itself failed.
 * Messages are one line and say what happened, e.g.
 * "target unreachable: GET http://127.0.0.1:8787/health: connect ECONNREFUSED (timeout 5000 ms)".
 */


export type ProbeFailureKind = "target" | "monitor";
/**
 * Why a probe delivered nothing: a failure, or `notApplicable`: what it reads is not reachable
 * from where the monitor runs and the config says so (`logs.enabled: false`,
 * `validation.enabled: false`, no pidfile and no metrics endpoint): its checks are N/A, never a
 * PASS and never a FAIL.
 */
export type ProbeUnavailableKind = ProbeFailureKind | "notApplicable";

export type ProbeResult<T> =
  | { ok: true; data: T; durationMs: number }
  | { ok: false; failure: ProbeUnavailableKind; message: string; durationMs: number };

export type ProbeName =
  | "health"
  | "latency"
  | "errorRate"
  | "resources"
  | "logs"
  | "audit"
  | "validation"
  | "dataQuality"
  | "cutover"
  | "testSuite";

/** Why a windowed measurement starts where it does. */
export type WindowReason = "since previous checkpoint" | "since the cutover" | "minimum lookback";

/**
 * The time a windowed measurement covers at least: back from `to` (the probe's reading) by the
 * longer of the configured minimum lookback (target.windows.minLookbackSeconds) and the time since
 * the previous checkpoint's reading of the same probe. Back-to-back checkpoints therefore overlap:
 * what an earlier checkpoint already saw is counted again while it is inside the window.
 */
export interface MeasurementWindow {
  /** Epoch ms. */
  fromMs: number;
  toMs: number;
  /** ISO 8601 of fromMs and toMs. */
  from: string;
  to: string;
  seconds: number;
  reason: WindowReason;
  minLookbackSeconds: number;
  /** Epoch ms of the previous checkpoint's reading of this probe; null when none is known. */
  previousMs: number | null;
}

/** One cumulative reading of the pipeline's counters. */
export interface CounterReading {
  /** Epoch ms of the reading. */
  at: number;
  requests: number;
  failedRequests: number;
  runs: number;
  failedRuns: number;
  /** Label value -> count for failed requests (e.g. {"500": 3}). */
  failedRequestsByLabel: Record<string, number>;
  processStartTimeSeconds: number | null;
}

/** Raw counters, persisted in the record and passed back as ctx.previous.counters. */
export interface RawCounters extends CounterReading {
  /**
   * "metrics": cumulative counters of the pipeline's metrics endpoint; "logs": no endpoint (or
   * 404), the fields are then the counts of the log window.
   */
  source: "metrics" | "logs";
  /**
   * Earlier readings of the same process (oldest first), kept as far back as the next
   * checkpoint's minimum lookback can need them ("metrics" only).
   */
  earlier?: CounterReading[];
  /** The monitor's own KPI requests per checkpoint, kept for the lookback (requests counted by the monitor only). */
  monitorRequests?: { at: number; sent: number; failed: number }[];
  /** Log counting without timestamps: where the counting scan stopped. */
  logCursor?: LogState;
}

export interface ProcessIdentity {
  /** null: known by its start time only (read from the process metrics, which carry no pid). */
  pid: number | null;
  /**
   * Process start time, epoch ms. Linux: /proc/<pid>/stat starttime (clock ticks since boot) +
   * /proc/stat btime; elsewhere pidusage's timestamp - elapsed. Resolution about a second.
   */
  startedAtMs: number | null;
}

export interface LogState {
  path: string;
  inode: number;
  /** Device of the file: with the inode, which file was read (absent in states saved before it was kept). */
  dev?: number;
  /** Byte offset after the last complete line scanned. */
  offset: number;
  size: number;
  /** Epoch ms of the reading (the next checkpoint's "since previous checkpoint"). */
  at?: number;
  /**
   * How many of the file's first bytes headSha256 covers (up to 1024: the file's size when read).
   * A log truncated in place and written again keeps its inode and may regrow past the offset;
   * its first bytes tell it apart (src/probes/logs.ts resumeLog).
   */
  headBytes?: number;
  /** SHA-256 (hex) of the file's first headBytes bytes when read. */
  headSha256?: string;
  /** The byte before offset was a line end (false at offset 0): a resumed read must start at a line start. */
  lineEnd?: boolean;
}

export interface LogTotals {
  countsByLevel: Record<string, number>;
  errors: number;
  warnings: number;
  critical: number;
  linesScanned: number;
}

export interface AuditWatermark {
  source: "sqlite" | "jsonl" | "postgres";
  /**
   * Max value of the watermark column seen (sqlite/postgres: a number, or the text of a
   * timestamp or other increasing value), or the byte offset (jsonl).
   */
  position: number | string;
  /** Newest event timestamp seen. */
  timestamp: string | null;
  /** The watermark column and its kind (sqlite/postgres); a previous watermark of another column is not used. */
  column?: string;
  type?: "number" | "timestamp" | "text";
  /** Epoch ms of the reading (the next checkpoint's "since previous checkpoint"). */
  at?: number;
}

/** State carried from one checkpoint to the next (the lead persists it in the record). */
export interface ProbeState {
  counters?: RawCounters;
  logState?: LogState;
  auditWatermark?: AuditWatermark;
  logTotalsSinceCutover?: LogTotals;
  /** The resources probe's last process identity and the restarts it detected within the hour. */
  processIdentity?: { pid: number | null; startedAtMs: number | null; restarts: string[] };
}

export interface ProbeContext {
  previous?: ProbeState;
  /** hour0: cut over even when V2 is already active. */
  force?: boolean;
  /** Live output of commands (cutover, validation, test suite). */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  now: () => number;
  /** Label of the checkpoint (e.g. scheduled time); defaults to startedAt. */
  checkpoint?: string;
  /** Requests the monitor itself sent in this checkpoint (log-based error rate fallback). */
  requestsSentByMonitor?: number;
  /** Of those, the ones that got no 2xx answer (they are among the log's failed-request lines). */
  requestsFailedByMonitor?: number;
  /** The recorded cutover start (ISO): runs before it (V1) are not expected to write audit events. */
  cutoverStartedAt?: string | null;
}
