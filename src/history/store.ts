/**
 * Checkpoint history behind a small interface, so that another backend (a
 * shared database) can replace the embedded JSONL file without touching specs.
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
  /** Every readable record in append order, and what was skipped. */
  readAll(): Promise<ReadResult<T>>;
  /** The last record (matching `filter`, if given). */
  latest(filter?: (record: T) => boolean): Promise<T | undefined>;
}
