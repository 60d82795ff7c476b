import { createHash } from "node:crypto";

/**
 * Checkpoint history behind a small interface, so that another backend (a
 * shared database) can replace the embedded JSONL file without touching specs.
 * Records are stored bounded (src/history/bound.ts): what is read back may carry
 * cut notes ("…[cut N bytes]") and `{ sameAs: path }` for evidence stored twice.
 */

export interface SkippedLine {
  /** 1-based line number in the store. */
  line: number;
  reason: string;
}

export interface ReadResult<T> {
  records: T[];
  /** Lines that could not be read (torn or corrupt): reported, never fatal. */
  skipped: SkippedLine[];
}

export interface CheckpointStore<T extends object = Record<string, unknown>> {
  /** Appends one whole record; concurrent appenders never interleave. */
  append(record: T): Promise<void>;
  /** Every readable record in append order (only those `keep` accepts, if given), and what was skipped. */
  readAll(keep?: (record: T) => boolean): Promise<ReadResult<T>>;
  /** The last record (matching `filter`, if given). */
  latest(filter?: (record: T) => boolean): Promise<T | undefined>;
  /** The last `n` records (matching `filter`, if given), oldest first, without reading the whole history. */
  readLast(n: number, filter?: (record: T) => boolean): Promise<T[]>;
  /** The hash chain over every stored line, checked from the first: its head and the first line that breaks it. */
  chain(): Promise<ChainStatus>;
  /** Every stored line's exact text (with its chain field), in order: what verify hashes and a bundle copies. */
  lines(): AsyncIterable<StoredLine>;
}

/** One stored line as written (chain field included); `text` null when too long to read. */
export interface StoredLine {
  text: string | null;
  /** 1-based position (the line number in a JSONL file, the sequence number in a database). */
  line: number;
}

/**
 * The hash chain (tamper evidence, docs/DESIGN.md "Report and sign-off"): every stored line carries
 * `"prev"`, the SHA-256 of the line before it (its exact bytes without the newline; blank lines do
 * not count), or null on the first line. A changed byte anywhere then shows at the next line, and
 * the last line's hash (the chain head), once signed, pins the whole history. Every store keeps it
 * on append and reports it through `chain()`; readers never see the field.
 */
/** The field each stored line carries: the hash of the line before it. */
export const CHAIN_FIELD = "prev";

/** SHA-256 (hex) of one stored line, as the next line's `prev` names it. */
export function lineHash(line: string | Buffer): string {
  return createHash("sha256").update(line).digest("hex");
}

/** A record's JSON line with `"prev"` set: written last, so a record's own field of that name cannot override it. */
export function chainLine(json: string, prev: string | null): string {
  if (!json.startsWith("{") || !json.endsWith("}")) throw new TypeError("a chained line must be one JSON object");
  return `${json.slice(0, -1)}${json === "{}" ? "" : ","}"${CHAIN_FIELD}":${JSON.stringify(prev)}}`;
}

/** The record without its chain field (what readers get). */
export function unchained<T>(value: T): T {
  if (value && typeof value === "object" && !Array.isArray(value) && CHAIN_FIELD in value) {
    const { [CHAIN_FIELD]: _prev, ...rest } = value as Record<string, unknown>;
    return rest as T;
  }
  return value;
}

export interface ChainStatus {
  /** Non-blank lines read. */
  records: number;
  /** SHA-256 of the last non-blank line: what a signature pins; null for an empty history. */
  head: string | null;
  /** Lines written before the chain existed (no `prev`), all at the start: not covered. */
  unchained: number;
  /** The first line that was changed, inserted or removed, when the chain does not hold. */
  broken?: { line: number; reason: string };
}

/**
 * Checks a chain line by line (1-based numbers, blank lines skipped): `push` every line, then
 * `result()`. A line whose `prev` is not the hash of the line before means that line was changed
 * (or lines were inserted or removed between them); when the next line's `prev` fails too, it is
 * the line itself that was changed (its own `prev`, or its bytes, are not what was written).
 */
export class ChainVerifier {
  private records = 0;
  private unchainedLines = 0;
  private lastHash: string | null = null;
  private lastLine = 0;
  private started = false;
  private broken?: { line: number; reason: string };
  /** A mismatch at this line, waiting for the next line to tell which of the two changed. */
  private suspect?: { line: number; previous: number };

  push(text: string, line: number): void {
    if (text.trim() === "") return;
    this.records++;
    const hash = lineHash(text);
    if (!this.broken) this.check(text, line);
    this.lastHash = hash;
    this.lastLine = line;
  }

  private check(text: string, line: number): void {
    let prev: unknown;
    let has = false;
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      has = v !== null && typeof v === "object" && !Array.isArray(v) && CHAIN_FIELD in v;
      prev = has ? v[CHAIN_FIELD] : undefined;
    } catch {
      this.settle(line, false);
      if (!this.broken) this.broken = { line, reason: `line ${line} changed: it is not valid JSON` };
      return;
    }
    if (!has) {
      if (!this.started) {
        this.unchainedLines++;
        return;
      }
      this.settle(line, false);
      if (!this.broken) this.broken = { line, reason: `line ${line} changed or inserted: it carries no "${CHAIN_FIELD}" hash inside the chain` };
      return;
    }
    const expected = this.started || this.unchainedLines > 0 ? this.lastHash : null;
    this.started = true;
    const ok = prev === expected;
    this.settle(line, ok);
    if (!ok && !this.broken) this.suspect = { line, previous: this.lastLine };
  }

  /** Resolves a pending mismatch with the verdict of the line after it. */
  private settle(line: number, ok: boolean): void {
    const s = this.suspect;
    if (!s) return;
    this.suspect = undefined;
    this.broken = ok
      ? { line: s.previous, reason: s.previous ? `line ${s.previous} changed (line ${s.line} names a different hash for it), or lines were inserted or removed there` : `line ${s.line} changed: the first line names a previous line that is not there` }
      : { line: s.line, reason: `line ${s.line} changed: its bytes no longer match what line ${line} names` };
  }

  result(): ChainStatus {
    const s = this.suspect;
    const broken =
      this.broken ??
      (s
        ? { line: s.line, reason: s.previous ? `line ${s.line} (the last) changed, or line ${s.previous} before it: the hashes no longer match` : `line ${s.line} changed: the first line names a previous line that is not there` }
        : undefined);
    return { records: this.records, head: this.lastHash, unchained: this.unchainedLines, ...(broken ? { broken } : {}) };
  }
}
