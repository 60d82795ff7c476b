/**
 * The row rules every output channel's rows are checked by, one row at a time (nothing is kept
 * per row but a 64-bit hash of its key): required columns not null, numeric columns numbers,
 * unique key, non-negative amounts, totals equal to the sum of their parts. Each rule counts the
 * rows it fails and keeps a few of them (row number, key, column, value), as data-quality tools
 * show them. Beside the rules, the same pass computes what reconciliation and the KPI recompute
 * need: the key-set fingerprint, a checksum per column, and the sums of the KPI columns.
 */
import { StringDecoder } from "node:string_decoder";
import { KeySet, hash2, hashAscii } from "./hash.js";

export type RowRule = "not-null" | "type" | "unique-key" | "non-negative" | "sum";
export const ROW_RULES: readonly RowRule[] = ["not-null", "type", "unique-key", "non-negative", "sum"];

export interface RowSample {
  /** 1-based data row (the header is not counted). */
  row: number;
  key: string | null;
  column: string;
  value: string | null;
  detail?: string;
}

export interface RuleTally {
  rule: RowRule;
  /** Rows that fail it. */
  rows: number;
  byColumn: Record<string, number>;
  samples: RowSample[];
}

export interface RowRulesConfig {
  key: string;
  required: readonly string[];
  numeric: readonly string[];
  nonNegative: readonly string[];
  sums: readonly { total: string; parts: readonly string[]; tolerance: number }[];
  sampleRows: number;
  checksumDecimals: number;
  /** Columns whose totals the KPI recompute needs. */
  sumColumns: readonly string[];
  /** The rules applied (default: all). */
  enabled?: readonly RowRule[];
  /** Key-set fingerprint and column checksums (default true; the input needs none). */
  fingerprints?: boolean;
}

export interface RowScan {
  columns: string[];
  /** Required columns absent from the rows. */
  missingColumns: string[];
  /** Columns the value rules or KPIs need that the rows lack (the rules cannot be applied). */
  missingRuleColumns: string[];
  rowsChecked: number;
  /** Rows failing at least one row rule. */
  rowsFailing: number;
  rules: Record<RowRule, RuleTally>;
  nullsByColumn: Record<string, number>;
  totalNulls: number;
  duplicateRows: number;
  duplicateKeyExamples: string[];
  distinctKeys: number;
  /** Order-independent fingerprint of the key set (hex). */
  keySet: string;
  /** Per column, the order-independent checksum of its (key, value) pairs (hex). */
  checksums: Record<string, string>;
  /** Totals of the KPI columns over the rows where the value is a number. */
  sums: Record<string, number>;
}

const NULL_MARK = 2 ** 52 + 7919;
const P10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const TWO32 = 4294967296;

/** Only spaces and tabs (a null cell). */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 32) return false;
  return true;
}

/**
 * A plain decimal ("-1234.50") without allocating: its digits as an integer N and 10^k, then
 * N / 10^k, one correctly rounded division of two exact doubles, so the same number as Number(s).
 * Anything else (spaces, exponents, "+", more than 15 digits) goes through Number(s); NaN or an
 * infinity is "not a number".
 */
export function parseDecimal(s: string): number {
  const len = s.length;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  let n = 0;
  let digits = 0;
  let frac = -1;
  for (; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      n = n * 10 + c;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === -2 && frac < 0) frac = 0;
    else return slow(s);
  }
  if (digits === 0 || digits > 15) return slow(s);
  const v = frac > 0 ? n / P10[frac]! : n;
  return neg ? -v : v;
}

/**
 * parseDecimal over bytes [s, e) of a Buffer, written into out[i] (a double returned from a call
 * that is not inlined is boxed: millions of cells would be millions of allocations). False: not a
 * number.
 */
function decimalInto(buf: Buffer, s: number, e: number, out: Float64Array, i: number): boolean {
  let j = s;
  let neg = false;
  if (buf[j] === 45) {
    neg = true;
    j++;
  }
  let n = 0;
  let digits = 0;
  let frac = -1;
  for (; j < e; j++) {
    const c = buf[j]! - 48;
    if (c >= 0 && c <= 9) {
      n = n * 10 + c;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === -2 && frac < 0) frac = 0;
    else {
      digits = -1;
      break;
    }
  }
  if (digits <= 0 || digits > 15) {
    out[i] = slow(buf.toString("utf8", s, e));
    return out[i] - out[i] === 0;
  }
  const v = frac > 0 ? n / P10[frac]! : n;
  out[i] = neg ? -v : v;
  return true;
}

function slow(s: string): number {
  const t = s.trim();
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number.NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : Number.NaN;
}

const hex8 = (x: number) => x.toString(16).padStart(8, "0");

const EMPTY = 0;
const NUM = 1;
const BADNUM = 2;
const TEXT = 3;

/**
 * Feed rows and read the tallies. Two ways in, one set of rules: `check(cells)` (strings; null or
 * "" is a null) and `checkBytes(buf, starts, ends)` (cells as byte ranges of a Buffer: the CSV
 * fast path, which parses numbers and hashes keys without making strings). Either decodes the row
 * into typed arrays (kind, number, text hash per column); `judge` applies the rules to those.
 */
export class RowChecker {
  private readonly cols: string[];
  private readonly n: number;
  private readonly keyIdx: number;
  private readonly isReq: Uint8Array;
  private readonly isNum: Uint8Array;
  private readonly isNonNeg: Uint8Array;
  private readonly sumRules: { total: number; parts: number[]; tolerance: number; name: string }[];
  private readonly sumIdx: number[];
  /** Sums of the KPI columns. */
  private readonly sums: Float64Array;
  /** Two 32-bit lanes per column (typed arrays: no boxed numbers on the hot path). */
  private readonly csA: Uint32Array;
  private readonly csB: Uint32Array;
  private readonly nulls: Float64Array;
  private readonly tallies: Record<RowRule, RuleTally>;
  private readonly keys: KeySet;
  private readonly onNull: boolean;
  private readonly onType: boolean;
  private readonly onUnique: boolean;
  private readonly onNonNeg: boolean;
  private readonly onSum: boolean;
  private readonly fingerprints: boolean;
  private readonly h = new Uint32Array(2);
  private readonly scale: number;
  // the decoded row
  private readonly kind: Uint8Array;
  private readonly values: Float64Array;
  private readonly ha: Uint32Array;
  private readonly hb: Uint32Array;
  /** Where checkLine found each field. */
  private readonly lineStarts: Int32Array;
  private readonly lineEnds: Int32Array;
  // where the current row came from (texts of offending cells are made from it, rarely)
  private srcCells: ArrayLike<string | null | undefined> | null = null;
  private srcBuf: Buffer | null = null;
  private srcStarts: Int32Array | null = null;
  private srcEnds: Int32Array | null = null;
  /** The key cell's bytes (trimmed) in srcBuf. */
  private keyS = 0;
  private keyE = 0;
  private readonly keyLanes = new Uint32Array(2);
  private rowsChecked = 0;
  private rowsFailing = 0;
  private duplicateRows = 0;
  private readonly dupExamples = new Set<string>();
  readonly missingColumns: string[];
  readonly missingRuleColumns: string[];

  constructor(
    header: readonly string[],
    private readonly cfg: RowRulesConfig,
    expectedRows = 1024,
  ) {
    this.cols = header.map((c) => c.trim());
    this.n = this.cols.length;
    const idx = (c: string) => this.cols.indexOf(c);
    this.keyIdx = idx(cfg.key);
    this.missingColumns = cfg.required.filter((c) => idx(c) < 0);
    const ruleCols = [...cfg.numeric, ...cfg.nonNegative, ...cfg.sums.flatMap((s) => [s.total, ...s.parts]), ...cfg.sumColumns];
    this.missingRuleColumns = [...new Set(ruleCols)].filter((c) => idx(c) < 0 && !this.missingColumns.includes(c));
    const required = new Set(cfg.required);
    const numeric = new Set(cfg.numeric);
    this.isReq = Uint8Array.from(this.cols, (c) => (required.has(c) ? 1 : 0));
    this.isNum = Uint8Array.from(this.cols, (c, i) => (numeric.has(c) && i !== this.keyIdx ? 1 : 0));
    const nonNeg = new Set(cfg.nonNegative);
    this.isNonNeg = Uint8Array.from(this.cols, (c) => (nonNeg.has(c) ? 1 : 0));
    this.sumRules = cfg.sums
      .filter((s) => idx(s.total) >= 0 && s.parts.every((p) => idx(p) >= 0))
      .map((s) => ({ total: idx(s.total), parts: s.parts.map(idx), tolerance: s.tolerance + 1e-9, name: `${s.total} = ${s.parts.join(" + ")}` }));
    this.sumIdx = cfg.sumColumns.map(idx);
    this.sums = new Float64Array(cfg.sumColumns.length);
    this.csA = new Uint32Array(this.n);
    this.csB = new Uint32Array(this.n);
    this.nulls = new Float64Array(this.n);
    this.tallies = Object.fromEntries(ROW_RULES.map((r) => [r, { rule: r, rows: 0, byColumn: {}, samples: [] }])) as unknown as Record<RowRule, RuleTally>;
    const enabled = new Set(cfg.enabled ?? ROW_RULES);
    this.onNull = enabled.has("not-null");
    this.onType = enabled.has("type");
    this.onUnique = enabled.has("unique-key");
    this.onNonNeg = enabled.has("non-negative");
    this.onSum = enabled.has("sum");
    this.fingerprints = cfg.fingerprints ?? true;
    this.keys = new KeySet(this.onUnique ? expectedRows : 16);
    this.scale = 10 ** cfg.checksumDecimals;
    this.kind = new Uint8Array(this.n);
    this.values = new Float64Array(this.n);
    this.ha = new Uint32Array(this.n);
    this.hb = new Uint32Array(this.n);
    this.lineStarts = new Int32Array(this.n);
    this.lineEnds = new Int32Array(this.n);
  }

  /** One row as strings; `cells[i]` is the value of header column i. */
  check(cells: ArrayLike<string | null | undefined>): void {
    const { n, kind, values, ha, hb, isNum, h } = this;
    for (let i = 0; i < n; i++) {
      let cell = cells[i];
      if (cell == null || cell.length === 0 || isBlank(cell)) {
        kind[i] = EMPTY;
        continue;
      }
      if (isNum[i]) {
        const v = parseDecimal(cell);
        if (v - v === 0) {
          kind[i] = NUM;
          values[i] = v;
          continue;
        }
        kind[i] = BADNUM;
      } else {
        kind[i] = TEXT;
        if (i === this.keyIdx && (cell.charCodeAt(0) <= 32 || cell.charCodeAt(cell.length - 1) <= 32)) cell = cell.trim();
      }
      hash2(cell, h);
      ha[i] = h[0]!;
      hb[i] = h[1]!;
    }
    this.srcCells = cells;
    this.srcBuf = null;
    this.judge();
  }

  /** One row as byte ranges [starts[i], ends[i]) of `buf` (UTF-8). */
  checkBytes(buf: Buffer, starts: Int32Array, ends: Int32Array): void {
    for (let i = 0; i < this.n; i++) {
      const s = starts[i]!;
      if (s < 0) this.kind[i] = EMPTY;
      else this.cell(i, buf, s, ends[i]!);
    }
    this.srcCells = null;
    this.srcBuf = buf;
    this.srcStarts = starts;
    this.srcEnds = ends;
    this.judge();
  }

  /**
   * One CSV line, bytes [s, e) of `buf` without its line end, split on the delimiter byte `d` and
   * decoded in the same pass (the fast path of csvScanner: a plain decimal is parsed while its
   * field is scanned; any other cell goes through cell(), as in checkBytes). The same result as
   * checkBytes on the line's fields. False, with nothing recorded: the line has a double quote
   * (the caller splits it by the RFC 4180 parser).
   */
  checkLine(buf: Buffer, s: number, e: number, d: number): boolean {
    const { n, kind, values, isNum, lineStarts, lineEnds } = this;
    let p = s;
    for (let i = 0; i < n; i++) {
      if (p > e) {
        // the line has fewer fields than the header
        kind[i] = EMPTY;
        lineStarts[i] = -1;
        lineEnds[i] = -1;
        continue;
      }
      const fs = p;
      if (isNum[i]) {
        let neg = false;
        if (p < e && buf[p] === 45) {
          neg = true;
          p++;
        }
        let num = 0;
        let digits = 0;
        let frac = -1;
        for (; p < e; p++) {
          const c = buf[p]! - 48;
          if (c >= 0 && c <= 9) {
            num = num * 10 + c;
            digits++;
            if (frac >= 0) frac++;
          } else if (c === -2 && frac < 0) frac = 0;
          else break;
        }
        if (p === e || buf[p] === d) {
          if (digits > 0 && digits <= 15) {
            const v = frac > 0 ? num / P10[frac]! : num;
            values[i] = neg ? -v : v;
            kind[i] = NUM;
            lineStarts[i] = fs;
            lineEnds[i] = p;
            p++;
            continue;
          }
        } else {
          // not a plain decimal: the field's end, then the general cell path
          for (; p < e && buf[p] !== d; p++) if (buf[p] === 34) return false;
        }
      } else {
        for (; p < e && buf[p] !== d; p++) if (buf[p] === 34) return false;
      }
      lineStarts[i] = fs;
      lineEnds[i] = p;
      this.cell(i, buf, fs, p);
      p++;
    }
    // fields beyond the header's are not checked, but a quote among them makes it a quoted line
    for (; p < e; p++) if (buf[p] === 34) return false;
    this.srcCells = null;
    this.srcBuf = buf;
    this.srcStarts = lineStarts;
    this.srcEnds = lineEnds;
    this.judge();
    return true;
  }

  /** Cell i of the current row: bytes [s, e) of buf (checkBytes, checkLine). */
  private cell(i: number, buf: Buffer, s: number, e: number): void {
    const { kind, values, ha, hb, isNum, h } = this;
    let blank = true;
    for (let j = s; j < e; j++) {
      if (buf[j]! > 32) {
        blank = false;
        break;
      }
    }
    if (blank) {
      kind[i] = EMPTY;
      return;
    }
    if (isNum[i]) {
      if (decimalInto(buf, s, e, values, i)) {
        kind[i] = NUM;
        return;
      }
      kind[i] = BADNUM;
    } else {
      kind[i] = TEXT;
      if (i === this.keyIdx) {
        while (buf[s]! <= 32) s++;
        while (buf[e - 1]! <= 32) e--;
        this.keyS = s;
        this.keyE = e;
      }
    }
    if (!hashAscii(buf, s, e, h)) hash2(buf.toString("utf8", s, e), h);
    ha[i] = h[0]!;
    hb[i] = h[1]!;
  }

  /** The text of cell i of the current row (for offending rows only). */
  private text(i: number): string | null {
    if (this.kind[i] === EMPTY) return null;
    if (this.srcBuf) return this.srcBuf.toString("utf8", this.srcStarts![i]!, this.srcEnds![i]!);
    const c = this.srcCells?.[i];
    return c == null ? null : String(c);
  }

  private keyText(): string | null {
    const k = this.keyIdx >= 0 ? this.text(this.keyIdx) : null;
    return k === null ? null : k.trim();
  }

  private flag(rule: RowRule, row: number, column: number, detail?: string): void {
    const t = this.tallies[rule];
    const name = this.cols[column]!;
    t.byColumn[name] = (t.byColumn[name] ?? 0) + 1;
    if (t.samples.length < this.cfg.sampleRows && (t.samples.length === 0 || t.samples[t.samples.length - 1]!.row !== row)) {
      t.samples.push({ row, key: this.keyText(), column: name, value: this.text(column), ...(detail ? { detail } : {}) });
    }
  }

  /** Adds (key, value) to column i's checksum; `v` an integer below 2^53. */
  private addChecksum(i: number, v: number, wa: number, wb: number): void {
    if (v < TWO32) {
      this.csA[i] = this.csA[i]! + Math.imul(v >>> 0, wa);
      this.csB[i] = this.csB[i]! + Math.imul(v >>> 0, wb);
      return;
    }
    const lo = v >>> 0;
    const hi = Math.floor(v / TWO32) >>> 0;
    this.csA[i] = this.csA[i]! + Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), wa);
    this.csB[i] = this.csB[i]! + Math.imul(lo + hi, wb) + Math.imul(hi, 0xc2b2ae35);
  }

  /** The rules on the decoded row. */
  private judge(): void {
    const row = ++this.rowsChecked;
    const { n, kind, values, ha, hb } = this;
    let bad = 0; // bit per rule: 1 not-null, 2 type, 4 unique, 8 non-negative, 16 sum
    let wa = 0x12345678;
    let wb = 0x9abcdef1;
    const k = this.keyIdx;
    if (k >= 0 && kind[k] !== EMPTY) {
      wa = ha[k]!;
      wb = hb[k]!;
      this.keyLanes[0] = this.keyLanes[0]! + wa;
      this.keyLanes[1] = this.keyLanes[1]! + wb;
      if (this.onUnique && !(this.srcBuf ? this.keys.addBytes(this.srcBuf, this.keyS, this.keyE, wa, wb) : this.keys.add(wa, wb))) {
        this.duplicateRows++;
        if (this.dupExamples.size < 5) this.dupExamples.add(this.keyText()!);
        bad |= 4;
        this.flag("unique-key", row, k, "key seen before");
      }
    }
    const fp = this.fingerprints;
    const scale = this.scale;
    for (let i = 0; i < n; i++) {
      const kd = kind[i];
      if (kd === NUM) {
        const v = values[i]!;
        if (fp) {
          const scaled = Math.round(v * scale);
          this.addChecksum(i, scaled < 0 ? 2 ** 53 + scaled : scaled, wa, wb);
        }
        if (v < 0 && this.isNonNeg[i] && this.onNonNeg) {
          bad |= 8;
          this.flag("non-negative", row, i, "negative");
        }
      } else if (kd === EMPTY) {
        this.nulls[i]!++;
        if (fp) this.addChecksum(i, NULL_MARK, wa, wb);
        if (this.isReq[i] && this.onNull) {
          bad |= 1;
          this.flag("not-null", row, i, "empty");
        }
      } else {
        if (fp) this.addChecksum(i, ha[i]! + (hb[i]! & 0x1fffff) * TWO32, wa, wb);
        if (kd === BADNUM && this.onType) {
          bad |= 2;
          this.flag("type", row, i, "not a number");
        }
      }
    }
    if (this.onSum) {
      const sumRules = this.sumRules;
      for (let r = 0; r < sumRules.length; r++) {
        const s = sumRules[r]!;
        if (kind[s.total] !== NUM) continue;
        let total = 0;
        let all = true;
        const parts = s.parts;
        for (let j = 0; j < parts.length; j++) {
          const p = parts[j]!;
          if (kind[p] !== NUM) {
            all = false;
            break;
          }
          total += values[p]!;
        }
        if (!all) continue;
        const diff = values[s.total]! - total;
        if (diff > s.tolerance || diff < -s.tolerance) {
          bad |= 16;
          this.flag("sum", row, s.total, `${s.name}: parts add up to ${Math.round(total * 100) / 100} (off by ${Math.round(diff * 100) / 100})`);
        }
      }
    }
    // Plain sums: in another order of the rows they differ in the last bits only (about 1e-10
    // relative over a million rows), far inside the KPI tolerance.
    const sumIdx = this.sumIdx;
    const sums = this.sums;
    for (let j = 0; j < sumIdx.length; j++) {
      const i = sumIdx[j]!;
      if (i >= 0 && kind[i] === NUM) sums[j] = sums[j]! + values[i]!;
    }
    if (bad !== 0) {
      this.rowsFailing++;
      if (bad & 1) this.tallies["not-null"].rows++;
      if (bad & 2) this.tallies.type.rows++;
      if (bad & 4) this.tallies["unique-key"].rows++;
      if (bad & 8) this.tallies["non-negative"].rows++;
      if (bad & 16) this.tallies.sum.rows++;
    }
  }

  result(): RowScan {
    const nullsByColumn = Object.fromEntries(this.cols.map((c, i) => [c, this.nulls[i] ?? 0]));
    return {
      columns: this.cols,
      missingColumns: this.missingColumns,
      missingRuleColumns: this.missingRuleColumns,
      rowsChecked: this.rowsChecked,
      rowsFailing: this.rowsFailing,
      rules: this.tallies,
      nullsByColumn,
      totalNulls: this.nulls.reduce((a, b) => a + b, 0),
      duplicateRows: this.duplicateRows,
      duplicateKeyExamples: [...this.dupExamples],
      distinctKeys: this.keys.size,
      keySet: `${this.keys.size}:${hex8(this.keyLanes[0]!)}${hex8(this.keyLanes[1]!)}`,
      checksums: Object.fromEntries(this.cols.map((c, i) => [c, hex8(this.csA[i]!) + hex8(this.csB[i]!)])),
      sums: Object.fromEntries(this.cfg.sumColumns.map((c, k) => [c, this.sumIdx[k]! >= 0 ? this.sums[k]! : Number.NaN])),
    };
  }
}

/** Where the CSV reader hands rows: the header, then each row as bytes or (quoted rows) strings. */
export interface CsvSink {
  header(cells: string[]): void;
  bytes(buf: Buffer, starts: Int32Array, ends: Int32Array): void;
  strings(cells: string[]): void;
  /** Optional: a whole line, bytes [s, e), split and checked by the sink itself (RowChecker.checkLine); false: it has a quote, split it. */
  line?(buf: Buffer, s: number, e: number, delimiter: number): boolean;
}

/** A RowChecker behind a CsvSink, made when the header arrives. */
export function checkerSink(rules: RowRulesConfig, expectedRows: () => number): CsvSink & { checker(): RowChecker } {
  let c: RowChecker | null = null;
  return {
    header: (cells) => void (c = new RowChecker(cells, rules, expectedRows())),
    bytes: (buf, s, e) => c!.checkBytes(buf, s, e),
    line: (buf, s, e, d) => c!.checkLine(buf, s, e, d),
    strings: (cells) => c!.check(cells),
    checker: () => c ?? new RowChecker([], rules),
  };
}

/**
 * The CSV fast path, synchronous: push Buffers (any split), then end(). Each complete line's
 * fields go to the sink as byte ranges (a line with fewer fields than the header: the missing
 * ones start at -1); a line with a double quote is decoded and split by the RFC 4180 parser
 * (quoted delimiters, doubled quotes, line breaks inside quotes). A BOM, CRLF and blank lines are
 * accepted. `header`: the columns, when the data has no header line (PostgreSQL's COPY).
 */
export function csvScanner(delimiter: string, sink: CsvSink, header?: string[]): { push(chunk: Buffer): void; end(): void; rows(): number } {
  if (Buffer.byteLength(delimiter) !== 1) throw new Error(`CSV delimiter must be one byte, got ${JSON.stringify(delimiter)}`);
  const d = Buffer.from(delimiter)[0]!;
  let starts: Int32Array = new Int32Array(64);
  let ends: Int32Array = new Int32Array(64);
  let width = -1; // the header's field count
  let rows = 0;
  if (header) {
    width = header.length;
    sink.header(header);
    if (starts.length < width) ({ starts, ends } = grow(starts, ends, width));
  }
  const emitQuoted = (buf: Buffer, s: number, e: number) => {
    const cells = splitQuoted(buf.toString("utf8", s, e), delimiter);
    if (width < 0) {
      width = cells.length;
      sink.header(cells);
    } else {
      rows++;
      sink.strings(cells);
    }
  };
  /** Hands every complete line of buf from `pos` on; returns where the unfinished last line starts (or buf.length). */
  const scanLines = (buf: Buffer, pos: number): number => {
    const len = buf.length;
    const line = sink.line;
    outer: while (pos < len) {
      const lineStart = pos;
      if (line !== undefined && width >= 0) {
        // the fast path: the line's end (memchr), then the sink splits and checks it in one pass
        const nl = buf.indexOf(10, pos);
        if (nl < 0) return lineStart;
        let e = nl;
        if (e > pos && buf[e - 1] === 13) e--;
        if (e === pos) {
          pos = nl + 1; // a blank line
          continue;
        }
        if (sink.line!(buf, pos, e, d)) {
          rows++;
          pos = nl + 1;
          continue;
        }
        // a quote: the general path below, from the line's start
      }
      let f = 0;
      let fs = pos;
      for (; pos < len; pos++) {
        const b = buf[pos]!;
        if (b === d) {
          if (f >= starts.length) ({ starts, ends } = grow(starts, ends));
          starts[f] = fs;
          ends[f++] = pos;
          fs = pos + 1;
        } else if (b === 10) break;
        else if (b === 34) {
          // a quoted field: the record ends at the first line end outside quotes
          let q = false;
          let p = lineStart;
          for (; p < len; p++) {
            const c = buf[p]!;
            if (c === 34) q = !q;
            else if (c === 10 && !q) break;
          }
          if (p >= len) return lineStart;
          emitQuoted(buf, lineStart, p > lineStart && buf[p - 1] === 13 ? p - 1 : p);
          pos = p + 1;
          continue outer;
        }
      }
      if (pos >= len) return lineStart;
      let e = pos;
      if (e > lineStart && buf[e - 1] === 13) e--;
      pos++;
      if (e === lineStart) continue; // a blank line
      if (f >= starts.length) ({ starts, ends } = grow(starts, ends));
      starts[f] = fs;
      ends[f++] = Math.max(fs, e);
      if (width < 0) {
        width = f;
        const cells: string[] = [];
        for (let i = 0; i < f; i++) cells.push(buf.toString("utf8", starts[i]!, ends[i]!));
        sink.header(cells);
        if (starts.length < width) ({ starts, ends } = grow(starts, ends, width));
        continue;
      }
      for (let i = f; i < width; i++) starts[i] = -1;
      rows++;
      sink.bytes(buf, starts, ends);
    }
    return len;
  };
  let leftover: Buffer | null = null;
  let first = !header;
  return {
    push(chunk: Buffer) {
      let buf = chunk;
      let start = 0;
      if (leftover) {
        // Join only the unfinished line with the start of this chunk, not the whole chunk (unless
        // it has a quote: its record may run over several lines).
        const nl = leftover.includes(34) ? -1 : chunk.indexOf(10);
        if (nl < 0) buf = Buffer.concat([leftover, chunk]);
        else {
          scanLines(Buffer.concat([leftover, chunk.subarray(0, nl + 1)]), 0);
          start = nl + 1;
        }
        leftover = null;
      }
      if (first) {
        if (buf.length < 3) {
          leftover = Buffer.from(buf);
          return;
        }
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      const done = scanLines(buf, start);
      if (done < buf.length) leftover = Buffer.from(buf.subarray(done));
    },
    end() {
      if (leftover && leftover.length) {
        // the last line, without a line end
        const done = scanLines(Buffer.concat([leftover, Buffer.from("\n")]), 0);
        if (done < leftover.length) throw new Error("unterminated quoted field at the end of the file");
      }
      leftover = null;
    },
    rows: () => rows,
  };
}

/**
 * csvScanner over a stream (a file, a blob download); `onChunk` sees every raw chunk (to hash it);
 * `header`: the columns, when the data has no header line.
 */
export async function scanCsv(source: AsyncIterable<Buffer | string>, delimiter: string, sink: CsvSink, onChunk?: (chunk: Buffer) => void, header?: string[]): Promise<{ bytes: number; rows: number }> {
  if (Buffer.byteLength(delimiter) !== 1) {
    // a multi-byte delimiter: the string path
    let first = !header;
    let rows = 0;
    if (header) sink.header(header);
    const r = await streamCsv(
      source,
      delimiter,
      (cells) => {
        if (first) {
          first = false;
          sink.header(cells);
        } else {
          rows++;
          sink.strings(cells);
        }
      },
      onChunk,
    );
    return { bytes: r.bytes, rows };
  }
  const scanner = csvScanner(delimiter, sink, header);
  let bytes = 0;
  for await (const raw of source) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    bytes += chunk.length;
    onChunk?.(chunk);
    scanner.push(chunk);
  }
  scanner.end();
  return { bytes, rows: scanner.rows() };
}

function grow(starts: Int32Array, ends: Int32Array, min = 0): { starts: Int32Array; ends: Int32Array } {
  const size = Math.max(min, starts.length * 2);
  const s: Int32Array = new Int32Array(size);
  const e: Int32Array = new Int32Array(size);
  s.set(starts);
  e.set(ends);
  return { starts: s, ends: e };
}

/**
 * Streams CSV text (Buffers or strings) into `onRow`, the header first: a line without a quote
 * is split on the delimiter (the fast path), one with a quote goes through an RFC 4180 parser
 * (quoted delimiters, doubled quotes, line breaks inside quotes). A BOM, CRLF and blank lines are
 * accepted. `onChunk` sees every raw chunk (to hash the file while it is read).
 */
export async function streamCsv(
  source: AsyncIterable<Buffer | string>,
  delimiter: string,
  onRow: (cells: string[]) => void,
  onChunk?: (chunk: Buffer) => void,
): Promise<{ bytes: number; rows: number }> {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let pending: string | null = null;
  let first = true;
  let bytes = 0;
  let rows = 0;
  const line = (l: string) => {
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) l = l.slice(0, -1);
    if (pending !== null) {
      pending += "\n" + l;
      if (!balanced(pending)) return;
      l = pending;
      pending = null;
    } else if (l.length === 0) return;
    else if (l.indexOf('"') >= 0 && !balanced(l)) {
      pending = l;
      return;
    }
    if (first) {
      first = false;
      if (l.charCodeAt(0) === 0xfeff) l = l.slice(1);
    }
    rows++;
    onRow(l.indexOf('"') >= 0 ? splitQuoted(l, delimiter) : l.split(delimiter));
  };
  for await (const raw of source) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    bytes += chunk.length;
    onChunk?.(chunk);
    const text = carry + decoder.write(chunk);
    const last = text.lastIndexOf("\n");
    if (last < 0) {
      carry = text;
      continue;
    }
    carry = text.slice(last + 1);
    const body = text.slice(0, last);
    let from = 0;
    for (;;) {
      const nl = body.indexOf("\n", from);
      if (nl < 0) {
        line(body.slice(from));
        break;
      }
      line(body.slice(from, nl));
      from = nl + 1;
    }
  }
  carry += decoder.end();
  if (carry.length) line(carry);
  if (pending !== null) throw new Error("unterminated quoted field at the end of the file");
  return { bytes, rows: Math.max(0, rows - 1) };
}

function balanced(s: string): boolean {
  let q = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) q++;
  return q % 2 === 0;
}

function splitQuoted(l: string, d: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQ = false;
  for (let i = 0; i < l.length; i++) {
    const ch = l[i]!;
    if (inQ) {
      if (ch === '"') {
        if (l[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQ = false;
      } else cur += ch;
    } else if (ch === '"') inQ = true;
    else if (l.startsWith(d, i)) {
      out.push(cur);
      cur = "";
      i += d.length - 1;
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
