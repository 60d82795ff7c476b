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
}
