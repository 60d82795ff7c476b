/**
 * A history log in PostgreSQL (docs/DESIGN.md "History in PostgreSQL"): the same lines the JSONL
 * store writes, one row each (`cutover_monitor_log`: cutover id, log, sequence number, the line's
 * exact text with its `"prev"`), so the hash chain, the sign-off and `npm run verify` work the same
 * on either backend. An append runs in one transaction that locks the log's head row
 * (`cutover_monitor_log_head`, SELECT ... FOR UPDATE): the chain is computed under that lock, so two
 * runners appending at once are ordered, never interleaved. Reads page through the rows by
 * sequence number (never the whole log at once), up to the head as it stood when the read began.
 */
import { redactDeep } from "../secrets.js";
import type { PgHistory } from "../storage/postgres.js";
import type { BoundOptions } from "./bound.js";
import { parseStoredLine, storedRecordLine } from "./jsonl-store.js";
import { ChainVerifier, chainLine, lineHash, type ChainStatus, type CheckpointStore, type ReadResult, type SkippedLine, type StoredLine } from "./store.js";

/** Rows fetched at a time. */
const PAGE = 200;

export interface PgLogOptions<T> {
  parse?: (value: unknown) => T;
  /** Caps applied before storing (as the JSONL store); false stores the record as given. */
  bound?: BoundOptions | false;
}

export class PgLogStore<T extends object = Record<string, unknown>> implements CheckpointStore<T> {
  constructor(
    private readonly db: PgHistory,
    /** The log's name: "checkpoints", "events" or "samples". */
    readonly log: string,
    private readonly options: PgLogOptions<T> = {},
  ) {}

  /** For messages. */
  get where(): string {
    return `${this.db.where}, log ${this.log}`;
  }

  async append(record: T): Promise<void> {
    // Nothing stored carries a secret (the registry of src/secrets.ts).
    await this.appendLine(storedRecordLine(redactDeep(record), this.options.bound, this.where));
  }

  /** Appends one line of JSON as it is (already bounded and redacted), with its chain field. */
  async appendLine(json: string): Promise<void> {
    const id = this.db.cutoverId;
    await this.db.transaction(`cannot append to ${this.log}`, async (q) => {
      await q("INSERT INTO cutover_monitor_log_head (cutover_id, log) VALUES ($1, $2) ON CONFLICT DO NOTHING", [id, this.log]);
      const [head] = await q<{ seq: string; head: string | null }>("SELECT seq, head FROM cutover_monitor_log_head WHERE cutover_id = $1 AND log = $2 FOR UPDATE", [id, this.log]);
      const line = chainLine(json, head?.head ?? null);
      const seq = Number(head?.seq ?? 0) + 1;
      await q("INSERT INTO cutover_monitor_log (cutover_id, log, seq, line) VALUES ($1, $2, $3, $4)", [id, this.log, seq, line]);
      await q("UPDATE cutover_monitor_log_head SET seq = $3, head = $4 WHERE cutover_id = $1 AND log = $2", [id, this.log, seq, lineHash(line)]);
    });
  }

  /** The last sequence number (the read snapshot): later appends are not read. */
  private async headSeq(): Promise<number> {
    const rows = await this.db.query<{ seq: string }>(`cannot read ${this.log}`, "SELECT seq FROM cutover_monitor_log_head WHERE cutover_id = $1 AND log = $2", [this.db.cutoverId, this.log]);
    return Number(rows[0]?.seq ?? 0);
  }

  /** Rows in order (forwards from the first, or backwards from the head), a page at a time. */
  private async *rows(backwards = false): AsyncGenerator<{ seq: number; line: string }> {
    const last = await this.headSeq();
    let cursor = backwards ? last + 1 : 0;
    for (;;) {
      const page = await this.db.query<{ seq: string; line: string }>(
        `cannot read ${this.log}`,
        backwards
          ? "SELECT seq, line FROM cutover_monitor_log WHERE cutover_id = $1 AND log = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"
          : "SELECT seq, line FROM cutover_monitor_log WHERE cutover_id = $1 AND log = $2 AND seq > $3 AND seq <= $5 ORDER BY seq LIMIT $4",
        backwards ? [this.db.cutoverId, this.log, cursor, PAGE] : [this.db.cutoverId, this.log, cursor, PAGE, last],
      );
      for (const r of page) yield { seq: Number(r.seq), line: r.line };
      if (page.length < PAGE) return;
      cursor = Number(page[page.length - 1]!.seq);
    }
  }

  async readAll(keep?: (record: T) => boolean): Promise<ReadResult<T>> {
    const records: T[] = [];
    const skipped: SkippedLine[] = [];
    for await (const r of this.rows()) {
      const parsed = parseStoredLine(r.line, this.options.parse);
      if (parsed === undefined) continue;
      if ("reason" in parsed) skipped.push({ line: r.seq, reason: parsed.reason });
      else if (!keep || keep(parsed.record)) records.push(parsed.record);
    }
    return { records, skipped };
  }

  async latest(filter?: (record: T) => boolean): Promise<T | undefined> {
    return (await this.readLast(1, filter))[0];
  }

  async readLast(n: number, filter?: (record: T) => boolean): Promise<T[]> {
    const found: T[] = [];
    if (n <= 0) return found;
    for await (const r of this.rows(true)) {
      const parsed = parseStoredLine(r.line, this.options.parse);
      if (parsed === undefined || "reason" in parsed) continue;
      if (filter && !filter(parsed.record)) continue;
      found.push(parsed.record);
      if (found.length >= n) break;
    }
    return found.reverse();
  }

  async chain(): Promise<ChainStatus> {
    const verifier = new ChainVerifier();
    for await (const r of this.rows()) verifier.push(r.line, r.seq);
    return verifier.result();
  }

  async *lines(): AsyncGenerator<StoredLine> {
    for await (const r of this.rows()) if (r.line.trim() !== "") yield { text: r.line, line: r.seq };
  }

  /** Whether anything was ever appended. */
  async exists(): Promise<boolean> {
    return (await this.headSeq()) > 0;
  }
}
