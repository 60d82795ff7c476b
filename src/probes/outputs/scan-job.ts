/**
 * One scan of one channel's rows (or of the input), whatever thread runs it: the CSV bytes
 * through the row rules (rows.ts), hashed (SHA-256) on the way. A scan is described by plain
 * data (a ScanJob) and fed Buffers through an async iterable, so that the same function runs in a
 * worker thread (scan-worker.ts, fed by messages or reading a file itself) and, where no worker
 * can be started, in the calling thread (scan.ts). Nothing here imports an npm package: the
 * worker is bundled from this file and rows.ts alone.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { RowChecker, scanCsv, type CsvSink, type RowRule, type RowRulesConfig, type RowScan } from "./rows.js";

export type ScanJob =
  /** A channel's rows: every rule, the key set and column fingerprints. `header`: the columns when the data has no header line (PostgreSQL's COPY). */
  | { kind: "rows"; rules: RowRulesConfig; expectedRows: number; delimiter: string; header?: string[]; sha256: boolean }
  /** The input: the rows the pipeline must reject (`rejectOn`), on the columns the input has; no fingerprints. */
  | { kind: "input"; rules: RowRulesConfig; rejectOn: readonly RowRule[]; delimiter: string; sha256: boolean };

export interface ScanResult {
  scan: RowScan;
  /** SHA-256 of the bytes read (hex), when the job asked for it. */
  sha256: string | null;
  bytes: number;
  rows: number;
}

/** The checker of the input: the rules apply to those of the input's columns the rules name. */
function inputChecker(cells: string[], rules: RowRulesConfig, rejectOn: readonly RowRule[]): RowChecker {
  const names = new Set(cells.map((x) => x.trim()));
  const has = (c: string) => names.has(c);
  return new RowChecker(cells, {
    ...rules,
    required: rules.required.filter(has),
    numeric: rules.numeric.filter(has),
    nonNegative: rules.nonNegative.filter(has),
    sums: [],
    sumColumns: [],
    enabled: rejectOn,
    fingerprints: false,
  });
}

/** Runs a job over a source of Buffers; rejects on a read error or CSV that cannot be parsed. */
export async function runScan(job: ScanJob, source: AsyncIterable<Buffer | string>): Promise<ScanResult> {
  let checker: RowChecker | null = null;
  const sink: CsvSink = {
    header: (cells) => {
      checker = job.kind === "input" ? inputChecker(cells, job.rules, job.rejectOn) : new RowChecker(cells, job.rules, job.expectedRows);
    },
    bytes: (buf, s, e) => checker!.checkBytes(buf, s, e),
    strings: (cells) => checker!.check(cells),
    line: (buf, s, e, d) => checker!.checkLine(buf, s, e, d),
  };
  const hash = job.sha256 ? createHash("sha256") : null;
  const r = await scanCsv(source, job.delimiter, sink, hash ? (chunk) => hash.update(chunk) : undefined, job.kind === "rows" ? job.header : undefined);
  const scan = ((checker as RowChecker | null) ?? new RowChecker(job.kind === "rows" && job.header ? job.header : [], job.rules)).result();
  return { scan, sha256: hash ? hash.digest("hex") : null, bytes: r.bytes, rows: r.rows };
}

/**
 * A file's bytes in chunks of one reused buffer: the consumer must be done with a chunk when it
 * asks for the next (scanCsv is: what it keeps it copies). No fresh memory per chunk (a fresh
 * process pays a page fault per 4 KB of every new buffer).
 */
export async function* fileChunks(file: string, size = 1 << 20): AsyncGenerator<Buffer> {
  const fh = await fs.promises.open(file, "r");
  try {
    const buf = Buffer.allocUnsafeSlow(size);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * An async iterable of Buffers fed by push() (messages from another thread, a download). The
 * consumer is done with a chunk when it asks for the next one: `onTaken` then gets the chunk it
 * takes (its length, for flow control) and the previous one, to be reused.
 */
export class ChunkQueue implements AsyncIterable<Buffer> {
  private readonly items: Buffer[] = [];
  private waiting: ((r: IteratorResult<Buffer>) => void) | null = null;
  private failWaiting: ((err: unknown) => void) | null = null;
  private ended = false;
  private error: unknown = null;
  private given: Buffer | null = null;

  constructor(private readonly onTaken?: (bytes: number, previous: Buffer | null) => void) {}

  private take(chunk: Buffer): Buffer {
    const previous = this.given;
    this.given = chunk;
    this.onTaken?.(chunk.length, previous);
    return chunk;
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failWaiting = null;
      w({ value: this.take(chunk), done: false });
    } else this.items.push(chunk);
  }

  end(): void {
    this.ended = true;
    if (this.waiting && this.items.length === 0) {
      const w = this.waiting;
      this.waiting = this.failWaiting = null;
      w({ value: undefined, done: true });
    }
  }

  fail(err: unknown): void {
    this.error = err;
    this.ended = true;
    if (this.failWaiting) {
      const f = this.failWaiting;
      this.waiting = this.failWaiting = null;
      f(err);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () => {
        if (this.error) return Promise.reject(this.error);
        const c = this.items.shift();
        if (c) return Promise.resolve({ value: this.take(c), done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
    };
  }
}
