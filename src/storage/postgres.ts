/**
 * The PostgreSQL history's connection (docs/DESIGN.md "History in PostgreSQL"): a small pool whose
 * every connection carries a connect timeout, a statement timeout, a lock timeout and an idle-in-
 * transaction timeout; the schema created on first use (idempotent DDL under an advisory lock, with
 * a schema version); every failure one line naming the config field and the variable, never the
 * connection string (nor its host, user or password). `pg` is loaded only when this backend is used.
 */
import type { Pool, PoolClient } from "pg";
import { MonitorUserError } from "../errors.js";

/** The tables' version; a database at a later version is refused (an older monitor must not write it). */
export const SCHEMA_VERSION = 1;

export interface PgTimeouts {
  /** Connecting (TCP, TLS, authentication), ms. */
  connectMs: number;
  /** One statement on the server, ms; the client gives up a little later. */
  statementMs: number;
  /** Waiting for a row or advisory lock (another runner holds it), ms. */
  lockMs: number;
  /** A transaction left open by a frozen runner is ended by the server after this, ms. */
  idleInTransactionMs: number;
}

export const DEFAULT_PG_TIMEOUTS: PgTimeouts = { connectMs: 10_000, statementMs: 15_000, lockMs: 15_000, idleInTransactionMs: 60_000 };

const FIELD = "history.connectionStringEnv";

/** The history could not be reached or read: one line, naming the config field and the variable. */
export class HistoryDatabaseError extends MonitorUserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_HISTORY_DB", message, options);
    this.name = "HistoryDatabaseError";
  }
}

/** The parts of a connection string that must never be printed: the whole, the password, the user and the host. */
function secretParts(connectionString: string): string[] {
  const out = new Set<string>([connectionString.trim()]);
  try {
    const u = new URL(connectionString);
    for (const v of [u.password, u.username, u.hostname, u.searchParams.get("password"), u.searchParams.get("host"), u.searchParams.get("user")]) {
      if (!v) continue;
      out.add(v);
      try {
        out.add(decodeURIComponent(v));
      } catch {
        /* not percent-encoded */
      }
    }
  } catch {
    for (const m of connectionString.matchAll(/(?:password|user|host)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/gi)) {
      const v = m[1] ?? m[2];
      if (v) out.add(v);
    }
  }
  // Short parts ("db", "pg") would redact ordinary words; the whole string still covers them.
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** Why a query or a connection failed, in words that carry nothing of the connection string. */
function reason(err: unknown, timeouts: PgTimeouts, redact: (s: string) => string): string {
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code;
  const msg = String(e?.message ?? err);
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused (ECONNREFUSED)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host not found (${code})`;
    case "ECONNRESET":
    case "EPIPE":
      return `connection lost (${code})`;
    case "ETIMEDOUT":
      return "no answer (ETIMEDOUT)";
    case "28P01":
      return "password authentication failed (28P01)";
    case "28000":
      return "the server rejected the login (28000)";
    case "3D000":
      return "the database does not exist (3D000)";
    case "42501":
      return "permission denied: the user must be allowed to create and write the cutover_monitor_* tables (42501)";
    case "57014":
      return `a statement ran over the statement timeout of ${timeouts.statementMs} ms (57014)`;
    case "55P03":
      return `still locked by another runner after ${timeouts.lockMs} ms (55P03)`;
    case "25P03":
      return `a transaction stayed idle over ${timeouts.idleInTransactionMs} ms and was ended by the server (25P03)`;
    case "53300":
      return "the server has no free connection (53300)";
  }
  if (/timeout expired|connection terminated due to connection timeout/i.test(msg)) return `no connection within ${timeouts.connectMs} ms`;
  if (/Query read timeout/i.test(msg)) return `no answer within ${timeouts.statementMs + 5000} ms`;
  if (/Connection terminated/i.test(msg)) return "the connection was closed by the server";
  if (e instanceof TypeError || /Invalid URL|invalid connection/i.test(msg)) return "it is not a valid connection string (expected postgres://user:password@host:5432/database)";
  return redact(msg.split("\n")[0]!.slice(0, 300));
}

/**
 * One pool per process and history. `cutoverId` keys every row (several cutovers, or several
 * monitors, may share one database).
 */
export class PgHistory {
  readonly #envName: string;
  readonly #connectionString: string;
  readonly #timeouts: PgTimeouts;
  readonly #secrets: string[];
  #pool: Promise<Pool> | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(
    readonly cutoverId: string,
    envName: string,
    env: Record<string, string | undefined> = process.env,
    timeouts: PgTimeouts = DEFAULT_PG_TIMEOUTS,
  ) {
    this.#envName = envName;
    const value = env[envName]?.trim();
    if (!value) {
      throw new HistoryDatabaseError(`${FIELD}: environment variable ${envName} is not set: the PostgreSQL history (history.kind "postgres") needs its connection string there`);
    }
    this.#connectionString = value;
    this.#timeouts = timeouts;
    this.#secrets = secretParts(value);
  }

  /** For messages: the backend, the variable and the cutover id; never the connection string. */
  get where(): string {
    return `the PostgreSQL history (${this.#envName}), cutover "${this.cutoverId}"`;
  }

  get timeouts(): PgTimeouts {
    return this.#timeouts;
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join("***");
    return out.replace(/(postgres(?:ql)?:\/\/)[^\s/]*@/gi, "$1***@");
  }

  /** A one-line error for `what` failing. */
  error(what: string, err: unknown): HistoryDatabaseError {
    if (err instanceof HistoryDatabaseError) return err;
    return new HistoryDatabaseError(`${FIELD} (${this.#envName}): ${what}: ${reason(err, this.#timeouts, (s) => this.redact(s))}`, { cause: err });
  }

  async #newPool(): Promise<Pool> {
    let PoolClass: typeof import("pg").Pool;
    try {
      PoolClass = (await import("pg")).Pool;
    } catch (err) {
      throw new HistoryDatabaseError(`${FIELD}: the PostgreSQL history needs the pg package: ${(err as Error).message}`);
    }
    const t = this.#timeouts;
    let pool: Pool;
    try {
      pool = new PoolClass({
        connectionString: this.#connectionString,
        max: 6,
        idleTimeoutMillis: 10_000,
        allowExitOnIdle: true,
        connectionTimeoutMillis: t.connectMs,
        statement_timeout: t.statementMs,
        query_timeout: t.statementMs + 5000,
        lock_timeout: t.lockMs,
        idle_in_transaction_session_timeout: t.idleInTransactionMs,
        application_name: "cutover-monitor",
      });
    } catch (err) {
      throw this.error("cannot use the connection string", err);
    }
    // A connection lost is reported by the next query; it must never crash the monitor.
    pool.on("error", () => undefined);
    pool.on("connect", (client) => client.on("error", () => undefined));
    return pool;
  }

  /** A client from the pool, the schema ready; released by the caller. */
  async #client(): Promise<PoolClient> {
    if (this.#closed) throw new HistoryDatabaseError(`${FIELD} (${this.#envName}): the PostgreSQL history was closed`);
    this.#pool ??= this.#newPool();
    const pool = await this.#pool;
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw this.error("cannot connect to the PostgreSQL history", err);
    }
    return client;
  }

  /** The tables exist at this version (created on first use, once per process). */
  async ready(): Promise<void> {
    this.#ready ??= this.#ensureSchema().catch((err) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #ensureSchema(): Promise<void> {
    const c = await this.#client();
    try {
      await c.query("BEGIN");
      // Concurrent first uses (two runners at once) would race on CREATE TABLE IF NOT EXISTS.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('cutover-monitor: schema'))");
      await c.query(`CREATE TABLE IF NOT EXISTS cutover_monitor_schema (
        id int PRIMARY KEY CHECK (id = 1),
        version int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await c.query<{ version: number }>("SELECT version FROM cutover_monitor_schema WHERE id = 1");
      const have = rows[0]?.version ?? 0;
      if (have > SCHEMA_VERSION) {
        throw new HistoryDatabaseError(`${FIELD} (${this.#envName}): the PostgreSQL history's tables are at schema version ${have}; this monitor knows version ${SCHEMA_VERSION}: run a newer monitor`);
      }
      if (have < 1) {
        // Version 1. Every row is keyed by the cutover id; a log line is kept as its exact text (the
        // hash chain covers those bytes); a state document is one JSON text per name.
        await c.query(`CREATE TABLE IF NOT EXISTS cutover_monitor_log (
          cutover_id text NOT NULL,
          log text NOT NULL,
          seq bigint NOT NULL,
          line text NOT NULL,
          written_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (cutover_id, log, seq))`);
        await c.query(`CREATE TABLE IF NOT EXISTS cutover_monitor_log_head (
          cutover_id text NOT NULL,
          log text NOT NULL,
          seq bigint NOT NULL DEFAULT 0,
          head text,
          PRIMARY KEY (cutover_id, log))`);
        await c.query(`CREATE TABLE IF NOT EXISTS cutover_monitor_state (
          cutover_id text NOT NULL,
          name text NOT NULL,
          value text,
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (cutover_id, name))`);
        await c.query(`CREATE TABLE IF NOT EXISTS cutover_monitor_claim (
          cutover_id text NOT NULL,
          cutover_start text NOT NULL,
          slot text NOT NULL,
          status text NOT NULL CHECK (status IN ('running', 'done')),
          token text NOT NULL,
          owner_pid int NOT NULL,
          owner_host text NOT NULL,
          claimed_at timestamptz NOT NULL,
          lease_until timestamptz NOT NULL,
          finished_at timestamptz,
          checkpoint_id text,
          PRIMARY KEY (cutover_id, cutover_start, slot))`);
        await c.query("INSERT INTO cutover_monitor_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()", [SCHEMA_VERSION]);
      }
      await c.query("COMMIT");
    } catch (err) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw this.error("cannot create the history's tables", err);
    } finally {
      c.release();
    }
  }

  /** One statement (autocommit). */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(what: string, sql: string, params: unknown[] = []): Promise<R[]> {
    await this.ready();
    const c = await this.#client();
    try {
      return (await c.query<R>(sql, params)).rows;
    } catch (err) {
      throw this.error(what, err);
    } finally {
      c.release();
    }
  }

  /** `fn` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  async transaction<T>(what: string, fn: (q: <R extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    await this.ready();
    const c = await this.#client();
    let broken = false;
    const q = async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) => {
      try {
        return (await c.query<R>(sql, params)).rows;
      } catch (err) {
        throw this.error(what, err);
      }
    };
    try {
      await q("BEGIN");
      const result = await fn(q);
      await q("COMMIT");
      return result;
    } catch (err) {
      // What `fn` threw of its own (a refused state, a defect) goes up as it is.
      await c.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }

  /**
   * Runs `fn` holding a session advisory lock named `name` (for this cutover id) on a connection of
   * its own: other runners wait up to the lock timeout; a runner that dies releases it with its
   * connection. What `fn` reads and writes goes through other connections.
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    await this.ready();
    const c = await this.#client();
    const key = `cutover-monitor/${this.cutoverId}/${name}`;
    let broken = false;
    try {
      try {
        await c.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key]);
      } catch (err) {
        throw this.error(`cannot lock ${name}`, err);
      }
      try {
        return await fn();
      } finally {
        await c.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]).catch(() => {
          broken = true; // the connection is dropped below, which releases the lock
        });
      }
    } finally {
      c.release(broken);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool) await (await pool.catch(() => null))?.end().catch(() => undefined);
  }
}
