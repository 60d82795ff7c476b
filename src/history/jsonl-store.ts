import { createHash } from "node:crypto";
import { appendFile, open, rm, stat, statfs, type FileHandle } from "node:fs/promises";
import { redactDeep } from "../secrets.js";
import { dirname } from "node:path";
import { MonitorUserError } from "../errors.ts";
import { withFileLock, type FileLockOptions } from "../state/file-lock.ts";
import { boundForStorage, storeOnce, type BoundOptions } from "./bound.ts";
import { linesBackward, linesForward, type RawLine } from "./jsonl-lines.ts";
import { ChainVerifier, chainLine, unchained, type ChainStatus, type CheckpointStore, type ReadResult, type SkippedLine, type StoredLine } from "./store.ts";

/** Bytes read at a time. */
export const CHUNK_BYTES = 64 * 1024;
/** A longer line is skipped unread (records are bounded far below this when written). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Free space left after a record: the state files, the events log and the Allure results need room too. */
export const SPACE_MARGIN_BYTES = 1024 * 1024;
/** A record still larger once bounded is bounded again, harder (a typical record is about 10 KB). */
export const MAX_RECORD_BYTES = 256 * 1024;
const HARDER: BoundOptions = { maxString: 512, maxSampleLines: 5, maxItems: 100, maxKeys: 100, maxDepth: 8 };

/** The file-system calls of the store: replaceable in tests (a full disk without filling one). */
export interface HistoryIo {
  read(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Appends up to `length` bytes (the file is open for appending); the bytes written. */
  write(handle: FileHandle, buffer: Buffer, offset: number, length: number): Promise<number>;
  statfs(dir: string): Promise<{ bavail: number | bigint; bsize: number | bigint }>;
}

const fsIo: HistoryIo = {
  read: async (handle, buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
  write: async (handle, buffer, offset, length) => (await handle.write(buffer, offset, length)).bytesWritten,
  statfs: (dir) => statfs(dir),
};

export interface JsonlStoreOptions<T> {
  /** Validates and types one parsed line; throw to skip the line (the message becomes the reason). */
  parse?: (value: unknown) => T;
  lock?: FileLockOptions;
  /** Caps applied to every record before it is stored (src/history/bound.ts); false stores it as given. */
  bound?: BoundOptions | false;
  /** Bytes read at a time (default 64 KiB). */
  chunkBytes?: number;
  /** A longer line is skipped and reported, never held in memory (default 16 MiB). */
  maxLineBytes?: number;
  /** Free bytes required beyond the record itself before appending (default 1 MiB). */
  spaceMarginBytes?: number;
  io?: Partial<HistoryIo>;
}

/** The history could not grow: one line naming the file; the history is as it was. */
export class HistoryWriteError extends MonitorUserError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("E_HISTORY_WRITE", message, options);
    this.name = "HistoryWriteError";
  }
}

/**
 * Append-only JSON Lines (the default `reports/checkpoints.jsonl`): one whole, bounded record per
 * line, appended while holding a cross-process lock, so two checkpoints started at once cannot
 * interleave; a failed or short write (a full disk) is cut back off, so a torn record is never
 * left in the history. The file is read in chunks, forwards for every record and backwards for
 * the latest ones; the reader skips and reports a torn or corrupt line instead of failing.
 */
export class JsonlCheckpointStore<T extends object = Record<string, unknown>> implements CheckpointStore<T> {
  private readonly io: HistoryIo;

  constructor(
    readonly path: string,
    private readonly options: JsonlStoreOptions<T> = {},
  ) {
    this.io = { ...fsIo, ...options.io };
  }

  async append(record: T): Promise<void> {
    // Nothing stored carries a secret (the registry of src/secrets.ts).
    const line = this.storedLine(redactDeep(record));
    await withFileLock(this.path, () => this.appendWhole(line), this.options.lock);
  }

  /** The record as stored: bounded, evidence once, one line of JSON. */
  private storedLine(record: T): string {
    return storedRecordLine(record, this.options.bound, this.path);
  }

  /** Under the lock: the whole line or nothing (a short or failed write is truncated back off). */
  private async appendWhole(line: string): Promise<void> {
    const file = this.path;
    const existed = await stat(file).then(
      () => true,
      (err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? false : Promise.reject(err)),
    );
    const handle = await open(file, "a+");
    let before: number | undefined;
    let written = 0;
    let torn: { at: number; bytes: Buffer } | undefined;
    try {
      before = (await handle.stat()).size;
      // The line as written, plus its chain field (76 bytes at most).
      await this.checkSpace(Buffer.byteLength(line) + 80);
      // A torn last line (a writer killed mid-line; under the lock no live writer is mid-line) is
      // moved to <file>.torn and cut off, so every line of the history stays a whole record.
      if (before > 0 && (await this.lastByte(handle, before)) !== 0x0a) {
        torn = await this.tornTail(handle, before);
        await handle.truncate(torn.at);
        before = torn.at;
      }
      // The hash chain: this line names the hash of the last whole line (read under the lock).
      const data = Buffer.from(`${chainLine(line, await this.lastLineHash(handle, before))}\n`, "utf8");
      while (written < data.length) {
        const n = await this.io.write(handle, data, written, data.length - written);
        if (n <= 0) throw Object.assign(new Error("no bytes written"), { code: "ENOSPC" });
        written += n;
      }
    } catch (err) {
      if (err instanceof HistoryWriteError) {
        await handle.close();
        if (!existed) await rm(file, { force: true });
        throw err;
      }
      // Nothing was written before the size was known: there is nothing to undo. A torn tail cut
      // off for this append is put back, so that a failed append leaves the file as it was.
      const undone =
        before === undefined ||
        (await handle
          .truncate(before)
          .then(async () => {
            if (torn) await handle.write(torn.bytes, 0, torn.bytes.length, torn.at);
          })
          .then(() => true, () => false));
      await handle.close().catch(() => undefined);
      if (undone && !existed) await rm(file, { force: true }).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOSPC" ? "no space left on device (ENOSPC)" : oneLine((err as Error).message ?? String(err));
      const after = undone ? "the history is unchanged" : `its last line may be torn (cutting it back to ${before} bytes failed; the reader skips it)`;
      throw new HistoryWriteError(file, `cannot append to ${file}: ${why}; ${after}`, { cause: err });
    }
    await handle.close();
    // Kept for forensics, never read as history.
    if (torn) await appendFile(`${file}.torn`, Buffer.concat([torn.bytes, Buffer.from("\n")])).catch(() => undefined);
  }

  /** The bytes after the last newline (a record a killed writer left unfinished), and where they start. */
  private async tornTail(handle: FileHandle, size: number): Promise<{ at: number; bytes: Buffer }> {
    const chunk = 64 * 1024;
    let end = size;
    let at = 0;
    search: while (end > 0) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - start);
      const n = await this.io.read(handle, buf, 0, buf.length, start);
      for (let i = n - 1; i >= 0; i--) {
        if (buf[i] === 0x0a) {
          at = start + i + 1;
          break search;
        }
      }
      end = start;
    }
    const bytes = Buffer.alloc(size - at);
    await this.io.read(handle, bytes, 0, bytes.length, at);
    return { at, bytes };
  }

  /**
   * SHA-256 of the file's last non-blank line (the file ends with a newline here), hashed in
   * chunks so a long line is never held whole; null for an empty file.
   */
  private async lastLineHash(handle: FileHandle, size: number): Promise<string | null> {
    let end = size;
    // Skip the final newline and any blank lines before it.
    const one = Buffer.alloc(1);
    while (end > 0) {
      await this.io.read(handle, one, 0, 1, end - 1);
      if (one[0] !== 0x0a && one[0] !== 0x0d && one[0] !== 0x20) break;
      end--;
    }
    if (end === 0) return null;
    // Find the newline before the line, reading backwards in chunks.
    const chunk = 64 * 1024;
    let start = 0;
    let pos = end;
    search: while (pos > 0) {
      const from = Math.max(0, pos - chunk);
      const buf = Buffer.alloc(pos - from);
      const n = await this.io.read(handle, buf, 0, buf.length, from);
      for (let i = n - 1; i >= 0; i--) {
        if (buf[i] === 0x0a) {
          start = from + i + 1;
          break search;
        }
      }
      pos = from;
    }
    // The line's exact bytes up to its newline (trailing blanks of the line itself included).
    let stop = end;
    while (stop < size) {
      await this.io.read(handle, one, 0, 1, stop);
      if (one[0] === 0x0a) break;
      stop++;
    }
    const hash = createHash("sha256");
    for (let at = start; at < stop; at += chunk) {
      const buf = Buffer.alloc(Math.min(chunk, stop - at));
      const n = await this.io.read(handle, buf, 0, buf.length, at);
      hash.update(buf.subarray(0, n));
    }
    return hash.digest("hex");
  }

  private async lastByte(handle: FileHandle, size: number): Promise<number | undefined> {
    const buf = Buffer.alloc(1);
    const n = await this.io.read(handle, buf, 0, 1, size - 1);
    return n === 1 ? buf[0] : undefined;
  }

  /** Refuses (ENOSPC, naming the file) when the file system has less room than the record and a margin. */
  private async checkSpace(bytes: number): Promise<void> {
    let free: number;
    try {
      const s = await this.io.statfs(dirname(this.path));
      free = Number(s.bavail) * Number(s.bsize);
    } catch {
      return; // no statfs here: the write itself is the check
    }
    const margin = this.options.spaceMarginBytes ?? SPACE_MARGIN_BYTES;
    if (free < bytes + margin) {
      throw new HistoryWriteError(
        this.path,
        `cannot append to ${this.path}: no space left on device (ENOSPC); the history is unchanged (${free} bytes free, the record needs ${bytes} bytes and a margin of ${margin})`,
      );
    }
  }

  /**
   * The file's size taken under the lock: appends finish under it, so the bytes before it are
   * whole records, and later appends only add after it. The read itself needs no lock.
   */
  private async withSnapshot<R>(none: R, fn: (handle: FileHandle, size: number) => Promise<R>): Promise<R> {
    let handle: FileHandle;
    let size: number;
    try {
      [handle, size] = await withFileLock(
        this.path,
        async () => {
          const h = await open(this.path, "r");
          try {
            return [h, (await h.stat()).size] as const;
          } catch (err) {
            await h.close();
            throw err;
          }
        },
        this.options.lock,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return none;
      throw err;
    }
    try {
      return await fn(handle, size);
    } finally {
      await handle.close();
    }
  }

  private get lineOptions() {
    return { chunkBytes: this.options.chunkBytes ?? CHUNK_BYTES, maxLineBytes: this.options.maxLineBytes ?? MAX_LINE_BYTES, read: this.io.read };
  }

  /** Every readable record, or only those `keep` accepts (a long history need not be held whole). */
  async readAll(keep?: (record: T) => boolean): Promise<ReadResult<T>> {
    return this.withSnapshot({ records: [], skipped: [] }, async (handle, size) => {
      const records: T[] = [];
      const skipped: SkippedLine[] = [];
      for await (const raw of linesForward(handle, size, this.lineOptions)) {
        const r = this.toRecord(raw);
        if (r === undefined) continue;
        if ("reason" in r) skipped.push({ line: raw.line, reason: r.reason });
        else if (!keep || keep(r.record)) records.push(r.record);
      }
      return { records, skipped };
    });
  }

  async latest(filter?: (record: T) => boolean): Promise<T | undefined> {
    return (await this.readLast(1, filter))[0];
  }

  /** The last `n` readable records (matching `filter`, if given), oldest first; reads from the end of the file. */
  async readLast(n: number, filter?: (record: T) => boolean): Promise<T[]> {
    return this.withSnapshot([], async (handle, size) => {
      const found: T[] = [];
      if (n <= 0) return found;
      for await (const raw of linesBackward(handle, size, this.lineOptions)) {
        const r = this.toRecord(raw);
        if (r === undefined || "reason" in r) continue;
        if (filter && !filter(r.record)) continue;
        found.push(r.record);
        if (found.length >= n) break;
      }
      return found.reverse();
    });
  }

  /** The hash chain over the whole file (read in chunks): its head, and the first line that breaks it. */
  async chain(): Promise<ChainStatus> {
    return this.withSnapshot({ records: 0, head: null, unchained: 0 } as ChainStatus, async (handle, size) => {
      const verifier = new ChainVerifier();
      for await (const raw of linesForward(handle, size, this.lineOptions)) {
        if (raw.text === null) {
          // Too long to hold: hashed as the next line names it would need its bytes; counted as broken.
          const r = verifier.result();
          return { ...r, records: r.records + 1, broken: r.broken ?? { line: raw.line, reason: `line ${raw.line} is over ${this.lineOptions.maxLineBytes} bytes: not verified` } };
        }
        verifier.push(raw.text, raw.line);
      }
      return verifier.result();
    });
  }

  /**
   * Every stored line's exact text in order, 1-based line numbers (blank lines skipped; a line
   * over the size limit is yielded with `text: null`): what `npm run verify` hashes, and what a
   * sign-off bundle copies.
   */
  async *lines(): AsyncGenerator<StoredLine> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      for await (const raw of linesForward(handle, size, this.lineOptions)) {
        if (raw.text !== null && raw.text.trim() === "") continue;
        yield { text: raw.text, line: raw.line };
      }
    } finally {
      await handle.close();
    }
  }

  /** One line: a record, a reason to skip it, or undefined for a blank line. */
  private toRecord(raw: RawLine): { record: T } | { reason: string } | undefined {
    if (raw.text === null) return { reason: `line over ${this.lineOptions.maxLineBytes} bytes (${raw.bytes} bytes), not read` };
    return parseStoredLine(raw.text, this.options.parse, raw.unterminated);
  }
}

/**
 * The record as a store keeps it: redacted by the caller, bounded (src/history/bound.ts), evidence
 * stored once, one line of JSON (bounded harder when still over MAX_RECORD_BYTES). `where` names
 * the store in the error. Every backend stores exactly this text (plus its chain field).
 */
export function storedRecordLine(record: object, bound: BoundOptions | false | undefined, where: string): string {
  const stored = (b: BoundOptions) => JSON.stringify(storeOnce(boundForStorage(record, b)));
  let line = bound === false ? JSON.stringify(record) : stored(bound ?? {});
  if (line === undefined || !line.startsWith("{")) {
    throw new TypeError(`${where}: a checkpoint record must be a JSON object`);
  }
  if (bound !== false && Buffer.byteLength(line) > MAX_RECORD_BYTES) line = stored({ ...bound, ...HARDER });
  return line;
}

/** One stored line read back: the record without its chain field, a reason to skip it, or undefined for a blank line. */
export function parseStoredLine<T>(text: string, parse: ((value: unknown) => T) | undefined, unterminated = false): { record: T } | { reason: string } | undefined {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { reason: unterminated ? "torn last line (no newline, not valid JSON)" : `invalid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { reason: "not a JSON object" };
  value = unchained(value);
  if (!parse) return { record: value as T };
  try {
    return { record: parse(value) };
  } catch (err) {
    return { reason: `invalid record: ${(err as Error).message.split("\n")[0]}` };
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " | ").trim();
}
