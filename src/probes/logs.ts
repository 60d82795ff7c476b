import fs from "node:fs";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, measurementWindow, monitorFailure, runProbe, targetFailure } from "./target-io.js";
import type { LogState, LogTotals, MeasurementWindow, ProbeContext, ProbeResult } from "./probe.js";

export interface LogSampleLine {
  level: string;
  /** Byte offset of the line in the file. */
  offset: number;
  line: string;
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

export interface LogsMeasurement {
  path: string;
  /** The file was replaced (inode changed): scanned from 0. */
  rotated: boolean;
  /** The file shrank below the saved offset: scanned from 0. */
  truncated: boolean;
  /**
   * The checkpoint's window (the name is historical): every line stamped inside
   * max(minimum lookback, since the previous checkpoint), also lines an earlier checkpoint read.
   */
  sinceLastCheckpoint: LogWindowScan;
  /** Lines appended since the previous checkpoint's byte offset (what sinceCutover adds). */
  newSincePreviousCheckpoint: LogScanResult;
  /** Cumulative since cutover: previous totals + the new lines. Persist as logTotalsSinceCutover. */
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

/** Where to start reading: the saved offset, or 0 after rotation (new inode) or truncation. */
export function resumeOffset(
  prev: LogState | undefined,
  path: string,
  st: { ino: number; size: number },
): { offset: number; rotated: boolean; truncated: boolean } {
  if (!prev || prev.path !== path) return { offset: 0, rotated: false, truncated: false };
  if (prev.inode !== st.ino) return { offset: 0, rotated: true, truncated: false };
  if (st.size < prev.offset) return { offset: 0, rotated: false, truncated: true };
  return { offset: prev.offset, rotated: false, truncated: false };
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

/**
 * The pipeline log over the checkpoint's window: every line stamped inside
 * max(minimum lookback, since the previous checkpoint) (target.windows), found by reading back
 * from the end of the log, also lines an earlier checkpoint already read; and, by the byte offset
 * kept in ctx.previous.logState, the lines new since the previous checkpoint, which add to the
 * totals since cutover (ctx.previous.logTotalsSinceCutover). Each byte is scanned once.
 * A missing log is a target failure.
 */
export function probeLogs(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<LogsMeasurement>> {
  return runProbe(async () => {
    const path = resolveTargetPath(target, target.logs.path);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(path);
    } catch (err) {
      throw targetFailure(`pipeline log missing: ${path} (logs.path): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
    }
    const now = ctx.now();
    const prev = ctx.previous?.logState;
    const resume = resumeOffset(prev, path, st);
    const window = measurementWindow(now, prev?.path === path ? prev.at : null, target.windows.minLookbackSeconds, ctx.cutoverStartedAt);
    const maxSamples = target.logs.maxSampleLines;
    const unreadable = (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code) return targetFailure(`pipeline log unreadable: ${path} (logs.path): ${errorText(err)}`);
      return err;
    };
    try {
      const start = await findWindowStart(path, target.logs.linePattern, window.fromMs, { size: st.size, capBytes: target.windows.logReadBackBytes });
      let ws = start.foundBy === "no timestamps" ? resume.offset : start.offset;
      // Since the previous checkpoint: every line appended since then, whatever its stamp.
      if (window.reason === "since previous checkpoint" && prev && !resume.rotated && !resume.truncated) ws = Math.min(ws, resume.offset);
      const p1 = Math.min(ws, resume.offset);
      const p2 = Math.max(ws, resume.offset);
      const a = p1 < p2 ? await scanLogFile(path, p1, target.logs.linePattern, target.logs.levels, { maxSamples, toOffset: p2 }) : null;
      const b = await scanLogFile(path, p2, target.logs.linePattern, target.logs.levels, { maxSamples, toOffset: st.size });
      const both = a ? mergeScans(a, b, maxSamples) : b;
      const inWindow = ws <= resume.offset ? both : b;
      const newLines = resume.offset <= ws ? both : b;
      const newest: WindowStart["newest"] = start.newest;
      const state: LogState = { path, inode: st.ino, offset: b.endOffset, size: st.size, at: now };
      return {
        path,
        rotated: resume.rotated,
        truncated: resume.truncated,
        sinceLastCheckpoint: { ...inWindow, window, startFoundBy: start.foundBy, readBackBytes: start.readBackBytes },
        newSincePreviousCheckpoint: newLines,
        sinceCutover: addTotals(ctx.previous?.logTotalsSinceCutover, newLines),
        linesScanned: inWindow.linesScanned,
        bytesScanned: (a?.bytesScanned ?? 0) + b.bytesScanned + start.readBackBytes,
        lastLineAt: newest?.ts ?? b.lastLineTs ?? a?.lastLineTs ?? null,
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
