import path from "node:path";
import { z } from "zod";
import { parseFormula } from "../probes/outputs/formula.js";

/**
 * The target part of the configuration: everything a probe reads from the watched pipeline,
 * as data. Defaults describe the bundled reference pipeline (pipeline/CONTRACT.md); another
 * pipeline, with other names and formats, is watched by overriding these values only.
 *
 * Paths: relative file paths resolve against `stateDir` (see resolveTargetPath), except the
 * golden tape and its expected values, which belong to the monitor and resolve against the
 * monitor's cwd. Commands are argv arrays run without a shell; in argv and `commandEnv`,
 * `${stateDir}`, `${port}` and `${baseUrl}` are replaced by the target's values.
 */

const regexString = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: "expected a valid regular expression" },
);

const argv = z.array(z.string().min(1)).min(1, { message: "expected a command as a non-empty argv array" });

const tsx = "node_modules/.bin/tsx";
const cli = "pipeline/cli.ts";

const healthSchema = z
  .object({
    path: z.string().default("/health"),
    /** Dot paths in the health JSON. */
    statusField: z.string().default("status"),
    versionField: z.string().default("version"),
    uptimeField: z.string().nullable().default("uptime_s"),
    pidField: z.string().nullable().default("pid"),
    lastRunField: z.string().nullable().default("last_run"),
    lastRunIdField: z.string().default("run_id"),
    lastRunResultField: z.string().default("result"),
    lastRunFinishedAtField: z.string().default("finished_at"),
    lastRunErrorField: z.string().default("error"),
    /** Status values that mean healthy. */
    okValues: z.array(z.string()).min(1).default(["ok"]),
    expectedVersionAfterCutover: z.string().default("v2"),
    expectedVersionBeforeCutover: z.string().default("v1"),
    /** Further endpoints that must answer 2xx (path relative to baseUrl, or a full URL). */
    extraEndpoints: z
      .array(z.object({ name: z.string(), url: z.string() }))
      .default([]),
  })
  .prefault({});

const kpiSchema = z
  .object({
    path: z.string().default("/kpis"),
    method: z.enum(["POST", "PUT", "GET"]).default("POST"),
    contentType: z.string().default("text/csv"),
    /** Golden tape, relative to the monitor's cwd. */
    goldenTape: z.string().default("fixtures/loans-1k.csv"),
    /** `{kpis:{PAR30,PAR90,CollectionRate,PortfolioHealth}}` (numbers), relative to the monitor's cwd. */
    expectedValues: z.string().default("fixtures/loans-1k.expected.json"),
    /** Where each expected KPI (key of expected.kpis) sits in the response: dot paths. */
    responsePaths: z.record(z.string(), z.string()).default({
      PAR30: "kpis.PAR30.value",
      PAR90: "kpis.PAR90.value",
      CollectionRate: "kpis.CollectionRate.value",
      PortfolioHealth: "kpis.PortfolioHealth.value",
    }),
    /** Absolute tolerance when comparing KPI values. */
    tolerance: z.number().nonnegative().default(1e-6),
    serverTimingMetric: z.string().default("compute"),
    requestIdHeader: z.string().default("X-Request-Id"),
    samples: z.number().int().positive().default(30),
    concurrency: z.number().int().positive().default(1),
    /**
     * "KPI values in expected ranges": where each KPI sits in the pipeline's KPI output file
     * (outputs.local.kpiFile; a number, or an object with a `value`) and its warning and
     * critical levels (docs/DESIGN.md: PAR30 5/8, PAR90 3/5, CollectionRate 1.5/1.0 lower is worse).
     */
    ranges: z
      .record(
        z.string(),
        z.object({
          path: z.string(),
          /** Warning and critical levels (both or neither). */
          direction: z.enum(["higher_is_worse", "lower_is_worse"]).optional(),
          warning: z.number().optional(),
          critical: z.number().optional(),
          /** Bounds of a valid value: outside is a FAIL (a calculation defect). */
          min: z.number().optional(),
          max: z.number().optional(),
        }),
      )
      .default({
        PAR30: { path: "kpis.PAR30", direction: "higher_is_worse", warning: 5, critical: 8 },
        PAR90: { path: "kpis.PAR90", direction: "higher_is_worse", warning: 3, critical: 5 },
        CollectionRate: { path: "kpis.CollectionRate", direction: "lower_is_worse", warning: 1.5, critical: 1.0 },
        PortfolioHealth: { path: "kpis.PortfolioHealth", min: 0, max: 10 },
      }),
  })
  .prefault({});

const logFallbackSchema = z
  .object({
    /** Pipeline log scanned for the counts (relative to stateDir). */
    path: z.string().default("logs/pipeline.log"),
    /**
     * Where each line's timestamp is: a named group `ts` (ISO 8601, or epoch seconds/ms) matched at
     * the line start; null: logs.linePattern. Lines are counted when stamped inside the window;
     * without readable timestamps, since the previous checkpoint's byte offset.
     */
    linePattern: regexString.nullable().default(null),
    /** A KPI request line (any result); null: requests = failed requests + the monitor's own requests. */
    requestLine: regexString.nullable().default(null),
    failedRequestLine: regexString.default("\\[(?:ERROR|CRITICAL)\\] .*(?:POST /kpis|kpi request)"),
    failedRunLine: regexString.default("\\[(?:ERROR|CRITICAL)\\] .*run failed"),
    successfulRunLine: regexString.default("\\[INFO\\] .*run finished"),
  })
  .prefault({});

/**
 * The error rate: failures over the window (see `windows`) from the pipeline's own counters, or
 * from its log lines where it has none; the monitor's own KPI requests are counted only when the
 * pipeline has neither request counters nor request lines (metrics.logFallback.requestLine), so
 * nothing is counted twice.
 *
 * Failures of a counter are told either by a label (requestsLabel matching requestsFailureRegex,
 * runsLabel in runsFailureValues) or, when a failure counter of its own is configured
 * (requestsFailureCounter / runsFailureCounter, e.g. `abaco_pipeline_failures_total` beside
 * `abaco_pipeline_requests_total`), by that counter: the sum of its samples, whatever their labels.
 */
const metricsSchema = z
  .object({
    /** null when the target has no metrics endpoint (then the log fallback is used). */
    path: z.string().nullable().default("/metrics"),
    /** All KPI requests; null: the pipeline has no request counter (requests from metrics.logFallback). */
    requestsCounter: z.string().nullable().default("loan_pipeline_kpi_requests_total"),
    requestsLabel: z.string().default("code"),
    /** Label values matching this are failed requests (when requestsFailureCounter is null). */
    requestsFailureRegex: regexString.default("^5"),
    /** A counter of failed requests of its own (summed over its labels); null: failures by requestsLabel. */
    requestsFailureCounter: z.string().nullable().default(null),
    /** All runs; null: the pipeline has no run counter (runs from metrics.logFallback). */
    runsCounter: z.string().nullable().default("loan_pipeline_runs_total"),
    runsLabel: z.string().default("result"),
    /** Label values that are failed runs (when runsFailureCounter is null). */
    runsFailureValues: z.array(z.string()).default(["failure"]),
    /** A counter of failed runs of its own; null: failures by runsLabel. */
    runsFailureCounter: z.string().nullable().default(null),
    processStartTime: z.string().default("process_start_time_seconds"),
    /**
     * The error rate the sample should be able to tell from 0 (the warn threshold by default):
     * when the 95 % upper bound is above it, the measurement says the sample is too small
     * (tooSmallToTell). Informational: the verdict judges the point estimate.
     */
    errorRateResolutionPercent: z.number().positive().default(0.1),
    logFallback: logFallbackSchema,
  })
  .prefault({});

/**
 * Memory, CPU and restarts of the pipeline process: from its pidfile (RSS and CPU of that pid,
 * read on this host), or, where no pidfile is reachable (a runner away from the pipeline's host,
 * such as a CI job: `pidFile: null`), from the target's Prometheus process metrics at
 * `metrics.path` (restarts from `metrics.processStartTime`). With neither, these checks are N/A.
 */
const processSchema = z
  .object({
    /** null: no pidfile reachable from where the monitor runs; the process metrics are read instead. */
    pidFile: z.string().nullable().default("pipeline.pid"),
    cpuWindowMs: z.number().int().positive().default(1000),
    cpuSampleIntervalMs: z.number().int().positive().default(200),
    /** The process metrics read when `pidFile` is null (prom-client's and most client libraries' names). */
    metrics: z
      .object({
        residentMemoryBytes: z.string().default("process_resident_memory_bytes"),
        cpuSecondsTotal: z.string().default("process_cpu_seconds_total"),
      })
      .prefault({}),
  })
  .prefault({});

const logsSchema = z
  .object({
    /** false: the pipeline's log is not reachable from where the monitor runs (not served to it): the log checks are N/A. */
    enabled: z.boolean().default(true),
    path: z.string().default("logs/pipeline.log"),
    /** Matched at the start of each line; must have a named group `level` (optionally `ts`). */
    linePattern: regexString
      .refine((s) => s.includes("(?<level>"), { message: "expected a named group (?<level>...)" })
      .default("^(?<ts>\\S+) \\[(?<level>[A-Z]+)\\] "),
    levels: z
      .object({
        error: z.array(z.string()).default(["ERROR"]),
        warn: z.array(z.string()).default(["WARN", "WARNING"]),
        critical: z.array(z.string()).default(["CRITICAL", "FATAL"]),
      })
      .prefault({}),
    maxSampleLines: z.number().int().nonnegative().default(5),
    /**
     * "Logs streaming": the newest line's timestamp (the pattern's `ts` group) must be at most this
     * many seconds old at the checkpoint (the file's mtime when no line carries a readable timestamp).
     */
    maxSilenceSeconds: z.number().positive().default(300),
    /**
     * ERROR lines one counted failure writes at most (the reference pipeline: a failed request
     * 1, a failed run 2 — the phase and the run). Up to failures x this, the log's ERRORs are
     * the error rate's own failures and take its band instead of a second verdict.
     */
    errorLinesPerFailure: z.number().int().nonnegative().default(2),
  })
  .prefault({});

const expectedEvents = ["calculate_all", "kpi_calculated", "composite_kpi_calculated"];

/** Column names of an audit table (SQLite or PostgreSQL). */
const auditColumnsSchema = z
  .object({
    id: z.string().default("id"),
    requestId: z.string().default("request_id"),
    runId: z.string().default("run_id"),
    timestamp: z.string().default("timestamp"),
    event: z.string().default("event"),
    status: z.string().default("status"),
  })
  .prefault({});

/**
 * The watermark: an increasing column of the audit table whose maximum the probe remembers
 * between checkpoints, so that every event written since the previous checkpoint is in the window
 * (besides the events stamped inside the minimum lookback, by the timestamp column).
 * - `column`: null = columns.id. Any column whose values increase as events are written: an
 *   integer id, SQLite's hidden `rowid` (a UUID-keyed table with rowids), a timestamp, a ULID...
 * - `type`: "number" (integer ids, rowid; compared with >), "timestamp" (ISO-8601 UTC text or a
 *   native timestamp type; ties are possible, so compared with >=), "text" (any other value that
 *   increases in text order; compared with >=).
 * The column also orders the events (first seen first).
 */
const auditWatermarkSchema = z
  .object({
    column: z.string().nullable().default(null),
    type: z.enum(["number", "timestamp", "text"]).default("number"),
  })
  .prefault({});

/**
 * How the timestamp column holds time, to select the events stamped inside the window:
 * "iso" (ISO-8601 UTC text such as 2025-01-01T00:00:00.000Z, which sorts as time, or a native
 * timestamp type), "epoch_s" or "epoch_ms" (numbers).
 */
const auditTimestampFormat = z.enum(["iso", "epoch_s", "epoch_ms"]).default("iso");

const auditSourceSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("sqlite"),
    path: z.string().default("audit/audit.db"),
    table: z.string().default("audit_events"),
    columns: auditColumnsSchema,
    watermark: auditWatermarkSchema,
    timestampFormat: auditTimestampFormat,
    busyTimeoutMs: z.number().int().nonnegative().default(2000),
  }),
  z.object({
    kind: z.literal("jsonl"),
    path: z.string().default("audit/audit.jsonl"),
    /** Dot paths in each JSON line. */
    fields: z
      .object({
        requestId: z.string().default("request_id"),
        runId: z.string().default("run_id"),
        timestamp: z.string().default("timestamp"),
        event: z.string().default("event"),
        status: z.string().default("status"),
      })
      .prefault({}),
  }),
  z.object({
    kind: z.literal("postgres"),
    /** Name of the environment variable holding the connection string (never the secret itself). */
    connectionStringEnv: z.string().default("AUDIT_DATABASE_URL"),
    table: z.string().default("audit_events"),
    columns: auditColumnsSchema,
    watermark: auditWatermarkSchema,
    timestampFormat: auditTimestampFormat,
  }),
]);

const auditSchema = z
  .object({
    source: auditSourceSchema.prefault({ kind: "sqlite" }),
    eventsPerCalculation: z.number().int().positive().default(6),
    /** Event names that one calculation must contain (each at least once). */
    expectedEvents: z.array(z.string()).default(expectedEvents),
    /** How long to wait for the probe's own events to land in the store. */
    settleMs: z.number().int().nonnegative().default(2000),
    /** Run summaries, to find runs in the window with no audit event; null when the target has none. */
    runSummaries: z
      .object({
        glob: z.string().default("logs/runs/*/summary.json"),
        runIdField: z.string().default("run_id"),
        finishedAtField: z.string().default("finished_at"),
        resultField: z.string().nullable().default("result"),
        /** Only runs with these results are expected to have audit events. */
        auditedResults: z.array(z.string()).default(["success"]),
        /** Field naming the version that ran; only runs of the audited versions count (null: all). */
        versionField: z.string().nullable().default("version"),
        /** V1 writes no audit trail: a run in flight during the cutover finishes as V1. */
        auditedVersions: z.array(z.string()).default(["v2"]),
      })
      .nullable()
      .prefault({}),
    /**
     * Runs that must have audit events, from "run finished" log lines (besides or instead of the
     * run summaries); null: not used. A line counts when `pattern` matches it (anywhere) and its
     * timestamp (logs.linePattern's `ts` group) is inside the window and after the cutover.
     * E.g. for the reference pipeline:
     * `{ pattern: "\\[INFO\\] run: run finished run_id=(?<runId>\\S+) version=(?<version>\\S+)" }`.
     */
    runLog: z
      .object({
        /** The log (relative to stateDir); null: logs.path. */
        path: z.string().nullable().default(null),
        /** Matches a successfully finished run; named group `runId` required, `version` optional. */
        pattern: regexString.refine((s) => s.includes("(?<runId>"), { message: "expected a named group (?<runId>...)" }),
        /** With a `version` group: only runs of these versions must have audit events (null: all). */
        auditedVersions: z.array(z.string()).nullable().default(["v2"]),
      })
      .nullable()
      .default(null),
  })
  .prefault({});

const validationSchema = z
  .object({
    /** false: the pipeline's validation script cannot be run from where the monitor runs (it reads the pipeline's host): the validation checks are N/A. */
    enabled: z.boolean().default(true),
    command: argv.default([tsx, cli, "validate"]),
    cwd: z.string().nullable().default(null),
    timeoutMs: z.number().int().positive().default(120_000),
    reportPath: z.string().default("production_validation_report.json"),
    perRunGlob: z.string().nullable().default("logs/validation_*.json"),
    /** Dot paths in the report. */
    fields: z
      .object({
        status: z.string().default("status"),
        issues: z.string().default("issues"),
        checks: z.string().default("checks"),
        timestamp: z.string().nullable().default("timestamp"),
        checkStatus: z.string().default("status"),
      })
      .prefault({}),
    checkNames: z
      .array(z.string())
      .default(["kpi_calculations", "data_integrity", "performance", "error_handling", "audit_trail"]),
    statusValues: z
      .object({
        pass: z.array(z.string()).default(["PASS"]),
        warn: z.array(z.string()).default(["WARN"]),
        fail: z.array(z.string()).default(["FAIL"]),
      })
      .prefault({}),
  })
  .prefault({});

/** The reference pipeline's numeric output columns (amounts in USD). */
const AMOUNT_COLUMNS = [
  "total_receivable_usd",
  "dpd_0_7_usd",
  "dpd_7_30_usd",
  "dpd_30_60_usd",
  "dpd_60_90_usd",
  "dpd_90_plus_usd",
  "cash_available_usd",
  "total_eligible_usd",
  "par30_usd",
];

/**
 * Output channels (docs/DESIGN.md "Output channels"): where each channel keeps a run's processed
 * rows, KPI results and manifest, and the rules every channel's data is judged by. A channel that
 * is not configured (`local.enabled: false`, `azure: null`, `supabase: null`) is N/A, never a pass.
 * Secrets only by environment variable name.
 */
const localOutputSchema = z
  .object({
    /** false: this pipeline has no local output channel (its checks say N/A, "not configured"). */
    enabled: z.boolean().default(true),
    dir: z.string().default("outputs"),
    rowsFile: z.string().default("loans_processed.csv"),
    key: z.string().default("loan_id"),
    requiredColumns: z.array(z.string()).default(["loan_id", ...AMOUNT_COLUMNS]),
    /** Input whose row count the output must match (relative to stateDir), or null. */
    inputFile: z.string().nullable().default("input/loans-10k.csv"),
    kpiFile: z.string().nullable().default("kpis.json"),
    maxAgeSeconds: z.number().positive().default(120),
    csvDelimiter: z.string().default(","),
    /** Dot paths in the KPI file: the run that wrote it and the version that ran (null: none). */
    runIdPath: z.string().nullable().default("run_id"),
    versionPath: z.string().nullable().default("version"),
    /**
     * The run's manifest (relative to stateDir, `{run_id}` replaced), or null. Missing is a FAIL for
     * runs of `requiredForVersions` (null: every run); the reference V1 writes none.
     */
    manifest: z
      .object({
        path: z.string().default("logs/runs/{run_id}/manifest.json"),
        requiredForVersions: z.array(z.string()).nullable().default(["v2"]),
      })
      .nullable()
      .prefault({}),
  })
  .prefault({});

/** Azure Blob Storage: a container, one prefix per run, a pointer blob naming the latest run. */
const azureOutputSchema = z.object({
  /** Environment variable holding the storage connection string (never the secret itself). */
  connectionStringEnv: z.string().default("AZURE_STORAGE_CONNECTION_STRING"),
  container: z.string().default("pipeline-outputs"),
  /** JSON blob naming the latest run: its run id and its prefix (dot paths below). */
  latestBlob: z.string().default("latest.json"),
  latestRunIdPath: z.string().default("run_id"),
  latestPrefixPath: z.string().default("prefix"),
  /** A run's prefix when the pointer names none: `<runsPrefix><run_id>/`. */
  runsPrefix: z.string().default("runs/"),
  rowsBlob: z.string().default("loans_processed.csv"),
  kpiBlob: z.string().default("kpis.json"),
  manifestBlob: z.string().nullable().default("manifest.json"),
  csvDelimiter: z.string().default(","),
  maxAgeSeconds: z.number().positive().default(120),
  /** Every request to the storage account, and the whole read of a run. */
  timeoutMs: z.number().int().positive().default(5_000),
});

/** Supabase (PostgreSQL): a runs table (with the manifest), the processed rows and the KPI results. */
const supabaseOutputSchema = z.object({
  /** Environment variable holding the database URL (never the secret itself). */
  connectionStringEnv: z.string().default("SUPABASE_DB_URL"),
  schema: z.string().default("public"),
  tables: z
    .object({
      runs: z.string().default("runs"),
      rows: z.string().default("loans_processed"),
      kpis: z.string().default("kpi_results"),
    })
    .prefault({}),
  columns: z
    .object({
      runId: z.string().default("run_id"),
      /** When the run was written (the database's clock): freshness. */
      writtenAt: z.string().default("written_at"),
      /** The run's manifest (JSON), read with outputs.manifest's paths; null: none. */
      manifest: z.string().nullable().default("manifest"),
      version: z.string().nullable().default("version"),
      kpiName: z.string().default("kpi"),
      kpiValue: z.string().default("value"),
    })
    .prefault({}),
  maxAgeSeconds: z.number().positive().default(120),
  /** Connecting and every statement. */
  timeoutMs: z.number().int().positive().default(5_000),
  /** Rows fetched per round trip (a cursor: the channel is never held in memory). */
  fetchRows: z.number().int().positive().default(20_000),
});

/** A KPI recomputed from the output rows: a ratio of column sums, or a formula of other KPIs. */
const kpiDefinitionSchema = z.union([
  z
    .object({
      numerator: z.array(z.string()).min(1),
      denominator: z.array(z.string()).min(1),
      scale: z.number().default(100),
      decimals: z.number().int().min(0).max(10).nullable().default(null),
    })
    .strict(),
  z
    .object({
      formula: z.string().refine(
        (s) => {
          try {
            parseFormula(s);
            return true;
          } catch {
            return false;
          }
        },
        { message: "expected a formula of KPI names, numbers, + - * / ( ) and min, max, clamp, abs, round" },
      ),
      decimals: z.number().int().min(0).max(10).nullable().default(null),
    })
    .strict(),
]);

const outputRulesSchema = z
  .object({
    /** The key and the required columns of every channel (null: outputs.local's). */
    key: z.string().nullable().default(null),
    requiredColumns: z.array(z.string()).nullable().default(null),
    /** Columns whose every value must be a finite number (the rest are text). */
    numericColumns: z.array(z.string()).default(AMOUNT_COLUMNS),
    nonNegative: z.array(z.string()).default(AMOUNT_COLUMNS),
    /** total = sum of parts, per row, within the tolerance (delinquency buckets add up to the receivable). */
    sums: z
      .array(z.object({ total: z.string(), parts: z.array(z.string()).min(1), tolerance: z.number().nonnegative().default(0.01) }))
      .default([
        { total: "total_receivable_usd", parts: ["dpd_0_7_usd", "dpd_7_30_usd", "dpd_30_60_usd", "dpd_60_90_usd", "dpd_90_plus_usd"], tolerance: 0.01 },
        { total: "par30_usd", parts: ["dpd_30_60_usd", "dpd_60_90_usd", "dpd_90_plus_usd"], tolerance: 0.01 },
      ]),
    /**
     * Which rules make an input row one the pipeline must reject (recomputed by the monitor from
     * the input, on the columns the input has): not-null (required columns), type, non-negative.
     */
    rejectInputOn: z.array(z.enum(["not-null", "type", "non-negative"])).default(["not-null", "type", "non-negative"]),
    /** Offending rows shown per rule. */
    sampleRows: z.number().int().nonnegative().default(5),
    /** Decimals numbers are compared at across channels (cents: 2). */
    checksumDecimals: z.number().int().min(0).max(8).default(2),
  })
  .prefault({});

const outputsSchema = z
  .object({
    local: localOutputSchema,
    azure: azureOutputSchema.nullable().default(null),
    supabase: supabaseOutputSchema.nullable().default(null),
    rules: outputRulesSchema,
    /** Dot paths in a run's manifest (the same document in every channel). */
    manifest: z
      .object({
        runId: z.string().default("run_id"),
        rows: z.string().default("rows_out"),
        rejected: z.string().nullable().default("rejected"),
        files: z.string().default("outputs"),
        filePath: z.string().default("path"),
        fileSha256: z.string().default("sha256"),
      })
      .prefault({}),
    /** The KPIs recomputed from each channel's rows and compared with its KPI results; null: not checked. */
    kpis: z
      .object({
        /** Where each KPI sits in a channel's KPI file (dot paths; a number, or an object with a `value`). */
        paths: z.record(z.string(), z.string()).default({ PAR30: "kpis.PAR30", PAR90: "kpis.PAR90", CollectionRate: "kpis.CollectionRate", PortfolioHealth: "kpis.PortfolioHealth" }),
        definitions: z.record(z.string(), kpiDefinitionSchema).default({
          PAR30: { numerator: ["dpd_30_60_usd", "dpd_60_90_usd", "dpd_90_plus_usd"], denominator: ["total_receivable_usd"], scale: 100, decimals: null },
          PAR90: { numerator: ["dpd_90_plus_usd"], denominator: ["total_receivable_usd"], scale: 100, decimals: null },
          CollectionRate: { numerator: ["cash_available_usd"], denominator: ["total_eligible_usd"], scale: 100, decimals: 2 },
          PortfolioHealth: { formula: "clamp(0, 10, max(0, 10 - PAR30 / 10) * CollectionRate / 10)", decimals: 2 },
        }),
        tolerance: z.number().nonnegative().default(1e-6),
      })
      .nullable()
      .prefault({}),
    /**
     * Reconciliation across channels reads the same run everywhere: a channel one run behind (its
     * write in progress) is waited for this long before it is compared at its own latest run.
     */
    settleMs: z.number().int().nonnegative().default(3000),
  })
  .prefault({});

const cutoverSchema = z
  .object({
    command: argv.default([tsx, cli, "cutover"]),
    cwd: z.string().nullable().default(null),
    timeoutMs: z.number().int().positive().default(300_000),
    logGlob: z.string().default("logs/cutover_*.log"),
    phases: z.array(z.string()).default(["preflight", "backup", "deploy", "activate", "verify"]),
    /** Groups: `index`, `name`, `result`, optional `reason`. */
    phaseLineRegex: regexString.default(
      "\\[PHASE (?<index>\\d+)/\\d+\\] (?<name>[\\w-]+): (?<result>SUCCESS|FAILED)\\b ?(?<reason>.*)$",
    ),
    successValue: z.string().default("SUCCESS"),
    /** Optional group `duration` (ms). */
    completionRegex: regexString.default("CUTOVER COMPLETE(?: duration_ms=(?<duration>\\d+))?"),
    failureRegex: regexString.default("CUTOVER FAILED(?: phase=(?<phase>\\S+))?"),
    warningRegex: regexString.default("WARNING:\\s*(?<message>.*)$"),
    rollbackDirGlob: z.string().default("rollback/*"),
    /** Checksums written by the cutover into the rollback directory; null: the rollback's data check says "not verified" (WARN). */
    checksumsFile: z.string().nullable().default("checksums.json"),
    /** Lines of command output kept in the measurement. */
    keepOutputLines: z.number().int().nonnegative().default(200),
  })
  .prefault({});

const rollbackSchema = z
  .object({
    command: argv.default([tsx, cli, "rollback"]),
    cwd: z.string().nullable().default(null),
    timeoutMs: z.number().int().positive().default(300_000),
  })
  .prefault({});

const testSuiteSchema = z
  .object({
    command: argv.default([tsx, cli, "test"]),
    cwd: z.string().nullable().default(null),
    timeoutMs: z.number().int().positive().default(300_000),
    junitPath: z.string().default("reports/junit.xml"),
    expectedTotal: z.number().int().positive().optional(),
  })
  .prefault({});

/**
 * Windowed measurements (log lines and their ERROR/WARNING counts, the error rate's counters and
 * runs, audit events and the runs that must have audit events) cover at least the minimum
 * lookback or the time since the previous checkpoint, whichever is longer; each measurement
 * states its window (from, to, and why).
 */
const windowsSchema = z
  .object({
    minLookbackSeconds: z.number().nonnegative().default(600),
    /**
     * The log window is found by reading back from the end of the log until a line older than the
     * window start; at most this many bytes (then only the newest part of the window is counted,
     * and the measurement says so).
     */
    logReadBackBytes: z.number().int().positive().default(64 * 1024 * 1024),
  })
  .prefault({});

function defaultPort(): string {
  return process.env.PIPELINE_PORT || "8787";
}

export const targetSchema = z.object({
  /** The target's state directory; relative paths in this section resolve against it. */
  stateDir: z.string().default(() => process.env.PIPELINE_DIR || ".pipeline"),
  baseUrl: z
    .url()
    .default(() => `http://127.0.0.1:${defaultPort()}`),
  requestTimeoutMs: z.number().int().positive().default(5000),
  /** Extra environment for the target's commands (placeholders: ${stateDir}, ${port}, ${baseUrl}). */
  commandEnv: z.record(z.string(), z.string()).default({
    PIPELINE_DIR: "${stateDir}",
    PIPELINE_PORT: "${port}",
  }),
  windows: windowsSchema,
  health: healthSchema,
  kpi: kpiSchema,
  metrics: metricsSchema,
  process: processSchema,
  logs: logsSchema,
  audit: auditSchema,
  validation: validationSchema,
  outputs: outputsSchema,
  cutover: cutoverSchema,
  rollback: rollbackSchema,
  testSuite: testSuiteSchema,
});

export type TargetConfig = z.infer<typeof targetSchema>;
export type TargetConfigInput = z.input<typeof targetSchema>;

/** A path of the target: absolute as is, relative against the target's state directory. */
export function resolveTargetPath(target: Pick<TargetConfig, "stateDir">, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(target.stateDir, p);
}

/** A path of the monitor (golden tape, expected values): relative against the monitor's cwd. */
export function resolveMonitorPath(p: string): string {
  return path.resolve(p);
}

/** Port of the target's base URL (the scheme's default when none is given). */
export function targetPort(target: Pick<TargetConfig, "baseUrl">): string {
  const u = new URL(target.baseUrl);
  return u.port || (u.protocol === "https:" ? "443" : "80");
}

/** Full URL of an endpoint path (a full URL is returned as is). */
export function targetUrl(target: Pick<TargetConfig, "baseUrl">, p: string): string {
  if (/^https?:\/\//i.test(p)) return p;
  return target.baseUrl.replace(/\/+$/, "") + (p.startsWith("/") ? p : `/${p}`);
}

/** Replace ${stateDir}, ${port}, ${baseUrl} in a command argument or env value. */
export function expandTargetPlaceholders(target: Pick<TargetConfig, "stateDir" | "baseUrl">, s: string): string {
  return s
    .replaceAll("${stateDir}", path.resolve(target.stateDir))
    .replaceAll("${port}", targetPort(target))
    .replaceAll("${baseUrl}", target.baseUrl);
}
