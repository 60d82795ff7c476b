import fs from "node:fs";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, monitorFailure, runProbe, targetFailure } from "./common.js";
import type {
  LogLevelNames,
  LogSampleLine,
  LogScanResult,
  LogState,
  LogTotals,
  LogsMeasurement,
  ProbeContext,
  ProbeResult,
} from "./types.js";

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

/** The line pattern compiled to run at a given line start only (sticky, `^` = line start). */
export function compileLinePattern(pattern: RegExp | string): { re: RegExp; levelGroup: number; tsGroup: number } {
  const source = typeof pattern === "string" ? pattern : pattern.source;
  const baseFlags = typeof pattern === "string" ? "" : pattern.flags.replace(/[gymd]/g, "");
  let re: RegExp;
  try {
    re = new RegExp(source, `${baseFlags}my`);
  } catch (err) {
    throw monitorFailure(`log line pattern is not a valid regular expression (logs.linePattern): ${errorText(err)}`);
  }
  const levelGroup = namedGroupIndex(source, "level");
  if (levelGroup < 0) throw monitorFailure(`log line pattern has no named group (?<level>...) (logs.linePattern): ${source}`);
  return { re, levelGroup, tsGroup: namedGroupIndex(source, "ts") };
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

/**
 * Incremental scan of the pipeline log since the previous checkpoint (ctx.previous.logState),
 * with cumulative totals since cutover (ctx.previous.logTotalsSinceCutover + this scan).
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
    const resume = resumeOffset(ctx.previous?.logState, path, st);
    let scan: LogScanResult;
    try {
      scan = await scanLogFile(path, resume.offset, target.logs.linePattern, target.logs.levels, {
        maxSamples: target.logs.maxSampleLines,
        toOffset: st.size,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code) throw targetFailure(`pipeline log unreadable: ${path}: ${errorText(err)}`);
      throw err;
    }
    const state: LogState = { path, inode: st.ino, offset: scan.endOffset, size: st.size };
    return {
      path,
      rotated: resume.rotated,
      truncated: resume.truncated,
      sinceLastCheckpoint: scan,
      sinceCutover: addTotals(ctx.previous?.logTotalsSinceCutover, scan),
      linesScanned: scan.linesScanned,
      bytesScanned: scan.bytesScanned,
      lastLineAt: scan.lastLineTs,
      fileMtimeMs: st.mtimeMs,
      fileSize: st.size,
      state,
    };
  });
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
  let linesScanned = 0;
  const reader = completeLineChunks(path, fromOffset, toOffset);
  for await (const { data, lastNl } of reader) {
    for (const line of data.toString("utf8", 0, lastNl).split("\n")) {
      linesScanned++;
      for (const [k, re] of entries) if (re.test(line)) counts[k]!++;
    }
  }
  return { counts, endOffset: reader.endOffset(), linesScanned };
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
