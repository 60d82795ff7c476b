/**
 * The Supabase channel: its PostgreSQL tables (runs with the manifest, the processed rows, the
 * KPI results), schema and names from the config. A run is read inside one REPEATABLE READ,
 * READ ONLY transaction (one snapshot: the manifest, rows and KPIs of the same commit), the rows
 * through a cursor, `fetchRows` at a time, every value as text (so numbers are compared as the
 * database holds them, not as a driver converts them). The database URL comes from the
 * environment variable the config names and never appears in a message; `pg` is loaded only
 * when the channel is configured.
 */
import type { TargetConfig } from "../../config/target.js";
import { errorText, oneLine } from "../target-io.js";
import { ChannelError, manifestFacts, missingManifest, rowRules, stringAt, type ChannelHead, type ChannelReader, type RunRead } from "./channel.js";
import { recomputeKpis } from "./kpis.js";
import { RowChecker } from "./rows.js";
import { openScanStream, type ScanResult } from "./scan.js";

type SupabaseConfig = NonNullable<TargetConfig["outputs"]["supabase"]>;
type PgClient = import("pg").Client;

export const qIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** A string literal (standard_conforming_strings: only quotes are doubled). */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Host, port and database of a URL, for messages; never the user or password. */
export function pgPlace(cs: string): string {
  try {
    const u = new URL(cs);
    return `postgres://${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname || "/"}`;
  } catch {
    return "postgres";
  }
}

export function pgRedactor(cs: string): (s: string) => string {
  const secrets = new Set<string>([cs]);
  try {
    const u = new URL(cs);
    if (u.password) {
      secrets.add(u.password);
      try {
        secrets.add(decodeURIComponent(u.password));
      } catch {
        /* not percent-encoded */
      }
    }
  } catch {
    /* keyword/value form: the whole string is the secret */
  }
  const list = [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
  return (s) => list.reduce((out, x) => out.split(x).join("***"), s).replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
}

/**
 * `COPY (...) TO STDOUT` through pg's custom-query hook (what pg-copy-streams does): PostgreSQL
 * sends one CopyData message per row, as CSV, and `onRow` takes its bytes (to the CSV fast path)
 * instead of pg making eleven strings a row. `onRow` returning a promise (its consumer is behind)
 * pauses the socket until it settles. Resolves when the server is ready again.
 */
function copyOut(client: PgClient, text: string, onRow: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  const socket = (client as unknown as { connection?: { stream?: { pause(): void; resume(): void } } }).connection?.stream;
  let paused = 0;
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    let done = false;
    // pg wraps `callback` (its query_timeout timer is cleared there): finish only through it.
    const query = {
      text,
      callback: undefined as undefined | ((err: unknown) => void),
      submit: (connection: { query(text: string): void }) => connection.query(text),
      handleCopyData: (msg: { chunk: Buffer }) => {
        if (failure) return;
        try {
          const wait = onRow(msg.chunk);
          if (wait && socket && paused++ === 0) {
            socket.pause();
            void wait.finally(() => {
              paused = 0;
              socket.resume();
            });
          }
        } catch (err) {
          failure = err;
        }
      },
      handleCommandComplete: () => {},
      handleRowDescription: () => {},
      handleDataRow: () => {},
      handleEmptyQuery: () => {},
      handlePortalSuspended: () => {},
      handleCopyInResponse: () => {},
      handleReadyForQuery: () => query.callback?.(failure),
      handleError: (err: Error) => query.callback?.(err),
    };
    client.query(query as never, ((err: unknown) => {
      if (done) return;
      done = true;
      if (err) reject(err);
      else resolve();
    }) as never);
  });
}

let pgModule: Promise<typeof import("pg")> | undefined;
/** Loads `pg` once; the probe starts it early, outside the connect timeout. */
export function loadPg(): Promise<typeof import("pg")> {
  return (pgModule ??= import("pg"));
}

const NUMERIC_TYPES = new Set(["numeric", "double precision", "real", "integer", "bigint", "smallint", "decimal"]);

export async function openSupabase(target: TargetConfig, s: SupabaseConfig): Promise<ChannelReader> {
  const cs = process.env[s.connectionStringEnv]?.trim();
  if (!cs) throw new ChannelError("monitor", `Supabase output channel: environment variable ${s.connectionStringEnv} is not set (outputs.supabase.connectionStringEnv)`);
  const redact = pgRedactor(cs);
  const place = pgPlace(cs);
  const location = `${place} schema ${s.schema} (${s.connectionStringEnv})`;
  let Client: typeof import("pg").Client;
  try {
    ({ Client } = await loadPg());
  } catch (err) {
    throw new ChannelError("monitor", `Supabase output channel needs the pg package: ${errorText(err)}`);
  }
  let client: PgClient;
  try {
    client = new Client({ connectionString: cs, connectionTimeoutMillis: s.timeoutMs, statement_timeout: s.timeoutMs, query_timeout: s.timeoutMs, application_name: "cutover-monitor" });
  } catch (err) {
    throw new ChannelError("monitor", redact(`Supabase output channel: ${s.connectionStringEnv} is not a valid connection string: ${errorText(err)}`));
  }
  client.on("error", () => {}); // a lost connection is reported by the next query
  const fail = (what: string, err: unknown): never => {
    throw new ChannelError("target", oneLine(redact(`Supabase ${location}: ${what}: ${errorText(err)}`)));
  };
  try {
    await client.connect();
  } catch (err) {
    try {
      await client.end();
    } catch {
      /* never connected */
    }
    fail("unreachable", err);
  }
  const t = (name: string) => `${qIdent(s.schema)}.${qIdent(name)}`;
  const c = s.columns;
  const query = async <R extends Record<string, unknown>>(what: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    try {
      return (await client.query(sql, params)).rows as R[];
    } catch (err) {
      return fail(what, err);
    }
  };
  return {
    location,
    async head(): Promise<ChannelHead> {
      const rows = await query<{ run_id: string; written_at: Date | string | null; age: string | number | null }>(
        `reading the latest run (${s.schema}.${s.tables.runs})`,
        `SELECT ${qIdent(c.runId)}::text AS run_id, ${qIdent(c.writtenAt)} AS written_at, EXTRACT(EPOCH FROM (now() - ${qIdent(c.writtenAt)}))::float8 AS age FROM ${t(s.tables.runs)} ORDER BY ${qIdent(c.writtenAt)} DESC, ${qIdent(c.runId)} DESC LIMIT 1`,
      );
      const r = rows[0];
      if (!r) return { runId: null, writtenAt: null, ageSeconds: null, source: `${s.schema}.${s.tables.runs} is empty (nothing written)` };
      const at = r.written_at instanceof Date ? r.written_at.toISOString() : r.written_at === null ? null : new Date(String(r.written_at)).toISOString();
      return { runId: r.run_id, writtenAt: at, ageSeconds: r.age === null ? null : Math.max(0, Math.round(Number(r.age) * 10) / 10), source: `${s.schema}.${s.tables.runs}.${c.writtenAt} (the database's clock)` };
    },
    async hasRun(runId) {
      return (await query("looking for a run", `SELECT 1 FROM ${t(s.tables.runs)} WHERE ${qIdent(c.runId)} = $1`, [runId])).length > 0;
    },
    async readRun(runId) {
      const rules = rowRules(target);
      await query("begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        const cols = await query<{ column_name: string; data_type: string }>(
          "reading the rows table's columns",
          "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
          [s.schema, s.tables.rows],
        );
        if (cols.length === 0) fail(`table ${s.schema}.${s.tables.rows} not found`, new Error("no such table"));
        const header = cols.map((x) => x.column_name).filter((n) => n !== c.runId);
        const numeric = new Set(rules.numeric);
        const schemaProblems = cols.filter((x) => numeric.has(x.column_name) && !NUMERIC_TYPES.has(x.data_type)).map((x) => `${x.column_name} is ${x.data_type}, expected a number type`);
        let manifest = null;
        let version: string | null = null;
        const runRow = await query<Record<string, unknown>>(
          "reading the run",
          `SELECT ${[c.manifest, c.version].filter((x): x is string => x !== null).map((x) => `${qIdent(x)} AS ${qIdent(x)}`).join(", ") || "1 AS one"} FROM ${t(s.tables.runs)} WHERE ${qIdent(c.runId)} = $1`,
          [runId],
        );
        if (c.version && runRow[0]) version = stringAt(runRow[0], c.version);
        if (c.manifest) {
          const doc = runRow[0]?.[c.manifest];
          const where = `${s.schema}.${s.tables.runs}.${c.manifest} (run ${runId})`;
          manifest = doc == null ? missingManifest(where, true, runRow[0] ? "empty" : "run not found") : manifestFacts(target, where, typeof doc === "string" ? JSON.parse(doc) : doc, true, "", null);
        }
        const kpiRows = await query<{ name: string; value: string | null }>(
          "reading the KPI results",
          `SELECT ${qIdent(c.kpiName)}::text AS name, ${qIdent(c.kpiValue)}::text AS value FROM ${t(s.tables.kpis)} WHERE ${qIdent(c.runId)} = $1`,
          [runId],
        );
        const reported = new Map(kpiRows.map((r) => [r.name, r.value === null ? null : Number(r.value)]));
        const names = Object.keys(target.outputs.kpis?.paths ?? {});
        const kpis = {
          location: `${s.schema}.${s.tables.kpis}`,
          readable: kpiRows.length > 0,
          ...(kpiRows.length ? {} : { error: `no KPI rows for run ${runId}` }),
          runId: kpiRows.length ? runId : null,
          values: Object.fromEntries(names.map((n) => [n, reported.has(n) && Number.isFinite(reported.get(n)) ? (reported.get(n) as number) : null])),
        };
        let checker: RowChecker;
        let scanned: ScanResult | null = null;
        const select = `SELECT ${header.map(qIdent).join(", ")} FROM ${t(s.tables.rows)} WHERE ${qIdent(c.runId)} = ${literal(runId)}`;
        // COPY first (the fast way); where it is refused (an embedded server, a role without it)
        // and nothing was read yet, a cursor instead, fetchRows at a time.
        let received = 0;
        let copied = false;
        await query("savepoint", "SAVEPOINT cutover_monitor_copy");
        // The rows are checked in a worker thread (scan.ts) while this thread reads the socket.
        // about 64 bytes a row: a small run is scanned in this thread
        const stream = await openScanStream({ kind: "rows", rules, expectedRows: manifest?.rows ?? 1024, delimiter: ",", header, sha256: false }, manifest?.rows != null ? manifest.rows * 64 : null);
        try {
          await copyOut(client, `COPY (${select}) TO STDOUT WITH (FORMAT csv)`, (chunk) => {
            received++;
            return stream.write(chunk);
          });
          scanned = await stream.end();
          copied = true;
        } catch (err) {
          stream.abort();
          if (received > 0) fail("copying rows", err);
          await query("rollback to savepoint", "ROLLBACK TO SAVEPOINT cutover_monitor_copy");
        }
        if (!copied) {
          checker = new RowChecker(header, rules, manifest?.rows ?? 1024);
          await query("opening a cursor on the rows", `DECLARE cutover_monitor_rows NO SCROLL CURSOR FOR SELECT ${header.map((h) => `${qIdent(h)}::text`).join(", ")} FROM ${t(s.tables.rows)} WHERE ${qIdent(c.runId)} = $1`, [runId]);
          for (;;) {
            let batch: (string | null)[][];
            try {
              batch = (await client.query({ text: `FETCH ${s.fetchRows} FROM cutover_monitor_rows`, rowMode: "array" })).rows as (string | null)[][];
            } catch (err) {
              return fail("fetching rows", err);
            }
            for (const r of batch) checker.check(r);
            if (batch.length < s.fetchRows) break;
          }
          scanned = { scan: checker.result(), sha256: null, bytes: 0, rows: 0 };
        }
        const scan = scanned!.scan;
        return {
          runId,
          version,
          manifest,
          rows: { location: `${s.schema}.${s.tables.rows}`, sha256: null, bytes: null, scan },
          kpis,
          recomputed: target.outputs.kpis ? recomputeKpis(target.outputs.kpis, scan.sums) : null,
          schemaProblems,
          attempts: 1,
          notes: [],
        };
      } finally {
        try {
          await client.query("ROLLBACK");
        } catch {
          /* connection gone: nothing to end */
        }
      }
    },
    async close() {
      try {
        await client.end();
      } catch {
        /* already closed */
      }
    },
  };
}
