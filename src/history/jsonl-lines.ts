/**
 * Lines of a file read in fixed-size chunks, forwards or backwards, never the whole file: a
 * history of 600 MB must not become one string ("Invalid string length"), and a checkpoint that
 * needs the last record must not read the first. What a reader holds is one chunk and one line;
 * a line longer than `maxLineBytes` is counted and skipped, never held.
 */
import type { FileHandle } from "node:fs/promises";

/** Reads up to `length` bytes at `position` into `buffer` at `offset`; the bytes read (0 at the end). */
export type ReadAt = (handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number) => Promise<number>;

export interface LineReadOptions {
  chunkBytes: number;
  maxLineBytes: number;
  read: ReadAt;
}

export interface RawLine {
  /** The line without its newline; null when it was longer than maxLineBytes (not read). */
  text: string | null;
  /** Its length in bytes. */
  bytes: number;
  /** 1-based line number (forward reading only; 0 backwards, where it is not known). */
  line: number;
  /** The file's last line and it has no newline: a writer may have died mid-line. */
  unterminated: boolean;
}

/** Collects one line's pieces, copying them (the chunk buffer is reused), until it is too long. */
class LineBuffer {
  private parts: Buffer[] = [];
  bytes = 0;
  tooLong = false;
  constructor(private readonly max: number) {}

  add(piece: Buffer, atFront = false): void {
    if (piece.length === 0) return;
    this.bytes += piece.length;
    if (this.tooLong) return;
    if (this.bytes > this.max) {
      this.tooLong = true;
      this.parts = [];
      return;
    }
    const copy = Buffer.from(piece);
    if (atFront) this.parts.unshift(copy);
    else this.parts.push(copy);
  }

  take(): { text: string | null; bytes: number } {
    const out = { text: this.tooLong ? null : Buffer.concat(this.parts, this.bytes).toString("utf8"), bytes: this.bytes };
    this.parts = [];
    this.bytes = 0;
    this.tooLong = false;
    return out;
  }
}

/** The first `size` bytes of the file, line by line, first line first. */
export async function* linesForward(handle: FileHandle, size: number, o: LineReadOptions): AsyncGenerator<RawLine> {
  const buf = Buffer.allocUnsafe(o.chunkBytes);
  const line = new LineBuffer(o.maxLineBytes);
  let pos = 0;
  let n = 0;
  while (pos < size) {
    const got = await o.read(handle, buf, 0, Math.min(buf.length, size - pos), pos);
    if (got <= 0) break; // the file shrank under us
    pos += got;
    const chunk = buf.subarray(0, got);
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      line.add(chunk.subarray(start, nl));
      yield { ...line.take(), line: ++n, unterminated: false };
      start = nl + 1;
    }
    line.add(chunk.subarray(start));
  }
  if (line.bytes > 0) yield { ...line.take(), line: ++n, unterminated: true };
}

/** The first `size` bytes of the file, line by line, last line first. */
export async function* linesBackward(handle: FileHandle, size: number, o: LineReadOptions): AsyncGenerator<RawLine> {
  const buf = Buffer.allocUnsafe(o.chunkBytes);
  const line = new LineBuffer(o.maxLineBytes);
  let pos = size;
  // Until the first newline from the end is seen, the bytes after it are an unterminated last line.
  let tail = true;
  while (pos > 0) {
    const length = Math.min(buf.length, pos);
    pos -= length;
    const got = await o.read(handle, buf, 0, length, pos);
    if (got !== length) throw new Error(`short read at byte ${pos}: ${got} of ${length} bytes`);
    const chunk = buf.subarray(0, got);
    let end = got;
    // lastIndexOf with a negative offset counts from the end: stop at the chunk's start.
    for (let nl = chunk.lastIndexOf(0x0a, end - 1); end > 0 && nl !== -1; nl = end > 0 ? chunk.lastIndexOf(0x0a, end - 1) : -1) {
      line.add(chunk.subarray(nl + 1, end), true);
      const taken = line.take();
      if (!tail || taken.bytes > 0) yield { ...taken, line: 0, unterminated: tail };
      tail = false;
      end = nl;
    }
    line.add(chunk.subarray(0, end), true);
  }
  if (line.bytes > 0) yield { ...line.take(), line: 0, unterminated: tail };
}
