/**
 * V2 audit trail in SQLite (WAL): table audit_events as in CONTRACT.md. The binding is libsql
 * (better-sqlite3's API, SQLite built in): its binary ships in a registry package, so `npm ci`
 * compiles nothing (better-sqlite3 built SQLite from source, ~80 s, where its prebuilt binary's
 * host is unreachable).
 */
import fs from "node:fs";
import path from "node:path";
import Database from "libsql";
import type { AuditEvent } from "../kpi/types.ts";

export const AUDIT_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_events (
  id INTEGER PRIMARY KEY,
  timestamp TEXT NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  request_id TEXT,
  run_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_events_request ON audit_events(request_id);
CREATE INDEX IF NOT EXISTS audit_events_run ON audit_events(run_id);
`;

export class AuditStore {
  private db: Database.Database;
  private insertMany: (events: AuditEvent[]) => void;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(AUDIT_SCHEMA);
    const stmt = this.db.prepare(
      `INSERT INTO audit_events (timestamp, event, status, actor, action, details, request_id, run_id)
       VALUES (@timestamp, @event, @status, @actor, @action, @details, @request_id, @run_id)`,
    );
    this.insertMany = this.db.transaction((events: AuditEvent[]) => {
      for (const e of events)
        stmt.run({
          timestamp: e.timestamp,
          event: e.event,
          status: e.status,
          actor: e.actor,
          action: e.action,
          details: JSON.stringify(e.details ?? {}),
          request_id: e.request_id ?? null,
          run_id: e.run_id ?? null,
        });
    });
  }

  write(events: AuditEvent[]): void {
    if (events.length) this.insertMany(events);
  }

  count(where: { request_id?: string; run_id?: string } = {}): number {
    if (where.request_id !== undefined)
      return (this.db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE request_id = ?").get(where.request_id) as { n: number }).n;
    if (where.run_id !== undefined)
      return (this.db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE run_id = ?").get(where.run_id) as { n: number }).n;
    return (this.db.prepare("SELECT COUNT(*) AS n FROM audit_events").get() as { n: number }).n;
  }

  /** libsql's `pragma(..., { simple: true })` returns the row, not the value: read the column. */
  journalMode(): string {
    return String((this.db.prepare("PRAGMA journal_mode").all()[0] as { journal_mode: unknown } | undefined)?.journal_mode);
  }

  close(): void {
    this.db.close();
  }
}

/** Count events without keeping the database open; 0 when it does not exist yet. */
export function countAuditEvents(file: string, where: { request_id?: string; run_id?: string } = {}): number {
  if (!fs.existsSync(file)) return 0;
  const s = new AuditStore(file);
  try {
    return s.count(where);
  } finally {
    s.close();
  }
}
