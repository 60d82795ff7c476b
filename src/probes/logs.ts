import { createHash } from "node:crypto";
import fs from "node:fs";
import nodePath from "node:path";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, measurementWindow, monitorFailure, notApplicable, runProbe, targetFailure } from "./target-io.js";
import type { LogState, LogTotals, MeasurementWindow, ProbeContext, ProbeResult } from "./probe.js";

export interface LogSampleLine {
  level: string;
  /** Byte offset of the line in the file. */
  offset: number;
  line: string;
  /** The file the line is in, when it is not the log itself (the rotated file's unread tail). */
  file?: string;
}

/** Level names as the target writes them, grouped by the monitor's categories. */
export interface LogLevelNames {
  error: string[];
  warn: string[];
  critical: string[];
}

export interface LogScanResult {
  fromOffset: number;
  /** Offset after the last complete line (an unterminated last line is left for next time). */
  endOffset: number;
  bytesScanned: number;
  linesScanned: number;
  /** Lines the pattern did not match (no level). */
  unmatchedLines: number;
  /** Level as written -> count. */
  countsByLevel: Record<string, number>;
  errors: number;
  warnings: number;
  critical: number;
  /** Up to maxSamples per category, first seen first. */
  samples: { error: LogSampleLine[]; warn: LogSampleLine[]; critical: LogSampleLine[] };
  /** `ts` group of the last matched line, if the pattern has one. */
  lastLineTs: string | null;
}

/** How the start of a log window was found, reading back from the end of the log. */
export type LogWindowStart =
  /** A line stamped before the window start precedes it. */
  | "older line"
  /** The whole file is inside the window. */
  | "file start"
  /** target.windows.logReadBackBytes were read back without reaching the window start: only the newest part of the window is counted. */
  | "read cap"
  /** No line carries a timestamp the line pattern's `ts` group can read: the lines since the previous checkpoint's byte offset. */
  | "no timestamps";

/** The log lines of a checkpoint's window (a MeasurementWindow), whether or not an earlier checkpoint read them. */
export interface LogWindowScan extends LogScanResult {
  window: MeasurementWindow;
  startFoundBy: LogWindowStart;
  /** Bytes read back from the end of the log to find the window start. */
  readBackBytes: number;
}

/** After a rotation or truncation: the rotated file (the log's path + ".1") and what of it was read. */
export interface LogRotatedTail {
  path: string;
  /** It is the file the previous checkpoint read (by its first bytes' fingerprint, or its inode in an older saved state). */
  matched: boolean;
  matchedBy?: "inode and first bytes" | "first bytes" | "inode";
  /** Why it was not read (matched: false). */
  why?: string;
  /** Its unread tail: from the saved offset to its last complete line (both the saved offset when not read). */
  fromOffset: number;
  endOffset: number;
  /** Lines of the unread tail (in newSincePreviousCheckpoint and sinceCutover). */
  linesScanned: number;
}

export interface LogsMeasurement {
  path: string;
  /** The file was replaced (inode or device changed): scanned from 0. */
  rotated: boolean;
  /**
   * The file was truncated in place (same inode): smaller than the saved offset, its first bytes
   * changed, or the byte before the saved offset is no longer a line end. Scanned from 0.
   */
  truncated: boolean;
  /** After rotation or truncation: the rotated file and its unread tail (counted with the new lines). */
  rotatedTail?: LogRotatedTail;
  /**
   * What the reader noticed, one line each (e.g. "log truncated in place (copytruncate): ...: read
   * from the start; 8 lines read from pipeline.log.1's unread tail"); empty when the log was read
   * on from the saved offset.
   */
  notes: string[];
  /**
   * The checkpoint's window (the name is historical): every line stamped inside
   * max(minimum lookback, since the previous checkpoint), also lines an earlier checkpoint read.
   */
  sinceLastCheckpoint: LogWindowScan;
  /** Lines appended since the previous checkpoint's byte offset (what sinceCutover adds). */
  newSincePreviousCheckpoint: LogScanResult;
  /**
   * Cumulative since cutover: previous totals + the new lines. Persist as logTotalsSinceCutover.
   * After a rotation the window and the new lines include the rotated file's unread tail (their
   * offsets are the log's own; samples from the rotated file name it in `file`).
   */
  sinceCutover: LogTotals;
  /** Lines in the window. */
  linesScanned: number;
  /** Bytes read by this probe (the window and the new lines, each byte once, plus the read-back search). */
  bytesScanned: number;
  /** `ts` of the newest line with a readable timestamp (else of the newest matched line scanned, else null). */
  lastLineAt: string | null;
  /** lastLineAt as epoch ms; null when no timestamp could be read. */
  lastLineAtMs: number | null;
  /** Age of the newest line at the probe's reading, in s; null when no timestamp could be read. */
  lastLineAgeSeconds: number | null;
  fileMtimeMs: number;
  fileSize: number;
  /** Persist as ctx.previous.logState. */
  state: LogState;
}

const CHUNK_BYTES = 1 << 20;
const NL = 10;
/** The first bytes of a log fingerprinted to recognise it (a small read, whatever the log's size). */
const HEAD_BYTES = 1024;

/**
 * Index of a named capture group, counting capturing groups in the pattern's source
 * (escapes and character classes skipped). -1 when the pattern has no such group.
 */
export function namedGroupIndex(source: string, name: string): number {
  let index = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      continue;
    }
    if (c !== "(") continue;
    if (source[i + 1] !== "?") {
      index++;
      continue;
    }
    // (?<name>...) is capturing; (?:, (?=, (?!, (?<=, (?<! are not.
    if (source[i + 2] === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") {
      index++;
      const end = source.indexOf(">", i + 3);
      if (source.slice(i + 3, end) === name) return index;
    }
  }
  return -1;
}

/**
 * The line pattern compiled to run at a given line start only (sticky, `^` = line start).
 * `requireLevel: false` for patterns read only for their `ts` group.
 */
export function compileLinePattern(
  pattern: RegExp | string,
  opts: { requireLevel?: boolean; configKey?: string } = {},
): { re: RegExp; levelGroup: number; tsGroup: number } {
  const key = opts.configKey ?? "logs.linePattern";
  const source = typeof pattern === "string" ? pattern : pattern.source;
  const baseFlags = typeof pattern === "string" ? "" : pattern.flags.replace(/[gymd]/g, "");
  let re: RegExp;
  try {
    re = new RegExp(source, `${baseFlags}my`);
  } catch (err) {
    throw monitorFailure(`log line pattern is not a valid regular expression (${key}): ${errorText(err)}`);
  }
  const levelGroup = namedGroupIndex(source, "level");
  if (levelGroup < 0 && opts.requireLevel !== false) throw monitorFailure(`log line pattern has no named group (?<level>...) (${key}): ${source}`);
  return { re, levelGroup, tsGroup: namedGroupIndex(source, "ts") };
}

/**
 * A log timestamp as epoch ms: ISO 8601 / RFC 2822 (a comma before the milliseconds, as Python's
 * logging writes them, is accepted; without a zone: local time), or epoch seconds / milliseconds.
 * null when unreadable.
 */
export function parseLogTimestamp(ts: string): number | null {
  const t = ts.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? n * 1000 : n;
  }
  const ms = Date.parse(t.replace(/(\d{2}:\d{2}:\d{2}),(\d+)/, "$1.$2"));
  return Number.isFinite(ms) ? ms : null;
}

const CAT_NONE = 0;
const CAT_ERROR = 1;
const CAT_WARN = 2;
const CAT_CRITICAL = 3;

/**
 * Scan a log file from a byte offset to the end of its last complete line, reading the level
 * from each line's level field (the pattern's `level` group, matched at the line start only: a
 * line at INFO whose message contains "ERROR" is not an error). Streams 1 MB chunks; a line
 * split across chunks is carried over; an unterminated last line is left for the next scan.
 */
export async function scanLogFile(
  path: string,
  fromOffset: number,
  pattern: RegExp | string,
  levels: LogLevelNames,
  opts: { maxSamples?: number; toOffset?: number } = {},
): Promise<LogScanResult> {
  const { re, levelGroup, tsGroup } = compileLinePattern(pattern);
  const maxSamples = opts.maxSamples ?? 5;
  const category = new Map<string, number>();
  for (const l of levels.warn) category.set(l, CAT_WARN);
  for (const l of levels.error) category.set(l, CAT_ERROR);
  for (const l of levels.critical) category.set(l, CAT_CRITICAL);
  const counts = new Map<string, number>();
  const samples: LogScanResult["samples"] = { error: [], warn: [], critical: [] };
  let errors = 0;
  let warnings = 0;
  let critical = 0;
  let lines = 0;
  let unmatched = 0;
  let lastTs: string | null = null;

  const reader = completeLineChunks(path, fromOffset, opts.toOffset);
  for await (const { data, dataStart, lastNl } of reader) {
    // latin1: one char per byte, so string indices are byte offsets.
    const str = data.toString("latin1", 0, lastNl + 1);
    let pos = 0;
    let lastMatchPos = -1;
    const end = str.length;
    while (pos < end) {
      let nl = str.indexOf("\n", pos);
      if (nl < 0) nl = end;
      lines++;
      re.lastIndex = pos;
      const m = re.exec(str);
      if (m === null || m.index !== pos) {
        unmatched++;
      } else {
        lastMatchPos = pos;
        const level = m[levelGroup];
        if (level !== undefined) {
          counts.set(level, (counts.get(level) ?? 0) + 1);
          const cat = category.get(level) ?? CAT_NONE;
          if (cat !== CAT_NONE) {
            let list: LogSampleLine[];
            if (cat === CAT_ERROR) {
              errors++;
              list = samples.error;
            } else if (cat === CAT_WARN) {
              warnings++;
              list = samples.warn;
            } else {
              critical++;
              list = samples.critical;
            }
            if (list.length < maxSamples) {
              let lineEnd = nl;
              if (lineEnd > pos && str.charCodeAt(lineEnd - 1) === 13) lineEnd--;
              list.push({ level, offset: dataStart + pos, line: data.toString("utf8", pos, lineEnd) });
            }
          }
        } else {
          unmatched++;
        }
      }
      pos = nl + 1;
    }
    if (lastMatchPos >= 0 && tsGroup > 0) {
      re.lastIndex = lastMatchPos;
      const m = re.exec(str);
      const ts = m?.[tsGroup];
      if (ts !== undefined) lastTs = decodeTs(ts);
    }
  }
  const endOffset = reader.endOffset();
  return {
    fromOffset,
    endOffset,
    bytesScanned: endOffset - fromOffset,
    linesScanned: lines,
    unmatchedLines: unmatched,
    countsByLevel: Object.fromEntries(counts),
    errors,
    warnings,
    critical,
    samples,
    lastLineTs: lastTs,
  };
}

/** A latin1-decoded group back to UTF-8 text (timestamps are ASCII in practice). */
function decodeTs(latin1: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(latin1) ? latin1 : Buffer.from(latin1, "latin1").toString("utf8");
}

/**
 * Where to start reading, by the file's identity and size only: the saved offset, or 0 after
 * rotation (new inode or device) or truncation below the offset. resumeLog also reads the file's
 * first bytes and the byte before the offset, and catches a truncated log regrown past the offset.
 */
export function resumeOffset(
  prev: LogState | undefined,
  path: string,
  st: { ino: number; dev?: number; size: number },
): { offset: number; rotated: boolean; truncated: boolean } {
  if (!prev || prev.path !== path) return { offset: 0, rotated: false, truncated: false };
  if (prev.inode !== st.ino || sameDevice(prev, st) === false) return { offset: 0, rotated: true, truncated: false };
  if (st.size < prev.offset) return { offset: 0, rotated: false, truncated: true };
  return { offset: prev.offset, rotated: false, truncated: false };
}

/** null when either side does not know its device (a state saved before the device was kept). */
function sameDevice(prev: LogState, st: { dev?: number }): boolean | null {
  return prev.dev === undefined || st.dev === undefined ? null : prev.dev === st.dev;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The first up-to-1 KB of a file (of its first `size` bytes) and the byte before `offset` (-1 at 0 or past the end). */
async function readMarks(file: string, size: number, offset: number): Promise<{ head: Buffer; before: number }> {
  const fh = await fs.promises.open(file, "r");
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    let got = 0;
    while (got < head.length) {
      const { bytesRead } = await fh.read(head, got, head.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    let before = -1;
    if (offset > 0 && offset <= got) before = head[offset - 1]!;
    else if (offset > 0) {
      const one = Buffer.alloc(1);
      if ((await fh.read(one, 0, 1, offset - 1)).bytesRead === 1) before = one[0]!;
    }
    return { head: head.subarray(0, got), before };
  } finally {
    await fh.close();
  }
}

/**
 * Why the bytes read (`head`, the first bytes; `before`, the byte before the saved offset) show
 * that the file is not the content the saved state read to its offset; null when nothing does.
 */
function contentChange(prev: LogState, head: Buffer, before: number): string | null {
  const n = prev.headBytes ?? 0;
  if (prev.headSha256 !== undefined && n > 0 && (head.length < n || sha256(head.subarray(0, n)) !== prev.headSha256)) {
    return `its first ${n} bytes are not the ones read before`;
  }
  // The saved offset always follows a line end: another byte there means other content.
  if (prev.offset > 0 && prev.lineEnd !== false && before !== NL) return `the byte before the saved offset ${prev.offset} is no longer a line end`;
  return null;
}

export interface LogResume {
  offset: number;
  rotated: boolean;
  truncated: boolean;
  /** Why the file was read from the start (rotated or truncated), for the evidence. */
  why: string | null;
  /** The file's first up-to-1 KB (of its first st.size bytes), for the state saved after this read. */
  head: Buffer;
}

/**
 * Where to start reading the log at `path` (stat `st`): the saved offset, or 0 when it is a NEW
 * file to the reader: another inode or device (rotated), or the same inode truncated in place:
 * smaller than the saved offset, first bytes not the fingerprinted ones, or the byte before the
 * saved offset no longer a line end (copytruncate followed by growth past the old offset).
 */
export async function resumeLog(prev: LogState | undefined, path: string, st: { ino: number; dev?: number; size: number }): Promise<LogResume> {
  const quick = resumeOffset(prev, path, st);
  const { head, before } = await readMarks(path, st.size, quick.offset);
  if (!prev || prev.path !== path) return { ...quick, why: null, head };
  if (quick.rotated) {
    const why = prev.inode !== st.ino ? `inode ${st.ino}, was ${prev.inode}` : `device ${st.dev}, was ${prev.dev}`;
    return { ...quick, why, head };
  }
  if (quick.truncated) return { ...quick, why: `${st.size} bytes, below the saved offset ${prev.offset}`, head };
  const change = contentChange(prev, head, before);
  if (change) return { offset: 0, rotated: false, truncated: true, why: `${st.size} bytes but ${change}`, head };
  return { ...quick, why: null, head };
}

/** The state saved after reading `path` (stat `st`, first bytes `head`) to `offset`: what the next read checks. */
export function logStateAfter(path: string, st: { ino: number; dev?: number; size: number }, offset: number, head: Buffer, at: number): LogState {
  return { path, inode: st.ino, dev: st.dev, offset, size: st.size, at, headBytes: head.length, headSha256: sha256(head), lineEnd: offset > 0 };
}

type RotatedMatch =
  | { matched: true; size: number; matchedBy: NonNullable<LogRotatedTail["matchedBy"]>; sameInode: boolean }
  | { matched: false; why: string };

/**
 * Whether `rotated` (the log's path + ".1") is the file the saved state read: same first bytes
 * (copytruncate copies them; a rename keeps them and the inode), at least the saved offset long,
 * a line end before the offset. A state saved without a fingerprint needs the same inode.
 */
async function matchRotated(prev: LogState, rotated: string): Promise<RotatedMatch> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(rotated);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { matched: false, why: code === "ENOENT" ? "does not exist" : `could not be read: ${code ?? errorText(err)}` };
  }
  const sameInode = st.ino === prev.inode && sameDevice(prev, st) !== false;
  const fingerprinted = prev.headSha256 !== undefined && (prev.headBytes ?? 0) > 0;
  if (!fingerprinted && !sameInode) return { matched: false, why: "is another file (another inode, and the saved state has no fingerprint of the first bytes)" };
  if (st.size < prev.offset) return { matched: false, why: `is ${st.size} bytes, shorter than the saved offset ${prev.offset}` };
  let marks: { head: Buffer; before: number };
  try {
    marks = await readMarks(rotated, st.size, prev.offset);
  } catch (err) {
    return { matched: false, why: `could not be read: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}` };
  }
  const change = contentChange(prev, marks.head, marks.before);
  if (change) return { matched: false, why: `does not match the file read before: ${change}` };
  return { matched: true, size: st.size, matchedBy: fingerprinted ? (sameInode ? "inode and first bytes" : "first bytes") : "inode", sameInode };
}

export function addTotals(prev: LogTotals | undefined, scan: LogScanResult): LogTotals {
  const counts: Record<string, number> = { ...(prev?.countsByLevel ?? {}) };
  for (const [k, v] of Object.entries(scan.countsByLevel)) counts[k] = (counts[k] ?? 0) + v;
  return {
    countsByLevel: counts,
    errors: (prev?.errors ?? 0) + scan.errors,
    warnings: (prev?.warnings ?? 0) + scan.warnings,
    critical: (prev?.critical ?? 0) + scan.critical,
    linesScanned: (prev?.linesScanned ?? 0) + scan.linesScanned,
  };
}

/** Two consecutive scans (a ends where b starts) as one. */
export function mergeScans(a: LogScanResult, b: LogScanResult, maxSamples: number): LogScanResult {
  const counts: Record<string, number> = { ...a.countsByLevel };
  for (const [k, v] of Object.entries(b.countsByLevel)) counts[k] = (counts[k] ?? 0) + v;
  const both = (k: keyof LogScanResult["samples"]) => [...a.samples[k], ...b.samples[k]].slice(0, maxSamples);
  return {
    fromOffset: a.fromOffset,
    endOffset: b.endOffset,
    bytesScanned: a.bytesScanned + b.bytesScanned,
    linesScanned: a.linesScanned + b.linesScanned,
    unmatchedLines: a.unmatchedLines + b.unmatchedLines,
    countsByLevel: counts,
    errors: a.errors + b.errors,
    warnings: a.warnings + b.warnings,
    critical: a.critical + b.critical,
    samples: { error: both("error"), warn: both("warn"), critical: both("critical") },
    lastLineTs: b.lastLineTs ?? a.lastLineTs,
  };
}

const READ_BACK_CHUNK = 64 * 1024;

export interface WindowStart {
  /** Offset of the window's first line (-1 with "no timestamps" when the pattern has no `ts` group). */
  offset: number;
  foundBy: LogWindowStart;
  readBackBytes: number;
  /** The newest line with a readable timestamp (the first one met reading back). */
  newest: { ts: string; ms: number } | null;
}

/**
 * Where the lines stamped at or after `fromMs` begin: reads back from the end of the log (its
 * last complete line at or before `size`) line by line until a line stamped before `fromMs`,
 * the start of the file, or `capBytes` read. Lines without a readable timestamp (continuation
 * lines, stack traces) go with the line before them. Only the `ts` group of the pattern is used.
 */
export async function findWindowStart(
  file: string,
  linePattern: RegExp | string,
  fromMs: number,
  opts: { size: number; capBytes: number; configKey?: string },
): Promise<WindowStart> {
  const { re, tsGroup } = compileLinePattern(linePattern, { requireLevel: false, configKey: opts.configKey });
  if (tsGroup < 0) return { offset: -1, foundBy: "no timestamps", readBackBytes: 0, newest: null };
  let newest: WindowStart["newest"] = null;
  let lines = 0;
  // Timestamp of the line buf[start..end) (end excludes the newline), null when unreadable.
  const judge = (buf: Buffer, start: number, end: number): number | null => {
    lines++;
    let e = end;
    if (e > start && buf[e - 1] === 13) e--;
    const str = buf.toString("latin1", start, e);
    re.lastIndex = 0;
    const m = re.exec(str);
    const raw = m && m.index === 0 ? m[tsGroup] : undefined;
    if (raw === undefined) return null;
    const ts = decodeTs(raw);
    const ms = parseLogTimestamp(ts);
    if (ms !== null && newest === null) newest = { ts, ms };
    return ms;
  };
  const fh = await fs.promises.open(file, "r");
  let bufStart = opts.size;
  const done = (offset: number, foundBy: LogWindowStart): WindowStart => ({
    offset,
    foundBy: foundBy !== "older line" && lines > 0 && newest === null ? "no timestamps" : foundBy,
    readBackBytes: opts.size - bufStart,
    newest,
  });
  try {
    // buf: the bytes [bufStart, bufStart + buf.length) not judged yet: the end of a line whose
    // start lies before bufStart (and, until the first newline is seen, an unterminated tail).
    let buf: Buffer = Buffer.alloc(0);
    let haveEnd = false;
    for (;;) {
      if (!haveEnd) {
        const nl = buf.lastIndexOf(NL);
        if (nl >= 0) {
          buf = buf.subarray(0, nl + 1);
          haveEnd = true;
        } else if (bufStart === 0) {
          return done(0, "file start"); // no complete line at all
        }
      }
      if (haveEnd) {
        while (buf.length > 0) {
          const lineEnd = buf.length; // buf[lineEnd - 1] is the line's newline
          const prevNl = lineEnd >= 2 ? buf.lastIndexOf(NL, lineEnd - 2) : -1;
          if (prevNl < 0 && bufStart > 0) break; // the line starts before bufStart: read more
          const lineStart = prevNl + 1;
          const ms = judge(buf, lineStart, lineEnd - 1);
          if (ms !== null && ms < fromMs) return done(bufStart + lineEnd, "older line");
          buf = buf.subarray(0, lineStart);
        }
        if (buf.length === 0 && bufStart === 0) return done(0, "file start");
      }
      const room = opts.capBytes - (opts.size - bufStart);
      if (room <= 0) return done(bufStart + buf.length, "read cap");
      const n = Math.min(READ_BACK_CHUNK, bufStart, room);
      const part = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(part, got, n - got, bufStart - n + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < n) return done(bufStart + buf.length, "file start"); // the file shrank under us
      bufStart -= n;
      buf = buf.length ? Buffer.concat([part, buf]) : part;
    }
  } finally {
    await fh.close();
  }
}

/** A file's lines in a window and its new lines, scanning each byte once. */
interface WindowAndNew {
  /** From the window start `ws`. */
  inWindow: LogScanResult;
  /** From the saved offset. */
  newLines: LogScanResult;
  /** After the last complete line. */
  endOffset: number;
  bytesScanned: number;
}

/**
 * Scan `file` from min(ws, from) to `size` split at max(ws, from): the lines of the window
 * (from `ws`) and the new lines (from `from`) with each byte scanned once.
 */
async function scanWindowAndNew(file: string, ws: number, from: number, size: number, target: TargetConfig): Promise<WindowAndNew> {
  const maxSamples = target.logs.maxSampleLines;
  const p1 = Math.min(ws, from);
  const p2 = Math.max(ws, from);
  const a = p1 < p2 ? await scanLogFile(file, p1, target.logs.linePattern, target.logs.levels, { maxSamples, toOffset: p2 }) : null;
  const b = await scanLogFile(file, p2, target.logs.linePattern, target.logs.levels, { maxSamples, toOffset: size });
  const both = a ? mergeScans(a, b, maxSamples) : b;
  return {
    inWindow: ws <= from ? both : b,
    newLines: from <= ws ? both : b,
    endOffset: b.endOffset,
    bytesScanned: (a?.bytesScanned ?? 0) + b.bytesScanned,
  };
}

/** The rotated file's lines followed by the log's, offsets the log's own; the rotated file's samples name it. */
function afterRotatedTail(rotated: LogScanResult, file: string, log: LogScanResult, maxSamples: number): LogScanResult {
  const named = (list: LogSampleLine[]) => list.map((l) => ({ ...l, file }));
  const r = { ...rotated, samples: { error: named(rotated.samples.error), warn: named(rotated.samples.warn), critical: named(rotated.samples.critical) } };
  return { ...mergeScans(r, log, maxSamples), fromOffset: log.fromOffset };
}

/**
 * The pipeline log over the checkpoint's window: every line stamped inside
 * max(minimum lookback, since the previous checkpoint) (target.windows), found by reading back
 * from the end of the log, also lines an earlier checkpoint already read; and, by the byte offset
 * kept in ctx.previous.logState, the lines new since the previous checkpoint, which add to the
 * totals since cutover (ctx.previous.logTotalsSinceCutover). Each byte is scanned once.
 * A log rotated or truncated in place since (resumeLog) is read from the start, and the old
 * file's unread tail is read from the rotated file (path + ".1") when it is recognisably the file
 * read before (matchRotated); otherwise the evidence says that tail is lost rather than guess.
 * A missing log is a target failure.
 */
export function probeLogs(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<LogsMeasurement>> {
  return runProbe(async () => {
    if (!target.logs.enabled) throw notApplicable("the pipeline's log is not reachable from where the monitor runs (logs.enabled: false)");
    const path = resolveTargetPath(target, target.logs.path);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(path);
    } catch (err) {
      throw targetFailure(`pipeline log missing: ${path} (logs.path): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
    }
    const now = ctx.now();
    const prev = ctx.previous?.logState;
    const window = measurementWindow(now, prev?.path === path ? prev.at : null, target.windows.minLookbackSeconds, ctx.cutoverStartedAt);
    const maxSamples = target.logs.maxSampleLines;
    const unreadable = (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code) return targetFailure(`pipeline log unreadable: ${path} (logs.path): ${errorText(err)}`);
      return err;
    };
    try {
      const resume = await resumeLog(prev, path, st);
      const start = await findWindowStart(path, target.logs.linePattern, window.fromMs, { size: st.size, capBytes: target.windows.logReadBackBytes });
      let ws = start.foundBy === "no timestamps" ? resume.offset : start.offset;
      // Since the previous checkpoint: every line appended since then, whatever its stamp.
      if (window.reason === "since previous checkpoint" && prev && !resume.rotated && !resume.truncated) ws = Math.min(ws, resume.offset);
      const log = await scanWindowAndNew(path, ws, resume.offset, st.size, target);
      let inWindow = log.inWindow;
      let newLines = log.newLines;
      let bytesScanned = log.bytesScanned + start.readBackBytes;
      const newest: WindowStart["newest"] = start.newest;
      const notes: string[] = [];
      let rotatedTail: LogRotatedTail | undefined;
      if (prev && resume.why !== null) {
        // The old file's lines after the saved offset were written since the previous checkpoint.
        const rotatedPath = `${path}.1`;
        const rotatedName = nodePath.basename(rotatedPath);
        const m = await matchRotated(prev, rotatedPath);
        const what = resume.rotated
          ? `log rotated${m.matched && m.sameInode ? ` (the old file is now ${rotatedName})` : ""}`
          : `log truncated in place${m.matched && !m.sameInode ? " (copytruncate)" : ""}`;
        if (m.matched) {
          // The unread tail was written since the previous checkpoint: in the window too (the
          // rotated file's lines before the saved offset stay out of it, as read before).
          const tail = await scanLogFile(rotatedPath, prev.offset, target.logs.linePattern, target.logs.levels, { maxSamples, toOffset: m.size });
          inWindow = afterRotatedTail(tail, rotatedPath, inWindow, maxSamples);
          newLines = afterRotatedTail(tail, rotatedPath, newLines, maxSamples);
          bytesScanned += tail.bytesScanned;
          rotatedTail = { path: rotatedPath, matched: true, matchedBy: m.matchedBy, fromOffset: prev.offset, endOffset: tail.endOffset, linesScanned: tail.linesScanned };
          notes.push(
            `${what}: ${resume.why}: read from the start; ${tail.linesScanned} lines read from ${rotatedName}'s unread tail (bytes ${prev.offset}-${tail.endOffset}, matched by ${m.matchedBy})`,
          );
        } else {
          rotatedTail = { path: rotatedPath, matched: false, why: m.why, fromOffset: prev.offset, endOffset: prev.offset, linesScanned: 0 };
          // Reading an unrecognised rotated file from its start could count lines counted before
          // (an older rotation) or another file's: the tail is reported lost instead.
          notes.push(
            `${what}: ${resume.why}: read from the start; ${rotatedName} ${m.why}: not read, so lines written to the old log after the previous checkpoint's offset ${prev.offset} and before the ${resume.rotated ? "rotation" : "truncation"} are not counted`,
          );
        }
      }
      const state = logStateAfter(path, st, log.endOffset, resume.head, now);
      return {
        path,
        rotated: resume.rotated,
        truncated: resume.truncated,
        ...(rotatedTail ? { rotatedTail } : {}),
        notes,
        sinceLastCheckpoint: { ...inWindow, window, startFoundBy: start.foundBy, readBackBytes: start.readBackBytes },
        newSincePreviousCheckpoint: newLines,
        sinceCutover: addTotals(ctx.previous?.logTotalsSinceCutover, newLines),
        linesScanned: inWindow.linesScanned,
        bytesScanned,
        lastLineAt: newest?.ts ?? inWindow.lastLineTs ?? newLines.lastLineTs ?? null,
        lastLineAtMs: newest?.ms ?? null,
        lastLineAgeSeconds: newest ? Math.max(0, Math.round(now - newest.ms)) / 1000 : null,
        fileMtimeMs: st.mtimeMs,
        fileSize: st.size,
        state,
      };
    } catch (err) {
      throw unreadable(err);
    }
  });
}

/** Each complete line from `fromOffset` to `toOffset` (or the file's size), UTF-8 decoded, without its line end. */
export async function forEachLine(path: string, fromOffset: number, toOffset: number | undefined, onLine: (line: string) => void): Promise<{ endOffset: number; linesScanned: number }> {
  let linesScanned = 0;
  const reader = completeLineChunks(path, fromOffset, toOffset);
  for await (const { data, lastNl } of reader) {
    for (const line of data.toString("utf8", 0, lastNl).split("\n")) {
      linesScanned++;
      onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
    }
  }
  return { endOffset: reader.endOffset(), linesScanned };
}

/**
 * Count lines matching each of several regexes from an offset (used by the error-rate log
 * fallback). Same chunked reading as scanLogFile; the regexes run on whole lines.
 */
export async function countMatchingLines(
  path: string,
  fromOffset: number,
  patterns: Record<string, RegExp | null>,
  toOffset?: number,
): Promise<{ counts: Record<string, number>; endOffset: number; linesScanned: number }> {
  const entries = Object.entries(patterns).filter((e): e is [string, RegExp] => e[1] !== null);
  const counts: Record<string, number> = Object.fromEntries(Object.keys(patterns).map((k) => [k, 0]));
  const r = await forEachLine(path, fromOffset, toOffset, (line) => {
    for (const [k, re] of entries) if (re.test(line)) counts[k]!++;
  });
  return { counts, ...r };
}

/**
 * The file from `fromOffset` (to `toOffset` or its current size) in chunks that end with a
 * complete line: `data[0..lastNl]` is whole lines, `dataStart` its offset in the file. A line
 * split across reads is carried into the next chunk; an unterminated last line is left for the
 * next scan, and `endOffset()` is where that scan must resume.
 */
function completeLineChunks(path: string, fromOffset: number, toOffset?: number) {
  let dataStart = fromOffset;
  async function* chunks(): AsyncGenerator<{ data: Buffer; dataStart: number; lastNl: number }> {
    const fh = await fs.promises.open(path, "r");
    try {
      const size = toOffset ?? (await fh.stat()).size;
      let filePos = fromOffset;
      let carry: Buffer | null = null;
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      while (filePos < size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, size - filePos), filePos);
        if (bytesRead === 0) break;
        filePos += bytesRead;
        const data: Buffer = carry ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        const lastNl = data.lastIndexOf(NL);
        if (lastNl < 0) {
          carry = Buffer.from(data);
          continue;
        }
        yield { data, dataStart, lastNl };
        const consumed = lastNl + 1;
        carry = consumed < data.length ? Buffer.from(data.subarray(consumed)) : null;
        dataStart += consumed;
      }
    } finally {
      await fh.close();
    }
  }
  return Object.assign(chunks(), { endOffset: () => dataStart });
}
