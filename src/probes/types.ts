/**
 * Shapes of what the probes measure. Every value here is JSON-serialisable: a checkpoint
 * measures once (collect), the specs read these shapes, the record stores them.
 *
 * Failure classification (DESIGN.md "Result states"):
 * - `failure: "target"`  -> the check is a FAIL: the target is unreachable, timed out, answered
 *   with an HTTP error, answered wrongly, or the probe measured nothing (zero samples/rows/events).
 * - `failure: "monitor"` -> the check is an ERROR: the monitor could not parse what it got
 *   (unknown report format, truncated JSON, non-Prometheus text) or the monitor itself failed.
 * Messages are one line and say what happened, e.g.
 * "target unreachable: GET http://127.0.0.1:8787/health: connect ECONNREFUSED (timeout 5000 ms)".
 */

export type ProbeFailureKind = "target" | "monitor";

export type ProbeResult<T> =
  | { ok: true; data: T; durationMs: number }
  | { ok: false; failure: ProbeFailureKind; message: string; durationMs: number };

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

/* ------------------------------------------------------------------ health */

export interface HealthEndpointCheck {
  name: string;
  url: string;
  /** null when there was no HTTP answer at all. */
  httpStatus: number | null;
  ok: boolean;
  responseMs: number;
  /** One line, set when ok is false. */
  error?: string;
}

export interface HealthMeasurement {
  url: string;
  httpStatus: number;
  responseMs: number;
  /** Value of the configured status field, as a string (null when absent). */
  status: string | null;
  /** status is one of the configured ok values. */
  statusOk: boolean;
  version: string | null;
  expectedVersionAfterCutover: string;
  expectedVersionBeforeCutover: string;
  /** version === expectedVersionAfterCutover (V2 active). */
  postCutoverVersionActive: boolean;
  uptimeSeconds: number | null;
  pid: number | null;
  lastRun: { runId: string | null; result: string | null; finishedAt: string | null; error: string | null } | null;
  /** The whole body as returned (for evidence). */
  body: unknown;
  extraEndpoints: HealthEndpointCheck[];
}

/* ------------------------------------------------------------- KPI latency */

export interface DistributionSummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

export interface LatencySample {
  index: number;
  /** Epoch ms when the request was sent. */
  at: number;
  endToEndMs: number;
  /** From Server-Timing (`compute;dur=`); null when absent. */
  serverMs: number | null;
  /** null when no HTTP answer (connection error, timeout). */
  httpStatus: number | null;
  ok: boolean;
  requestId: string | null;
  error?: string;
}

export interface KpiComparison {
  name: string;
  /** Dot path in the response where the value was read. */
  path: string;
  expected: number | null;
  actual: number | null;
  /** |actual - expected|, null when either is missing. */
  diff: number | null;
  tolerance: number;
  match: boolean;
}

export interface LatencyMeasurement {
  url: string;
  tapePath: string;
  tapeRows: number;
  samplesRequested: number;
  samples: LatencySample[];
  okCount: number;
  failedCount: number;
  /** HTTP status (or "error" for no answer) -> count. */
  statusCounts: Record<string, number>;
  /** Over successful samples only; null when none succeeded. */
  endToEndMs: DistributionSummary | null;
  /** Over samples that carried Server-Timing; null when none did. */
  serverMs: DistributionSummary | null;
  /** Comparison of the first successful response with the golden expected values. */
  kpis: KpiComparison[];
  kpisMatch: boolean;
  /** Successful responses whose KPI values differed from the golden values. */
  kpiMismatchSamples: number;
}

/* ----------------------------------------------------------------- windows */

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

/* -------------------------------------------------------------- error rate */

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

export interface ErrorRateWindow {
  /**
   * Start of what was counted (epoch ms): the earlier reading subtracted, the process start, or
   * the window start (log lines). At or before required.fromMs unless the process started
   * inside the window or a cap/offset limited the log read (countedFrom says which); null when
   * counted from a process start of unknown time.
   */
  fromMs: number | null;
  toMs: number;
  requests: number;
  failedRequests: number;
  runs: number;
  failedRuns: number;
  failedRequestsByLabel: Record<string, number>;
  /** The window these counts must cover (from, to, why). */
  required: MeasurementWindow;
  /**
   * "earlier reading": current counters minus the newest reading at or before the window start;
   * "process start": cumulative counters (no reading that old, or a restart);
   * "log timestamps": log lines stamped inside the window;
   * "log offset": log lines since the previous checkpoint's byte offset (no timestamps in the log).
   */
  countedFrom: "earlier reading" | "process start" | "log timestamps" | "log offset";
}

export interface ErrorRateMeasurement {
  /** "metrics" when the metrics endpoint answered; "logs" when there is none (or it answered 404). */
  source: "metrics" | "logs";
  /**
   * Where each kind was counted: the pipeline's counters, its log lines, or (requests only) the
   * monitor's own requests plus the log's failed-request lines, when the pipeline has neither
   * request counters nor request lines. Never two of them for one kind.
   */
  sources: { requests: "metrics" | "logs" | "monitor"; runs: "metrics" | "logs" };
  /** Why the log fallback was used, when it was. */
  fallbackReason?: string;
  window: ErrorRateWindow;
  /** failedRequests + failedRuns in the window. */
  failures: number;
  /** requests + runs in the window. */
  denominator: number;
  /** failures / denominator x 100. */
  errorRatePercent: number;
  /** One-sided 95 % upper bound of the rate (exact Clopper-Pearson), in %. */
  upperBound95Percent: number;
  /** The rate the sample should tell from 0 (target.metrics.errorRateResolutionPercent). */
  resolutionPercent: number;
  /** upperBound95Percent > resolutionPercent: the sample is too small to tell that rate from 0. */
  tooSmallToTell: boolean;
  /** One line saying what the sample can tell (count, denominator, bound, what would be needed). */
  confidence: string;
  /** What limited the count, when something did (log read cap, no timestamps, a process started inside the window). */
  notes?: string[];
  /** The process start time changed since the previous reading (or a counter went back): counted from the new start. */
  restarted: boolean;
  /** No previous counters of the same source. */
  firstReading: boolean;
  /** Persist these: they are ctx.previous.counters next time. */
  counters: RawCounters;
}

/* --------------------------------------------------------------- resources */

export interface ResourceSample {
  /** Epoch ms. */
  at: number;
  rssMb: number;
  /** % of one core since the previous sample (can exceed 100). */
  cpuPercent: number;
}

export interface ResourcesMeasurement {
  pid: number;
  pidFile: string;
  windowMs: number;
  intervalMs: number;
  /** The first pidusage reading (a 0-delta for CPU) is discarded. */
  samples: ResourceSample[];
  rssMbMax: number;
  rssMbLast: number;
  cpuPercentMean: number;
  cpuPercentMax: number;
  /** Identity of the sampled process: pid and start time (epoch ms; null when unknown). */
  process: ProcessIdentity;
  /** Compared with the identity the previous checkpoint recorded (ProbeState.processIdentity). */
  restart: RestartInfo;
}

export interface ProcessIdentity {
  pid: number;
  /**
   * Process start time, epoch ms. Linux: /proc/<pid>/stat starttime (clock ticks since boot) +
   * /proc/stat btime; elsewhere pidusage's timestamp - elapsed. Resolution about a second.
   */
  startedAtMs: number | null;
}

export interface RestartInfo {
  /** The identity recorded by the previous checkpoint; null on the first observation. */
  previous: ProcessIdentity | null;
  /** pid changed, or same pid with another start time (the first observation is not a restart). */
  restartedSincePrevious: boolean;
  /** ISO times (monitor clock, when detected) of restarts within the last hour, including this one. */
  restartsWithinHour: string[];
}

/* -------------------------------------------------------------------- logs */

export interface LogState {
  path: string;
  inode: number;
  /** Byte offset after the last complete line scanned. */
  offset: number;
  size: number;
  /** Epoch ms of the reading (the next checkpoint's "since previous checkpoint"). */
  at?: number;
}

export interface LogSampleLine {
  level: string;
  /** Byte offset of the line in the file. */
  offset: number;
  line: string;
}

/** Level names as the target writes them, grouped by the monitor's categories. */
export interface LogLevelNames {
  error: string[];
  warn: string[];
  critical: string[];
}

export interface LogScanResult {
  fromOffset: number;
  /** Offset after the last complete line (an unterminated last line is left for next time). */
  endOffset: number;
  bytesScanned: number;
  linesScanned: number;
  /** Lines the pattern did not match (no level). */
  unmatchedLines: number;
  /** Level as written -> count. */
  countsByLevel: Record<string, number>;
  errors: number;
  warnings: number;
  critical: number;
  /** Up to maxSamples per category, first seen first. */
  samples: { error: LogSampleLine[]; warn: LogSampleLine[]; critical: LogSampleLine[] };
  /** `ts` group of the last matched line, if the pattern has one. */
  lastLineTs: string | null;
}

export interface LogTotals {
  countsByLevel: Record<string, number>;
  errors: number;
  warnings: number;
  critical: number;
  linesScanned: number;
}

/** How the start of a log window was found, reading back from the end of the log. */
export type LogWindowStart =
  /** A line stamped before the window start precedes it. */
  | "older line"
  /** The whole file is inside the window. */
  | "file start"
  /** target.windows.logReadBackBytes were read back without reaching the window start: only the newest part of the window is counted. */
  | "read cap"
  /** No line carries a timestamp the line pattern's `ts` group can read: the lines since the previous checkpoint's byte offset. */
  | "no timestamps";

/** The log lines of a checkpoint's window (a MeasurementWindow), whether or not an earlier checkpoint read them. */
export interface LogWindowScan extends LogScanResult {
  window: MeasurementWindow;
  startFoundBy: LogWindowStart;
  /** Bytes read back from the end of the log to find the window start. */
  readBackBytes: number;
}

export interface LogsMeasurement {
  path: string;
  /** The file was replaced (inode changed): scanned from 0. */
  rotated: boolean;
  /** The file shrank below the saved offset: scanned from 0. */
  truncated: boolean;
  /**
   * The checkpoint's window (the name is historical): every line stamped inside
   * max(minimum lookback, since the previous checkpoint), also lines an earlier checkpoint read.
   */
  sinceLastCheckpoint: LogWindowScan;
  /** Lines appended since the previous checkpoint's byte offset (what sinceCutover adds). */
  newSincePreviousCheckpoint: LogScanResult;
  /** Cumulative since cutover: previous totals + the new lines. Persist as logTotalsSinceCutover. */
  sinceCutover: LogTotals;
  /** Lines in the window. */
  linesScanned: number;
  /** Bytes read by this probe (the window and the new lines, each byte once, plus the read-back search). */
  bytesScanned: number;
  /** `ts` of the newest line with a readable timestamp (else of the newest matched line scanned, else null). */
  lastLineAt: string | null;
  /** lastLineAt as epoch ms; null when no timestamp could be read. */
  lastLineAtMs: number | null;
  /** Age of the newest line at the probe's reading, in s; null when no timestamp could be read. */
  lastLineAgeSeconds: number | null;
  fileMtimeMs: number;
  fileSize: number;
  /** Persist as ctx.previous.logState. */
  state: LogState;
}

/* ------------------------------------------------------------------- audit */

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

export interface AuditRunEvents {
  runId: string;
  eventCount: number;
  complete: boolean;
}

export interface AuditMeasurement {
  source: "sqlite" | "jsonl" | "postgres";
  location: string;
  eventsPerCalculation: number;
  /** (a) The probe's own calculation. */
  probeCalculation: {
    requestId: string;
    httpStatus: number;
    eventCount: number;
    events: { event: string; status: string | null }[];
    expectedEvents: string[];
    missingEvents: string[];
    /** eventCount === eventsPerCalculation and no expected event missing. */
    complete: boolean;
  };
  /**
   * (b) Events of the window (the name is historical): stamped inside
   * max(minimum lookback, since the previous checkpoint), or past the previous watermark;
   * the probe's own calculation excluded.
   */
  sinceLastCheckpoint: {
    window: MeasurementWindow;
    from: AuditWatermark | null;
    eventCount: number;
    /** Events per run id in the window (each run counted over all its events). */
    runs: AuditRunEvents[];
    /** Distinct request ids in the window (other than the probe's). */
    requests: number;
    /** Runs in the window with fewer events than eventsPerCalculation. */
    incompleteRuns: AuditRunEvents[];
    /** Runs that finished in the window (after the cutover) and must have audit events, with none at all. */
    runsWithoutEvents: string[];
    /** Number of runs that finished in the window and must have audit events (null when neither source is configured). */
    runsFinished: number | null;
    /** Where those runs were found: run summaries (audit.runSummaries), run-finished log lines (audit.runLog). */
    runSources: ("run summaries" | "log")[];
  };
  totalEvents: number;
  /** Persist as ctx.previous.auditWatermark. */
  watermark: AuditWatermark;
}

/* -------------------------------------------------------------- validation */

export interface ValidationCheck {
  name: string;
  present: boolean;
  status: string | null;
  details: Record<string, unknown>;
}

export interface ValidationMeasurement {
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  commandDurationMs: number;
  stdoutTail: string;
  stderrTail: string;
  reportPath: string;
  /** The report was written by this run (mtime or timestamp after the command started). */
  reportFresh: boolean;
  reportTimestamp: string | null;
  reportMtimeMs: number;
  status: string;
  /** Classified status: "PASS" | "WARN" | "FAIL" per configured values. */
  verdict: "PASS" | "WARN" | "FAIL";
  issues: unknown[];
  checks: ValidationCheck[];
  missingChecks: string[];
  /** Newest per-run report matching the glob, if any. */
  perRunReport: { path: string; mtimeMs: number } | null;
}

/* ------------------------------------------------------------ data quality */

export interface DataQualityMeasurement {
  rowsFile: string;
  rowCount: number;
  columns: string[];
  requiredColumns: string[];
  missingColumns: string[];
  /** Empty cells per column. */
  nullsByColumn: Record<string, number>;
  totalNulls: number;
  key: string;
  /** Rows whose key was already seen. */
  duplicateRows: number;
  duplicateKeyExamples: string[];
  inputFile: string | null;
  inputRowCount: number | null;
  rowCountMatchesInput: boolean | null;
  newestOutput: { path: string; mtimeMs: number; ageSeconds: number };
  maxAgeSeconds: number;
  fresh: boolean;
  kpiFile: { path: string; readable: boolean; error?: string; content?: unknown };
}

/* ----------------------------------------------------------------- cutover */

export interface CutoverPhaseResult {
  index: number;
  name: string;
  result: "SUCCESS" | "FAILED" | "MISSING";
  reason?: string;
}

export interface CutoverLogParse {
  path: string;
  mtimeMs: number;
  phases: CutoverPhaseResult[];
  allPhasesSucceeded: boolean;
  warnings: string[];
  completed: boolean;
  completionLine: string | null;
  /** duration_ms from the completion line, when present. */
  reportedDurationMs: number | null;
  failedPhase: string | null;
}

export interface CutoverMeasurement {
  skipped: boolean;
  reason?: string;
  versionBefore: string | null;
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  commandDurationMs: number | null;
  /** Epoch ms when the command started (the cutover start), null when skipped. */
  startedAtMs: number | null;
  /** Last lines of the command's output (also streamed to ctx.onLine). */
  output: { stream: "stdout" | "stderr"; line: string }[];
  /** Parse of the newest cutover log; null when none exists. */
  log: CutoverLogParse | null;
  /** The newest log was written by this run. */
  logFresh: boolean;
  rollback: { dir: string | null; exists: boolean; checksumsFile: string | null; checksumsPresent: boolean };
}

/* -------------------------------------------------------------- test suite */

export interface JunitSummary {
  total: number;
  failed: number;
  errors: number;
  skipped: number;
  passed: number;
  failedNames: string[];
  testcases: number;
}

export interface TestSuiteMeasurement extends JunitSummary {
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  commandDurationMs: number;
  junitPath: string;
  junitFresh: boolean;
  expectedTotal: number | null;
  /** total >= expectedTotal and failed + errors === 0; null when no expectation. */
  meetsExpected: boolean | null;
  stdoutTail: string;
}

/* ------------------------------------------------------- checkpoint scope */

/** State carried from one checkpoint to the next (the lead persists it in the record). */
export interface ProbeState {
  counters?: RawCounters;
  logState?: LogState;
  auditWatermark?: AuditWatermark;
  logTotalsSinceCutover?: LogTotals;
  /** The resources probe's last process identity and the restarts it detected within the hour. */
  processIdentity?: { pid: number; startedAtMs: number | null; restarts: string[] };
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

export interface Measurements {
  phase: string;
  checkpoint: string;
  startedAt: string;
  finishedAt: string;
  probes: ProbeName[];
  health?: ProbeResult<HealthMeasurement>;
  latency?: ProbeResult<LatencyMeasurement>;
  errorRate?: ProbeResult<ErrorRateMeasurement>;
  resources?: ProbeResult<ResourcesMeasurement>;
  logs?: ProbeResult<LogsMeasurement>;
  audit?: ProbeResult<AuditMeasurement>;
  validation?: ProbeResult<ValidationMeasurement>;
  dataQuality?: ProbeResult<DataQualityMeasurement>;
  cutover?: ProbeResult<CutoverMeasurement>;
  testSuite?: ProbeResult<TestSuiteMeasurement>;
  /** New state to persist; pieces not measured this time are carried over from ctx.previous. */
  state: ProbeState;
}
