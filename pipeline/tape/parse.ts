/**
 * Loan tape I/O: CSV text or JSON rows -> columnar LoanTape, and back.
 *
 * Why a hand parser and not csv-parse/sync: the tape is a flat, numeric, 9-column file and the
 * benchmark asks for parse throughput on 10-100 MB; csv-parse/sync builds an array of string
 * arrays for the whole file (every row an object graph) before we can convert a cell, and runs a
 * byte-level state machine for every character. This parser splits unquoted lines with
 * `String#split` (native) and falls back to an RFC 4180 state machine only for lines that
 * contain a double quote, writing straight into growing Float64Arrays. `bench/engine.ts`
 * measures both on the same text (see "csv_parse_lib_mb_per_s" in its output).
 *
 * Behaviour (the contract the service, the validation script and the tests rely on):
 * - header required, columns found by name (any order); extra columns are ignored;
 *   a UTF-8 BOM, CRLF line ends, surrounding spaces in header names and cells are accepted;
 *   blank lines are skipped; quoted fields ("a,b", "say ""hi""", multi-line) are accepted.
 * - empty file (0 bytes or only whitespace)                 -> TapeError EMPTY
 * - header only (0 data rows)                               -> a valid tape with rows = 0;
 *   the engines then return every KPI as 0 with reason "empty input: 0 rows" (not an error:
 *   an empty batch is a fact to report, not a malformed file)
 * - a required column absent from the header                -> TapeError MISSING_COLUMN
 * - the same column twice in the header                     -> TapeError DUPLICATE_COLUMN
 * - a row with more or fewer fields than the header         -> TapeError FIELD_COUNT
 * - an unterminated quoted field                            -> TapeError UNTERMINATED_QUOTE
 * - an empty cell, or the text null/NULL, in any column      -> TapeError NULL_VALUE
 *   (a null amount would silently shrink a sum; nulls are a data-quality failure, and the
 *   monitor treats them as critical, so the engine refuses them rather than guessing 0)
 * - a non-numeric amount ('abc', '1,5', '0x10', 'NaN', 'Infinity', '1e999')
 *                                                           -> TapeError NOT_NUMERIC
 * - a negative amount (-0 is accepted as 0)                 -> TapeError NEGATIVE_AMOUNT
 * - not checked here: duplicate loan_id, buckets summing to total_receivable (data-integrity
 *   checks of the outputs belong to the validation step).
 * The first bad cell stops parsing; the message is one line naming the line (CSV, 1-based,
 * the header is line 1) or row (JSON, 1-based) and the column.
 */
import { TAPE_COLUMNS, type LoanRow, type LoanTape, type NumericColumn } from "../kpi/types.ts";

export type TapeErrorCode =
  | "EMPTY"
  | "MISSING_COLUMN"
  | "DUPLICATE_COLUMN"
  | "FIELD_COUNT"
  | "UNTERMINATED_QUOTE"
  | "NULL_VALUE"
  | "NOT_NUMERIC"
  | "NEGATIVE_AMOUNT"
  | "NOT_ARRAY"
  | "NOT_OBJECT";

export class TapeError extends Error {
  override name = "TapeError";
  readonly code: TapeErrorCode;
  /** CSV: physical line (1-based, header = 1). */
  readonly line?: number;
  /** JSON rows: index in the array (1-based). */
  readonly row?: number;
  readonly column?: string;
  constructor(code: TapeErrorCode, message: string, where: { line?: number; row?: number; column?: string } = {}) {
    super(message);
    this.code = code;
    if (where.line !== undefined) this.line = where.line;
    if (where.row !== undefined) this.row = where.row;
    if (where.column !== undefined) this.column = where.column;
  }
}

export const NUMERIC_COLUMNS = TAPE_COLUMNS.slice(1) as readonly NumericColumn[];
export const TAPE_HEADER = TAPE_COLUMNS.join(",");

// 1e0 .. 1e22: all exactly representable doubles (parsed from text, so exact by construction)
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const NUMBER_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function show(s: string): string {
  const t = s.length > 40 ? `${s.slice(0, 37)}...` : s;
  return `'${t.replace(/[\r\n]+/g, " ")}'`;
}

/** Where a cell is, for messages: "line 17" (CSV) or "row 3" (JSON). */
interface Where {
  line?: number;
  row?: number;
}
function at(w: Where, column: string): string {
  return `${w.line !== undefined ? `line ${w.line}` : `row ${w.row}`}, column ${column}`;
}

/** Parse one amount cell (CSV text or a JSON string). */
function parseAmount(s: string, w: Where, column: string): number {
  if (NUMBER_RE.test(s)) {
    const v = +s;
    if (v === Infinity) throw new TapeError("NOT_NUMERIC", `${at(w, column)}: ${show(s)} is not a finite number`, { ...w, column });
    if (v < 0) throw new TapeError("NEGATIVE_AMOUNT", `${at(w, column)}: ${show(s)} is negative (amounts must be >= 0)`, { ...w, column });
    return v;
  }
  return badCell(s, w, column);
}

function badCell(s: string, w: Where, column: string): never {
  const t = s.trim();
  if (t === "" || t.toLowerCase() === "null")
    throw new TapeError("NULL_VALUE", `${at(w, column)}: empty value (null) is not allowed`, { ...w, column });
  throw new TapeError("NOT_NUMERIC", `${at(w, column)}: ${show(s)} is not a number`, { ...w, column });
}

function parseAmountValue(v: unknown, w: Where, column: string): number {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TapeError("NOT_NUMERIC", `${at(w, column)}: ${String(v)} is not a finite number`, { ...w, column });
    if (v < 0) throw new TapeError("NEGATIVE_AMOUNT", `${at(w, column)}: ${v} is negative (amounts must be >= 0)`, { ...w, column });
    return v;
  }
  if (typeof v === "string") return parseAmount(v, w, column);
  if (v === null || v === undefined)
    throw new TapeError("NULL_VALUE", `${at(w, column)}: empty value (null) is not allowed`, { ...w, column });
  throw new TapeError("NOT_NUMERIC", `${at(w, column)}: ${show(JSON.stringify(v) ?? String(v))} is not a number`, { ...w, column });
}

/** Growable columnar builder. */
class TapeBuilder {
  rows = 0;
  private cap: number;
  loanIds: string[] = [];
  cols: Float64Array[];
  constructor(capacity: number) {
    this.cap = Math.max(16, capacity);
    this.cols = NUMERIC_COLUMNS.map(() => new Float64Array(this.cap));
  }
  grow(): void {
    this.cap *= 2;
    this.cols = this.cols.map((old) => {
      const a = new Float64Array(this.cap);
      a.set(old);
      return a;
    });
  }
  finish(): LoanTape {
    const columns = {} as Record<NumericColumn, Float64Array>;
    NUMERIC_COLUMNS.forEach((name, k) => {
      columns[name] = this.cols[k].length === this.rows ? this.cols[k] : this.cols[k].slice(0, this.rows);
    });
    return { rows: this.rows, loanIds: this.loanIds, columns };
  }
}

export function emptyTape(): LoanTape {
  return new TapeBuilder(0).finish();
}

/**
 * Parse a loan tape CSV. Throws TapeError on bad input (see the file comment).
 */
export function parseTapeCsv(text: string): LoanTape {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const len = text.length;
  if (/^\s*$/.test(text.slice(pos, pos + 4096)) && text.slice(pos).trim() === "")
    throw new TapeError("EMPTY", "line 1: empty file (no header, no rows)", { line: 1 });

  let line = 1; // physical line of the record being read
  let fields: string[] = [];

  /** Read one record starting at pos into `fields`; returns the number of physical lines it spans. */
  const readRecord = (): number => {
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = len;
    let end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const raw = text.slice(pos, end);
    if (raw.indexOf('"') === -1) {
      fields = raw.split(",");
      pos = nl + 1;
      return 1;
    }
    // RFC 4180 slow path: quoted fields, "" escapes, newlines inside quotes.
    fields = [];
    let spanned = 1;
    let i = pos;
    for (;;) {
      let field = "";
      // leading spaces before a quote are tolerated
      let j = i;
      while (j < len && text.charCodeAt(j) === 32) j++;
      if (text.charCodeAt(j) === 34) {
        i = j + 1;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q === -1) {
            throw new TapeError("UNTERMINATED_QUOTE", `line ${line}: unterminated quoted field`, { line });
          }
          const chunk = text.slice(i, q);
          for (let k = chunk.indexOf("\n"); k !== -1; k = chunk.indexOf("\n", k + 1)) spanned++;
          field += chunk;
          if (text.charCodeAt(q + 1) === 34) {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        // anything up to the delimiter after the closing quote (spaces) is dropped
        while (i < len && text.charCodeAt(i) !== 44 && text.charCodeAt(i) !== 10) i++;
      } else {
        let k = i;
        while (k < len && text.charCodeAt(k) !== 44 && text.charCodeAt(k) !== 10) k++;
        field = text.slice(i, k);
        if (k < len && text.charCodeAt(k) === 10 && field.charCodeAt(field.length - 1) === 13) field = field.slice(0, -1);
        i = k;
      }
      fields.push(field);
      if (i >= len) {
        pos = len + 1;
        return spanned;
      }
      if (text.charCodeAt(i) === 10) {
        pos = i + 1;
        return spanned;
      }
      i++; // comma
      if (i >= len) {
        fields.push("");
        pos = len + 1;
        return spanned;
      }
    }
  };

  // header (skip leading blank lines)
  for (;;) {
    const span = readRecord();
    if (!(fields.length === 1 && fields[0].trim() === "")) break;
    line += span;
  }
  const headerLine = line;
  line += 1;
  const header = fields.map((h) => h.trim());
  const index = new Map<string, number>();
  header.forEach((h, k) => {
    if (index.has(h) && (TAPE_COLUMNS as readonly string[]).includes(h))
      throw new TapeError("DUPLICATE_COLUMN", `line ${headerLine}, column ${h}: appears twice in the header`, { line: headerLine, column: h });
    if (!index.has(h)) index.set(h, k);
  });
  const missing = TAPE_COLUMNS.filter((c) => !index.has(c));
  if (missing.length > 0)
    throw new TapeError(
      "MISSING_COLUMN",
      `line ${headerLine}, column ${missing[0]}: missing from the header${missing.length > 1 ? ` (also missing: ${missing.slice(1).join(", ")})` : ""}`,
      { line: headerLine, column: missing[0] },
    );
  const width = header.length;
  const idIdx = index.get("loan_id")!;
  const numIdx = NUMERIC_COLUMNS.map((c) => index.get(c)!);
  const nCols = numIdx.length;

  const nextNl = text.indexOf("\n", pos);
  const dataLineLen = Math.max(16, (nextNl === -1 ? len : nextNl) - pos + 1);
  const b = new TapeBuilder(Math.ceil((len / dataLineLen) * 1.1) + 16);
  let cols = b.cols;
  const where: Where = { line: 0 };
  // field index -> numeric column k (0..7), -1 for loan_id, -2 ignored
  const target = new Int32Array(width).fill(-2);
  target[idIdx] = -1;
  numIdx.forEach((f, k) => (target[f] = k));

  /** General path for one record: quotes, spaces, exponents, and every error with its code. */
  const slowRecord = (): void => {
    const span = readRecord();
    const thisLine = line;
    line += span;
    if (fields.length === 1) {
      const f = fields[0];
      if (f.length === 0 || f.trim() === "") return; // blank line
    }
    if (fields.length !== width)
      throw new TapeError("FIELD_COUNT", `line ${thisLine}: expected ${width} fields as in the header, found ${fields.length}`, { line: thisLine });
    const r = b.rows;
    if (r === cols[0].length) {
      b.grow();
      cols = b.cols;
    }
    const id = fields[idIdx].trim();
    if (id === "" || id.toLowerCase() === "null")
      throw new TapeError("NULL_VALUE", `line ${thisLine}, column loan_id: empty value (null) is not allowed`, { line: thisLine, column: "loan_id" });
    where.line = thisLine;
    for (let k = 0; k < nCols; k++) cols[k][r] = parseAmount(fields[numIdx[k]], where, NUMERIC_COLUMNS[k]);
    b.loanIds.push(id);
    b.rows = r + 1;
  };

  // Fast path: an unquoted line of plain decimals ("123", "45.67", at most 15 digits) is
  // scanned once, char by char, straight into the columns. m / 10^k with m < 2^53 and k <= 22
  // is correctly rounded (both operands exact, one IEEE division), so it equals Number(s)
  // bit for bit. Anything else on the line (quotes, spaces, signs, exponents, blanks, a wrong
  // field count, a bad cell) re-reads the line with slowRecord, which owns all error messages.
  let nextQuote = text.indexOf('"', pos);
  if (nextQuote === -1) nextQuote = len + 1;
  while (pos < len) {
    if (nextQuote < pos) {
      nextQuote = text.indexOf('"', pos);
      if (nextQuote === -1) nextQuote = len + 1;
    }
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = len;
    if (nextQuote < nl) {
      slowRecord();
      continue;
    }
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (end === pos) {
      pos = nl + 1;
      line++;
      continue;
    }
    const r = b.rows;
    if (r === cols[0].length) {
      b.grow();
      cols = b.cols;
    }
    let i = pos;
    let f = 0;
    let id = "";
    let fast = true;
    for (;;) {
      if (f >= width) {
        fast = false;
        break;
      }
      const t = target[f];
      if (t >= 0) {
        let m = 0;
        let digits = 0;
        let frac = 0;
        let dot = false;
        for (; i < end; i++) {
          const c = text.charCodeAt(i);
          if (c === 44) break;
          const d = c - 48;
          if (d >= 0 && d <= 9) {
            m = m * 10 + d;
            digits++;
            if (dot) frac++;
          } else if (c === 46 && !dot) dot = true;
          else {
            fast = false;
            break;
          }
        }
        if (!fast || digits === 0 || digits > 15) {
          fast = false;
          break;
        }
        cols[t][r] = frac === 0 ? m : m / POW10[frac];
      } else {
        let j = text.indexOf(",", i);
        if (j === -1 || j > end) j = end;
        if (t === -1) {
          id = text.slice(i, j);
          const n = id.length;
          if (n === 0 || id.charCodeAt(0) <= 32 || id.charCodeAt(n - 1) <= 32 || (n === 4 && id.toLowerCase() === "null")) {
            fast = false;
            break;
          }
        }
        i = j;
      }
      f++;
      if (i >= end) break;
      i++; // the comma
      if (i === end) {
        fast = false; // trailing comma: an empty last field
        break;
      }
    }
    if (fast && f === width) {
      b.loanIds.push(id);
      b.rows = r + 1;
      pos = nl + 1;
      line++;
    } else {
      slowRecord(); // pos is still at the start of this line
    }
  }
  return b.finish();
}

/**
 * Rows from a JSON body (an array of objects with the tape's keys; amounts as numbers or
 * numeric strings, loan_id as a string or number). Extra keys are ignored. [] is a valid,
 * empty tape. Throws TapeError naming "row N, column C" (N 1-based).
 */
export function tapeFromRows(rows: unknown[]): LoanTape {
  if (!Array.isArray(rows)) throw new TapeError("NOT_ARRAY", "body: expected an array of loan rows");
  const b = new TapeBuilder(rows.length);
  const cols = b.cols;
  const nCols = NUMERIC_COLUMNS.length;
  const where: Where = { row: 0 };
  for (let r = 0; r < rows.length; r++) {
    where.row = r + 1;
    const o = rows[r];
    if (o === null || typeof o !== "object" || Array.isArray(o))
      throw new TapeError("NOT_OBJECT", `row ${r + 1}: expected an object with the tape's columns`, { row: r + 1 });
    const rec = o as Record<string, unknown>;
    for (const c of TAPE_COLUMNS)
      if (!(c in rec)) throw new TapeError("MISSING_COLUMN", `row ${r + 1}, column ${c}: missing`, { row: r + 1, column: c });
    const id = rec.loan_id;
    if (typeof id === "number" && Number.isFinite(id)) b.loanIds.push(String(id));
    else if (typeof id === "string" && id.trim() !== "" && id.trim().toLowerCase() !== "null") b.loanIds.push(id.trim());
    else if (id === null || typeof id === "string")
      throw new TapeError("NULL_VALUE", `row ${r + 1}, column loan_id: empty value (null) is not allowed`, { row: r + 1, column: "loan_id" });
    else throw new TapeError("NOT_NUMERIC", `row ${r + 1}, column loan_id: expected a string`, { row: r + 1, column: "loan_id" });
    for (let k = 0; k < nCols; k++) cols[k][r] = parseAmountValue(rec[NUMERIC_COLUMNS[k]], where, NUMERIC_COLUMNS[k]);
    b.rows = r + 1;
  }
  return b.finish();
}

export function rowsFromTape(t: LoanTape): LoanRow[] {
  const out: LoanRow[] = new Array(t.rows);
  const c = t.columns;
  for (let i = 0; i < t.rows; i++) {
    out[i] = {
      loan_id: t.loanIds[i],
      total_receivable_usd: c.total_receivable_usd[i],
      dpd_0_7_usd: c.dpd_0_7_usd[i],
      dpd_7_30_usd: c.dpd_7_30_usd[i],
      dpd_30_60_usd: c.dpd_30_60_usd[i],
      dpd_60_90_usd: c.dpd_60_90_usd[i],
      dpd_90_plus_usd: c.dpd_90_plus_usd[i],
      cash_available_usd: c.cash_available_usd[i],
      total_eligible_usd: c.total_eligible_usd[i],
    };
  }
  return out;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with the header in TAPE_COLUMNS order, "\n" line ends, a final newline; numbers in
 *  JavaScript's shortest round-trip form, so parseTapeCsv(tapeToCsv(t)) reproduces t exactly. */
export function tapeToCsv(t: LoanTape): string {
  const c = NUMERIC_COLUMNS.map((n) => t.columns[n]);
  const lines: string[] = new Array(t.rows + 1);
  lines[0] = TAPE_HEADER;
  for (let i = 0; i < t.rows; i++) {
    lines[i + 1] = `${csvField(t.loanIds[i])},${c[0][i]},${c[1][i]},${c[2][i]},${c[3][i]},${c[4][i]},${c[5][i]},${c[6][i]},${c[7][i]}`;
  }
  return lines.join("\n") + "\n";
}
