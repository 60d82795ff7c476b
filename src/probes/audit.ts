import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import Database from "libsql";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import {
  asString,
  bodySnippet,
  errorText,
  getPath,
  globPaths,
  measurementWindow,
  monitorFailure,
  runProbe,
  targetFailure,
} from "./target-io.js";
import { loadGolden, postGoldenTape, type KpiCall } from "./kpi-latency.js";
import { compileLinePattern, findWindowStart, forEachLine, parseLogTimestamp } from "./logs.js";
import type { AuditWatermark, MeasurementWindow, ProbeContext, ProbeResult } from "./probe.js";

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

type Source = TargetConfig["audit"]["source"];
type TableSource = Extract<Source, { kind: "sqlite" | "postgres" }>;
type WatermarkType = "number" | "timestamp" | "text";

type Awaitable<T> = T | Promise<T>;

interface AuditWindow {
  eventCount: number;
  requests: number;
  runs: AuditRunEvents[];
  runIds: Set<string>;
  watermark: AuditWatermark;
  total: number;
}

/** What the window query needs: the previous watermark (when usable) and the window start. */
interface WindowQuery {
  from: AuditWatermark | null;
  sinceMs: number;
  /** The probe's own request id, excluded. */
  exclude: string;
  /** Epoch ms of this reading (the new watermark's `at`). */
  at: number;
}

/** What the probe needs from any audit store (sqlite/jsonl answer synchronously, postgres asynchronously). */
interface AuditReader {
  location: string;
  eventsFor(requestId: string): Awaitable<{ event: string; status: string | null }[]>;
  /**
   * Events stamped at or after the window start, or past the previous watermark, excluding one
   * request id; runs counted over all their events.
   */
  window(q: WindowQuery): Awaitable<AuditWindow>;
  runIdsWithEvents(runIds: string[]): Awaitable<Set<string>>;
  close(): Awaitable<void>;
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** The watermark column and how it compares (target.ts: audit.source.watermark). */
function watermarkOf(src: TableSource): { column: string; type: WatermarkType; op: ">" | ">=" } {
  const type = src.watermark.type;
  return { column: src.watermark.column ?? src.columns.id, type, op: type === "number" ? ">" : ">=" };
}

/** The previous watermark when it is of the same store and column (one persisted before columns were recorded: the id column as a number). */
function usableFrom(from: AuditWatermark | null, kind: Source["kind"], wm?: { column: string; type: WatermarkType }, idColumn?: string): AuditWatermark | null {
  if (!from || from.source !== kind) return null;
  if (!wm) return from;
  const column = from.column ?? idColumn;
  const type = from.type ?? "number";
  return column === wm.column && type === wm.type ? from : null;
}

/** The window start as the timestamp column holds time (audit.source.timestampFormat). */
function sinceParam(src: TableSource, sinceMs: number): string | number {
  if (src.timestampFormat === "epoch_s") return sinceMs / 1000;
  if (src.timestampFormat === "epoch_ms") return sinceMs;
  return new Date(sinceMs).toISOString();
}

function positionOf(v: unknown, type: WatermarkType): number | string {
  if (type === "number") return v === null || v === undefined ? 0 : Number(v);
  if (v instanceof Date) return v.toISOString();
  return asString(v) ?? "";
}

function sqliteReader(target: TargetConfig, src: Extract<Source, { kind: "sqlite" }>, perCalc: number): AuditReader {
  const file = resolveTargetPath(target, src.path);
  if (!fs.existsSync(file)) throw targetFailure(`audit store unreachable: ${file} does not exist (audit.source.path)`);
  let db: Database.Database;
  try {
    // libsql ignores better-sqlite3's readonly and fileMustExist options: a mode=ro URI opens the
    // pipeline's store read-only (the monitor never writes it) and refuses a missing file.
    db = new Database(`${pathToFileURL(file).href}?mode=ro`, { timeout: src.busyTimeoutMs });
  } catch (err) {
    throw targetFailure(`audit store unreachable: ${file}: ${errorText(err)}`);
  }
  const c = src.columns;
  const t = q(src.table);
  const wm = watermarkOf(src);
  const w = q(wm.column);
  const wrap = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw targetFailure(`audit store unreadable: ${file}: ${what}: ${errorText(err)} (audit.source.table ${src.table}, columns, watermark column ${wm.column})`);
    }
  };
  return {
    location: file,
    eventsFor: (requestId) =>
      wrap("events of a request", () =>
        (
          db
            .prepare(`SELECT ${q(c.event)} AS event, ${q(c.status)} AS status FROM ${t} WHERE ${q(c.requestId)} = ? ORDER BY ${w}`)
            .all(requestId) as { event: unknown; status: unknown }[]
        ).map((r) => ({ event: String(r.event), status: asString(r.status) })),
      ),
    window: ({ from, sinceMs, exclude, at }) =>
      wrap("events of the window", () => {
        const prev = usableFrom(from, "sqlite", wm, c.id);
        const inWindow = `(${q(c.timestamp)} >= ?${prev ? ` OR ${w} ${wm.op} ?` : ""})`;
        const params: unknown[] = [sinceParam(src, sinceMs), ...(prev ? [prev.position] : [])];
        const agg = db
          .prepare(
            `SELECT COUNT(*) AS n, COUNT(DISTINCT ${q(c.requestId)}) AS requests
             FROM ${t} WHERE ${inWindow} AND (${q(c.requestId)} IS NULL OR ${q(c.requestId)} <> ?)`,
          )
          .get(...params, exclude) as { n: number; requests: number };
        const all = db.prepare(`SELECT MAX(${w}) AS maxWm, MAX(${q(c.timestamp)}) AS maxTs, COUNT(*) AS total FROM ${t}`).get() as {
          maxWm: unknown;
          maxTs: unknown;
          total: number;
        };
        // A run's events are counted in full, also those written before the window.
        const runs = (
          db
            .prepare(
              `SELECT ${q(c.runId)} AS runId, COUNT(*) AS n FROM ${t}
               WHERE ${q(c.runId)} IN (SELECT DISTINCT ${q(c.runId)} FROM ${t} WHERE ${inWindow} AND ${q(c.runId)} IS NOT NULL)
               GROUP BY ${q(c.runId)} ORDER BY MIN(${w})`,
            )
            .all(...params) as { runId: unknown; n: number }[]
        ).map((r) => ({ runId: String(r.runId), eventCount: r.n, complete: r.n === perCalc }));
        return {
          eventCount: agg.n,
          requests: agg.requests,
          runs,
          runIds: new Set(runs.map((r) => r.runId)),
          watermark: {
            source: "sqlite" as const,
            position: all.maxWm === null ? (prev?.position ?? positionOf(null, wm.type)) : positionOf(all.maxWm, wm.type),
            timestamp: asString(all.maxTs),
            column: wm.column,
            type: wm.type,
            at,
          },
          total: all.total,
        };
      }),
    runIdsWithEvents: (runIds) =>
      wrap("events of runs", () => {
        if (runIds.length === 0) return new Set<string>();
        const rows = db
          .prepare(`SELECT DISTINCT ${q(c.runId)} AS r FROM ${t} WHERE ${q(c.runId)} IN (${runIds.map(() => "?").join(",")})`)
          .all(...runIds) as { r: unknown }[];
        return new Set(rows.map((r) => String(r.r)));
      }),
    close: () => {
      db.close();
    },
  };
}

interface JsonlEvent {
  offset: number;
  requestId: string | null;
  runId: string | null;
  timestamp: string | null;
  event: string;
  status: string | null;
}

function jsonlReader(target: TargetConfig, src: Extract<Source, { kind: "jsonl" }>, perCalc: number): AuditReader {
  const file = resolveTargetPath(target, src.path);
  const f = src.fields;
  const read = (): { events: JsonlEvent[]; size: number } => {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (err) {
      throw targetFailure(`audit store unreachable: ${file}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)} (audit.source.path)`);
    }
    const end = buf.lastIndexOf(10) + 1; // an unterminated last line is still being written
    const events: JsonlEvent[] = [];
    let pos = 0;
    for (const line of buf.toString("utf8", 0, end).split("\n")) {
      const offset = pos;
      pos += Buffer.byteLength(line) + 1;
      if (line.trim() === "") continue;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        throw monitorFailure(`audit JSONL line is not JSON: ${file} at byte ${offset}: ${bodySnippet(line, 80)}`);
      }
      events.push({
        offset,
        requestId: asString(getPath(o, f.requestId)),
        runId: asString(getPath(o, f.runId)),
        timestamp: asString(getPath(o, f.timestamp)),
        event: String(getPath(o, f.event) ?? ""),
        status: asString(getPath(o, f.status)),
      });
    }
    return { events, size: end };
  };
  read(); // fail early when the store is missing
  return {
    location: file,
    eventsFor: (requestId) => read().events.filter((e) => e.requestId === requestId).map((e) => ({ event: e.event, status: e.status })),
    window: ({ from, sinceMs, exclude, at }) => {
      const { events, size } = read();
      const prev = usableFrom(from, "jsonl");
      // Past the previous offset (when the file did not shrink), or stamped inside the window.
      const fromOffset = prev && Number(prev.position) <= size ? Number(prev.position) : Number.POSITIVE_INFINITY;
      const stamped = (e: JsonlEvent) => {
        const ms = e.timestamp === null ? null : parseLogTimestamp(e.timestamp);
        return ms !== null && ms >= sinceMs;
      };
      const inWindow = events.filter((e) => (e.offset >= fromOffset || stamped(e)) && e.requestId !== exclude);
      const runIds = new Set(inWindow.map((e) => e.runId).filter((r): r is string => r !== null));
      const perRun = new Map<string, number>();
      for (const e of events) if (e.runId !== null && runIds.has(e.runId)) perRun.set(e.runId, (perRun.get(e.runId) ?? 0) + 1);
      let maxTs: string | null = null;
      for (const e of events) if (e.timestamp !== null && (maxTs === null || e.timestamp > maxTs)) maxTs = e.timestamp;
      return {
        eventCount: inWindow.length,
        requests: new Set(inWindow.map((e) => e.requestId).filter((r) => r !== null)).size,
        runs: [...perRun].map(([runId, n]) => ({ runId, eventCount: n, complete: n === perCalc })),
        runIds,
        watermark: { source: "jsonl" as const, position: size, timestamp: maxTs, at },
        total: events.length,
      };
    },
    runIdsWithEvents: (runIds) => {
      const want = new Set(runIds);
      return new Set(read().events.map((e) => e.runId).filter((r): r is string => r !== null && want.has(r)));
    },
    close: () => {},
  };
}

/* ---------------------------------------------------------------- postgres */

type PgClient = import("pg").Client;

/** Where a postgres store is, for messages: host, port and database, never user or password. */
function pgLocation(connectionString: string, envName: string, table: string): string {
  try {
    const u = new URL(connectionString);
    const host = u.hostname || decodeURIComponent(u.searchParams.get("host") ?? "") || "localhost";
    return `postgres://${host}:${u.port || "5432"}${u.pathname || "/"} table ${table} (${envName})`;
  } catch {
    return `postgres table ${table} (${envName})`; // keyword/value form: no safe way to show more
  }
}

/** Removes the connection string and its password from a driver message (some echo them). */
function pgRedactor(connectionString: string): (s: string) => string {
  const secrets = new Set<string>([connectionString]);
  try {
    const u = new URL(connectionString);
    if (u.password) {
      secrets.add(u.password);
      try {
        secrets.add(decodeURIComponent(u.password));
      } catch {
        /* not percent-encoded */
      }
    }
    const qp = u.searchParams.get("password");
    if (qp) secrets.add(qp);
  } catch {
    for (const m of connectionString.matchAll(/password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/gi)) {
      const pw = m[1] ?? m[2];
      if (pw) secrets.add(pw);
    }
  }
  const list = [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
  return (s) => {
    let out = s;
    for (const x of list) out = out.split(x).join("***");
    // Any other URL with credentials (e.g. in a nested error).
    return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
  };
}

/** Quoted identifier; "schema.table" is a table in a schema. */
const qTable = (name: string) => name.split(".").map(q).join(".");

const pgNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const pgString = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : asString(v));

/**
 * PostgreSQL audit table (same semantics as sqlite: the watermark column's maximum). The connection string
 * comes from the environment variable named in the config; `pg` is loaded only here.
 */
async function postgresReader(target: TargetConfig, src: Extract<Source, { kind: "postgres" }>, perCalc: number): Promise<AuditReader> {
  const envName = src.connectionStringEnv;
  const connectionString = process.env[envName];
  if (!connectionString || connectionString.trim() === "") {
    throw monitorFailure(`postgres audit source: environment variable ${envName} is not set (audit.source.connectionStringEnv)`);
  }
  const redact = pgRedactor(connectionString);
  const location = pgLocation(connectionString, envName, src.table);
  let Client: typeof import("pg").Client;
  try {
    ({ Client } = await import("pg"));
  } catch (err) {
    throw monitorFailure(`postgres audit source needs the pg package: ${errorText(err)}`);
  }
  const timeoutMs = target.requestTimeoutMs;
  let client: PgClient;
  try {
    client = new Client({
      connectionString,
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs,
      application_name: "cutover-monitor",
    });
  } catch (err) {
    throw monitorFailure(redact(`postgres audit source: ${envName} is not a valid connection string: ${errorText(err)}`));
  }
  // A connection lost between queries is reported by the next query; never crash the monitor.
  client.on("error", () => {});
  const closeClient = async () => {
    try {
      await client.end();
    } catch {
      /* already closed or never connected */
    }
  };
  const c = src.columns;
  const t = qTable(src.table);
  const wm = watermarkOf(src);
  const w = q(wm.column);
  try {
    await client.connect();
    // Table and every configured column must exist (LIMIT 0: no rows read).
    const cols = [...new Set([wm.column, c.requestId, c.runId, c.timestamp, c.event, c.status])];
    await client.query(`SELECT ${cols.map(q).join(", ")} FROM ${t} LIMIT 0`);
  } catch (err) {
    await closeClient();
    throw targetFailure(redact(`audit store unreachable: ${location}: ${errorText(err)} (audit.source)`));
  }
  const run = async <R>(what: string, sql: string, params: unknown[]): Promise<R[]> => {
    try {
      return (await client.query(sql, params)).rows as R[];
    } catch (err) {
      throw targetFailure(redact(`audit store unreadable: ${location}: ${what}: ${errorText(err)} (audit.source.table, columns, watermark column ${wm.column})`));
    }
  };
  return {
    location,
    eventsFor: async (requestId) =>
      (
        await run<{ event: unknown; status: unknown }>(
          "events of a request",
          `SELECT ${q(c.event)} AS event, ${q(c.status)} AS status FROM ${t} WHERE ${q(c.requestId)}::text = $1 ORDER BY ${w}`,
          [requestId],
        )
      ).map((r) => ({ event: String(r.event), status: pgString(r.status) })),
    window: async ({ from, sinceMs, exclude, at }) => {
      const what = "events of the window";
      const prev = usableFrom(from, "postgres", wm, c.id);
      // $1: the window start (typed by the timestamp column), $2: the previous watermark.
      const inWindow = `(${q(c.timestamp)} >= $1${prev ? ` OR ${w} ${wm.op} $2` : ""})`;
      const params: unknown[] = [sinceParam(src, sinceMs), ...(prev ? [prev.position] : [])];
      const ex = `$${params.length + 1}`;
      const [agg] = await run<{ n: unknown; requests: unknown }>(
        what,
        `SELECT COUNT(*) AS n, COUNT(DISTINCT ${q(c.requestId)}) AS requests
         FROM ${t} WHERE ${inWindow} AND (${q(c.requestId)} IS NULL OR ${q(c.requestId)}::text <> ${ex})`,
        [...params, exclude],
      );
      const [all] = await run<{ maxWm: unknown; maxTs: unknown; total: unknown }>(
        what,
        `SELECT MAX(${w}) AS "maxWm", MAX(${q(c.timestamp)}) AS "maxTs", COUNT(*) AS total FROM ${t}`,
        [],
      );
      // A run's events are counted in full, also those written before the window.
      const runs = (
        await run<{ runId: unknown; n: unknown }>(
          what,
          `SELECT ${q(c.runId)} AS "runId", COUNT(*) AS n FROM ${t}
           WHERE ${q(c.runId)} IN (SELECT DISTINCT ${q(c.runId)} FROM ${t} WHERE ${inWindow} AND ${q(c.runId)} IS NOT NULL)
           GROUP BY ${q(c.runId)} ORDER BY MIN(${w})`,
          params,
        )
      ).map((r) => {
        const n = pgNumber(r.n);
        return { runId: String(r.runId), eventCount: n, complete: n === perCalc };
      });
      const maxWm = all?.maxWm;
      return {
        eventCount: pgNumber(agg?.n),
        requests: pgNumber(agg?.requests),
        runs,
        runIds: new Set(runs.map((r) => r.runId)),
        watermark: {
          source: "postgres" as const,
          position: maxWm === null || maxWm === undefined ? (prev?.position ?? positionOf(null, wm.type)) : positionOf(maxWm, wm.type),
          timestamp: pgString(all?.maxTs),
          column: wm.column,
          type: wm.type,
          at,
        },
        total: pgNumber(all?.total),
      };
    },
    runIdsWithEvents: async (runIds) => {
      if (runIds.length === 0) return new Set<string>();
      const rows = await run<{ r: unknown }>(
        "events of runs",
        `SELECT DISTINCT ${q(c.runId)}::text AS r FROM ${t} WHERE ${q(c.runId)}::text = ANY($1::text[])`,
        [runIds],
      );
      return new Set(rows.map((r) => String(r.r)));
    },
    close: closeClient,
  };
}

async function openReader(target: TargetConfig): Promise<AuditReader> {
  const src = target.audit.source;
  const perCalc = target.audit.eventsPerCalculation;
  if (src.kind === "sqlite") return sqliteReader(target, src, perCalc);
  if (src.kind === "jsonl") return jsonlReader(target, src, perCalc);
  return postgresReader(target, src, perCalc);
}

/** Run ids of runs that finished at or after `sinceMs` with an audited result, from the run summaries (null: not configured). */
async function runsFinishedSince(target: TargetConfig, sinceMs: number): Promise<string[] | null> {
  const rs = target.audit.runSummaries;
  if (!rs) return null;
  let files = await globPaths(target.stateDir, rs.glob);
  // mtime pre-filter (summaries are written once, at the end of a run); at most 500 newest.
  if (Number.isFinite(sinceMs)) files = files.filter((f) => f.mtimeMs >= sinceMs - 60_000);
  files = files.slice(0, 500);
  const out: string[] = [];
  for (const f of files) {
    let o: unknown;
    try {
      o = JSON.parse(await fs.promises.readFile(f.path, "utf8"));
    } catch {
      continue; // a summary being written; the next checkpoint sees it
    }
    const runId = asString(getPath(o, rs.runIdField));
    const finished = asString(getPath(o, rs.finishedAtField));
    const result = rs.resultField ? asString(getPath(o, rs.resultField)) : null;
    if (!runId || !finished) continue;
    if (rs.resultField && !rs.auditedResults.includes(result ?? "")) continue;
    if (rs.versionField && !rs.auditedVersions.includes(asString(getPath(o, rs.versionField)) ?? "")) continue;
    if (Number.isFinite(sinceMs) && !(Date.parse(finished) >= sinceMs)) continue;
    out.push(runId);
  }
  return out;
}

/**
 * Run ids of runs that finished at or after `sinceMs`, from the log lines matching
 * audit.runLog.pattern (group `runId`; optional `version`, filtered by auditedVersions), each
 * stamped by logs.linePattern's `ts` group (null: not configured).
 */
async function runsFinishedInLog(target: TargetConfig, sinceMs: number): Promise<string[] | null> {
  const rl = target.audit.runLog;
  if (!rl) return null;
  const file = resolveTargetPath(target, rl.path ?? target.logs.path);
  const key = rl.path ? "audit.runLog.path" : "logs.path";
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (err) {
    throw targetFailure(`run log missing: ${file} (${key}): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
  }
  const out = new Set<string>();
  try {
    const start = await findWindowStart(file, target.logs.linePattern, sinceMs, { size: st.size, capBytes: target.windows.logReadBackBytes });
    if (start.foundBy === "no timestamps") {
      throw monitorFailure(`audit.runLog: no line of ${file} carries a timestamp that logs.linePattern's group ts can read: cannot tell which runs finished in the window`);
    }
    const { re, tsGroup } = compileLinePattern(target.logs.linePattern, { requireLevel: false });
    const runRe = new RegExp(rl.pattern);
    let lineMs: number | null = null;
    await forEachLine(file, start.offset, st.size, (line) => {
      re.lastIndex = 0;
      const m = re.exec(line);
      const ts = m && m.index === 0 ? m[tsGroup] : undefined;
      if (ts !== undefined) lineMs = parseLogTimestamp(ts) ?? lineMs; // continuation lines keep the stamp before them
      const r = runRe.exec(line);
      const runId = r?.groups?.runId;
      if (!runId || lineMs === null || lineMs < sinceMs) return;
      const version = r.groups?.version;
      if (version !== undefined && rl.auditedVersions && !rl.auditedVersions.includes(version)) return;
      out.add(runId);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw targetFailure(`run log unreadable: ${file} (${key}): ${errorText(err)}`);
    throw err;
  }
  return [...out];
}

/**
 * (a) One KPI calculation made by the probe itself must write exactly eventsPerCalculation
 * events with the expected names under its request id; (b) the events of the window
 * (target.windows: the minimum lookback or the time since the previous checkpoint, whichever is
 * longer; also every event past the previous watermark), per run, and the runs that finished in
 * the window after the cutover (run summaries, run-finished log lines) without any event.
 * Store missing, locked or of another schema -> target failure.
 */
export function probeAudit(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<AuditMeasurement>> {
  return runProbe(async () => {
    const a = target.audit;
    const golden = await loadGolden(target);
    const reader = await openReader(target);
    try {
      const requestId = `monitor-audit-${randomUUID()}`;
      let call: KpiCall | null = null;
      for (let attempt = 0; attempt < 3; attempt++) {
        call = await postGoldenTape(target, golden, attempt === 0 ? requestId : `${requestId}-${attempt}`);
        if (call.status < 500) break;
      }
      if (!call || call.status < 200 || call.status >= 300) {
        throw targetFailure(`audit probe's KPI calculation failed: HTTP ${call?.status}: ${bodySnippet(call?.text ?? "")}`);
      }
      const usedId = call.requestId ?? requestId;
      // Events may land shortly after the answer: poll until complete or settleMs.
      const deadline = performance.now() + a.settleMs;
      let events = await reader.eventsFor(usedId);
      while (events.length < a.eventsPerCalculation && performance.now() < deadline) {
        await sleep(50);
        events = await reader.eventsFor(usedId);
      }
      const names = new Set(events.map((e) => e.event));
      const missingEvents = a.expectedEvents.filter((e) => !names.has(e));
      const now = ctx.now();
      const previous = ctx.previous?.auditWatermark ?? null;
      const src = a.source;
      const from = src.kind === "jsonl" ? usableFrom(previous, "jsonl") : usableFrom(previous, src.kind, watermarkOf(src), src.columns.id);
      const window = measurementWindow(now, from?.at, target.windows.minLookbackSeconds, ctx.cutoverStartedAt);
      const w = await reader.window({ from, sinceMs: window.fromMs, exclude: usedId, at: now });
      const cutoverMs = ctx.cutoverStartedAt ? Date.parse(ctx.cutoverStartedAt) : Number.NaN;
      const sinceMs = Number.isFinite(cutoverMs) ? Math.max(window.fromMs, cutoverMs) : window.fromMs;
      const fromSummaries = await runsFinishedSince(target, sinceMs);
      const fromLog = await runsFinishedInLog(target, sinceMs);
      const finished = fromSummaries || fromLog ? [...new Set([...(fromSummaries ?? []), ...(fromLog ?? [])])] : null;
      const withEvents = finished ? await reader.runIdsWithEvents(finished) : new Set<string>();
      return {
        source: a.source.kind,
        location: reader.location,
        eventsPerCalculation: a.eventsPerCalculation,
        probeCalculation: {
          requestId: usedId,
          httpStatus: call.status,
          eventCount: events.length,
          events,
          expectedEvents: a.expectedEvents,
          missingEvents,
          complete: events.length === a.eventsPerCalculation && missingEvents.length === 0,
        },
        sinceLastCheckpoint: {
          window,
          from,
          eventCount: w.eventCount,
          runs: w.runs,
          requests: w.requests,
          incompleteRuns: w.runs.filter((r) => !r.complete),
          runsWithoutEvents: finished ? finished.filter((r) => !withEvents.has(r)) : [],
          runsFinished: finished ? finished.length : null,
          runSources: [...(fromSummaries ? (["run summaries"] as const) : []), ...(fromLog ? (["log"] as const) : [])],
        },
        totalEvents: w.total,
        watermark: w.watermark,
      };
    } finally {
      await reader.close();
    }
  });
}
