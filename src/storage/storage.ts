/**
 * Where the monitor keeps what outlives a process, chosen in one place from the config's `history`
 * (docs/DESIGN.md "History in PostgreSQL"): the append-only, hash-chained logs (checkpoint records,
 * the events log, the watch's samples), the state documents with their locks (cutover, alert state,
 * probe cursors, attestations, sign-offs, rollback attempts, the watch's state, the alert outbox)
 * and the per-(cutover, checkpoint) claim.
 *
 * - `{ kind: "jsonl" }` (default): the files under reportsDir, as before.
 * - `{ kind: "postgres", connectionStringEnv }`: the same lines and documents in PostgreSQL, so that
 *   ephemeral runners (a CI job, a CronJob, the watch's pod) share one state.
 *
 * `storageFor(config)` hands out one Storage per process and history; `closeAllStorage()` (the CLI's
 * exit) waits for queued event lines and closes the connections.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { MonitorConfig } from "../config/schema.js";
import { monitorPaths, type MonitorPaths } from "../checkpoint/paths.js";
import { JsonlCheckpointStore } from "../history/jsonl-store.js";
import { PgLogStore } from "../history/pg-store.js";
import type { CheckpointStore } from "../history/store.js";
import { EventsLog, eventJson, type MonitoringEvent } from "../report/events-log.js";
import type { OutboxFile, OutboxStore, SentLogFile } from "../alerts/dispatcher.js";
import { withFileLock } from "../state/file-lock.js";
import { pgStateDoc } from "../state/pg-state.js";
import { stateFile, type StateFile } from "../state/state-file.js";
import { claimRowSchema, claimSlot, type ClaimBackend, type ClaimRow, type SlotClaimRequest, type SlotClaimResult } from "./claims.js";
import { PgHistory } from "./postgres.js";

export type { SlotClaim, SlotClaimResult } from "./claims.js";

export type HistoryConfig = MonitorConfig["history"];

/** The append-only logs, and their names as files (and inside a sign-off bundle). */
export const LOG_FILES = { checkpoints: "checkpoints.jsonl", events: "monitoring_events.log", samples: "samples.jsonl" } as const;
export type LogName = keyof typeof LOG_FILES;

/** The state documents by name (a file under <reports>/state/, or a row of cutover_monitor_state). */
export const STATE_DOCS = {
  cutover: "cutover.json",
  attestations: "attestations.json",
  probes: "probe-state.json",
  rollback: "rollback.json",
  judge: "alert-state.json",
  signoffs: "signoffs.json",
  watch: "watch.json",
  watchProbes: "watch-probe-state.json",
  outbox: "alert-outbox.json",
  outboxDelivered: "alert-outbox.delivered.json",
  claims: "checkpoint-claims.json",
} as const;

export interface Storage {
  readonly kind: "jsonl" | "postgres";
  readonly paths: MonitorPaths;
  /** Where a log lives, for messages (a path, or the database and the variable: never the connection string). */
  where(log: LogName): string;
  /** An append-only, hash-chained log (the stores of src/history/). */
  log<T extends object>(name: LogName, options?: { parse?: (value: unknown) => T }): CheckpointStore<T>;
  /** Whether anything was ever appended to the log. */
  hasLog(name: LogName): Promise<boolean>;
  /** The events log (monitoring_events.log): writes are synchronous for the caller, flushed by flush(). */
  events(): EventsLog;
  /** A JSON state document, validated by `schema`, `initial()` until first written. */
  doc<S extends z.ZodType>(name: string, schema: S, initial: () => z.infer<S>): StateFile<z.infer<S>>;
  /** Runs `fn` holding the named cross-process lock (a lock file, or an advisory lock). */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** The alert outbox's store; undefined: the dispatcher's own files. */
  outboxStore(): OutboxStore | undefined;
  /** Claims one scheduled checkpoint for this runner (src/storage/claims.ts). */
  claimSlot(req: SlotClaimRequest): Promise<SlotClaimResult>;
  /**
   * The history files a sign-off bundle copies, by bundle name: the live files, or (PostgreSQL) the
   * logs' lines written out to `dir`, byte for byte as stored; `cleanup` removes what was written.
   */
  historyFiles(dir: string): Promise<{ files: Record<string, string>; cleanup(): void }>;
  /** Waits for queued writes (the events log); throws the first that failed. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const claimsFileSchema = z.object({ version: z.literal(1), claims: z.array(claimRowSchema) });
const looseOutboxSchema = z.object({ version: z.literal(1), entries: z.array(z.any()) }).loose();
const looseSentSchema = z.object({ version: z.literal(1), deliveries: z.array(z.any()) }).loose();

/** The claims in a state document: atomic under the document's lock (JSONL). */
function docClaims(doc: StateFile<z.infer<typeof claimsFileSchema>>, where: string): ClaimBackend {
  const same = (a: { cutoverStart: string; slot: string }, b: { cutoverStart: string; slot: string }) => a.cutoverStart === b.cutoverStart && a.slot === b.slot;
  return {
    where,
    async tryClaim(candidate, decide) {
      let result: { claimed: boolean; existing: ClaimRow | null } = { claimed: false, existing: null };
      await doc.update((f) => {
        const existing = f.claims.find((c) => same(c, candidate)) ?? null;
        if (existing && decide(existing) === "keep") {
          result = { claimed: false, existing };
          return f;
        }
        result = { claimed: true, existing };
        return { ...f, claims: [...f.claims.filter((c) => !same(c, candidate)), candidate] };
      });
      return result;
    },
    async change(key, token, next) {
      await doc.update((f) => ({
        ...f,
        claims: f.claims.flatMap((c) => (!same(c, key) || c.token !== token ? [c] : next === null ? [] : [{ ...c, ...next }])),
      }));
    },
  };
}

class JsonlStorage implements Storage {
  readonly kind = "jsonl" as const;
  #events: EventsLog | undefined;

  constructor(readonly paths: MonitorPaths) {}

  #file(name: LogName): string {
    return path.join(this.paths.root, LOG_FILES[name]);
  }

  where(name: LogName): string {
    return this.#file(name);
  }

  log<T extends object>(name: LogName, options: { parse?: (value: unknown) => T } = {}): CheckpointStore<T> {
    return new JsonlCheckpointStore<T>(this.#file(name), options);
  }

  async hasLog(name: LogName): Promise<boolean> {
    return existsSync(this.#file(name));
  }

  events(): EventsLog {
    this.#events ??= new EventsLog(this.paths.events);
    return this.#events;
  }

  doc<S extends z.ZodType>(name: string, schema: S, initial: () => z.infer<S>): StateFile<z.infer<S>> {
    return stateFile(path.join(this.paths.state, name), schema, initial);
  }

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.paths.state, name), fn);
  }

  outboxStore(): undefined {
    return undefined;
  }

  claimSlot(req: SlotClaimRequest): Promise<SlotClaimResult> {
    const doc = this.doc(STATE_DOCS.claims, claimsFileSchema, () => ({ version: 1 as const, claims: [] }));
    return claimSlot(docClaims(doc, doc.path), req);
  }

  async historyFiles(): Promise<{ files: Record<string, string>; cleanup(): void }> {
    const files = Object.fromEntries((Object.keys(LOG_FILES) as LogName[]).map((n) => [LOG_FILES[n], this.#file(n)]));
    return { files, cleanup: () => undefined };
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * The events log in the database: `write` stays synchronous for its callers (the judge, the
 * dispatcher's events), queues the line and appends it in order; `flush()` waits for the queue and
 * throws the first line that could not be written.
 */
class PgEventsLog extends EventsLog {
  #queue: Promise<void> = Promise.resolve();
  #failed: unknown;

  constructor(
    file: string,
    private readonly target: PgLogStore<MonitoringEvent>,
  ) {
    super(file);
  }

  override write(event: Omit<MonitoringEvent, "ts"> & { ts?: string }): void {
    const json = eventJson(event);
    this.#queue = this.#queue.then(() => this.target.appendLine(json)).catch((err) => {
      this.#failed ??= err;
    });
  }

  override store(): CheckpointStore<MonitoringEvent> {
    return this.target;
  }

  override async flush(): Promise<void> {
    await this.#queue;
    const err = this.#failed;
    this.#failed = undefined;
    if (err) throw err;
  }
}

class PgStorage implements Storage {
  readonly kind = "postgres" as const;
  #events: PgEventsLog | undefined;

  constructor(
    readonly paths: MonitorPaths,
    readonly db: PgHistory,
  ) {}

  where(name: LogName): string {
    return `${this.db.where}, log ${name}`;
  }

  log<T extends object>(name: LogName, options: { parse?: (value: unknown) => T } = {}): PgLogStore<T> {
    return new PgLogStore<T>(this.db, name, name === "events" ? { ...options, bound: false } : options);
  }

  hasLog(name: LogName): Promise<boolean> {
    return this.log(name).exists();
  }

  events(): EventsLog {
    this.#events ??= new PgEventsLog(this.paths.events, this.log<MonitoringEvent>("events"));
    return this.#events;
  }

  doc<S extends z.ZodType>(name: string, schema: S, initial: () => z.infer<S>): StateFile<z.infer<S>> {
    return pgStateDoc(this.db, name, schema, initial);
  }

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.db.withLock(name, fn);
  }

  outboxStore(): OutboxStore {
    const outbox = this.doc(STATE_DOCS.outbox, looseOutboxSchema, () => ({ version: 1 as const, entries: [] }));
    const sent = this.doc(STATE_DOCS.outboxDelivered, looseSentSchema, () => ({ version: 1 as const, deliveries: [] }));
    return {
      withLock: (fn) => this.db.withLock(STATE_DOCS.outbox, fn),
      read: async () => ({ outbox: (await outbox.load()) as unknown as OutboxFile, sent: (await sent.load()) as unknown as SentLogFile }),
      write: async (state) => {
        await sent.save(state.sent as z.infer<typeof looseSentSchema>);
        await outbox.save(state.outbox as z.infer<typeof looseOutboxSchema>);
      },
    };
  }

  claimSlot(req: SlotClaimRequest): Promise<SlotClaimResult> {
    const db = this.db;
    const id = db.cutoverId;
    const toRow = (r: Record<string, unknown>): ClaimRow => ({
      cutoverStart: String(r.cutover_start),
      slot: String(r.slot),
      status: r.status as ClaimRow["status"],
      token: String(r.token),
      owner: { pid: Number(r.owner_pid), host: String(r.owner_host) },
      claimedAt: new Date(r.claimed_at as string).toISOString(),
      leaseUntil: new Date(r.lease_until as string).toISOString(),
      ...(r.finished_at ? { finishedAt: new Date(r.finished_at as string).toISOString() } : {}),
      ...(r.checkpoint_id ? { checkpointId: String(r.checkpoint_id) } : {}),
    });
    const backend: ClaimBackend = {
      where: `${db.where}, table cutover_monitor_claim`,
      tryClaim: (c, decide) =>
        db.transaction(`cannot claim ${c.slot}`, async (q) => {
          const values = [id, c.cutoverStart, c.slot, c.status, c.token, c.owner.pid, c.owner.host, c.claimedAt, c.leaseUntil];
          const inserted = await q(
            `INSERT INTO cutover_monitor_claim (cutover_id, cutover_start, slot, status, token, owner_pid, owner_host, claimed_at, lease_until)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING slot`,
            values,
          );
          if (inserted.length) return { claimed: true, existing: null };
          const [row] = await q("SELECT * FROM cutover_monitor_claim WHERE cutover_id = $1 AND cutover_start = $2 AND slot = $3 FOR UPDATE", [id, c.cutoverStart, c.slot]);
          const existing = toRow(row!);
          if (decide(existing) === "keep") return { claimed: false, existing };
          await q(
            `UPDATE cutover_monitor_claim SET status = $4, token = $5, owner_pid = $6, owner_host = $7, claimed_at = $8, lease_until = $9, finished_at = NULL, checkpoint_id = NULL
             WHERE cutover_id = $1 AND cutover_start = $2 AND slot = $3`,
            values,
          );
          return { claimed: true, existing };
        }),
      change: async (key, token, next) => {
        const where = "WHERE cutover_id = $1 AND cutover_start = $2 AND slot = $3 AND token = $4";
        const args = [id, key.cutoverStart, key.slot, token];
        if (next === null) {
          await db.query(`cannot release the claim of ${key.slot}`, `DELETE FROM cutover_monitor_claim ${where}`, args);
          return;
        }
        await db.query(
          `cannot update the claim of ${key.slot}`,
          `UPDATE cutover_monitor_claim SET status = COALESCE($5, status), lease_until = COALESCE($6::timestamptz, lease_until), finished_at = COALESCE($7::timestamptz, finished_at), checkpoint_id = COALESCE($8, checkpoint_id) ${where}`,
          [...args, next.status ?? null, next.leaseUntil ?? null, next.finishedAt ?? null, next.checkpointId ?? null],
        );
      },
    };
    return claimSlot(backend, req);
  }

  async historyFiles(dir: string): Promise<{ files: Record<string, string>; cleanup(): void }> {
    const out = path.join(dir, `.history-export-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const files: Record<string, string> = {};
    for (const name of Object.keys(LOG_FILES) as LogName[]) {
      const store = this.log(name);
      if (!(await store.exists())) continue;
      const file = path.join(out, LOG_FILES[name]);
      writeFileSync(file, "");
      let batch: string[] = [];
      for await (const l of store.lines()) {
        if (l.text === null) continue;
        batch.push(l.text);
        if (batch.length >= 500) {
          appendFileSync(file, batch.join("\n") + "\n");
          batch = [];
        }
      }
      if (batch.length) appendFileSync(file, batch.join("\n") + "\n");
      files[LOG_FILES[name]] = file;
    }
    return { files, cleanup: () => rmSync(out, { recursive: true, force: true }) };
  }

  async flush(): Promise<void> {
    await this.#events?.flush();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.db.close();
    }
  }
}

const open = new Map<string, Storage>();

/** What selects the storage: the reports dir, the history and (as the cutover id) the name. */
export type StorageConfig = Pick<MonitorConfig, "reportsDir" | "name"> & { history?: HistoryConfig };

/** The storage of this config (one per process and history: the watch and its checkpoints share it). */
export function storageFor(config: StorageConfig, env: Record<string, string | undefined> = process.env): Storage {
  const paths = monitorPaths(config.reportsDir);
  const h = config.history ?? { kind: "jsonl" as const };
  const key = h.kind === "postgres" ? `postgres\0${h.connectionStringEnv}\0${env[h.connectionStringEnv] ?? ""}\0${config.name}\0${paths.root}` : `jsonl\0${paths.root}`;
  let s = open.get(key);
  if (!s) {
    s = h.kind === "postgres" ? new PgStorage(paths, new PgHistory(config.name, h.connectionStringEnv, env)) : new JsonlStorage(paths);
    open.set(key, s);
  }
  return s;
}

/** Flushes and closes every storage of the process (the CLI's exit); the first failure is thrown after all are closed. */
export async function closeAllStorage(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  let first: unknown;
  for (const s of all) await s.close().catch((err) => (first ??= err));
  if (first) throw first;
}
