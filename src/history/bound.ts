/**
 * What the monitor stores is bounded, whatever the target sends: a 50 MB health body or a 10 MB
 * log line must not go whole into checkpoints.jsonl, monitoring_events.log or an Allure
 * attachment (the history then grows past what a checkpoint can read, and a full disk tears it).
 * Every cut leaves a note saying what was cut, so the record never pretends to be whole.
 */

/** Longest string stored (UTF-8 bytes): enough for a sample line, a stack, a body excerpt. */
export const MAX_STORED_STRING_BYTES = 4096;
/** Sample lines kept per list (log samples, command output, issues). */
export const MAX_SAMPLE_LINES = 20;

export interface BoundOptions {
  /** Longest string, in UTF-8 bytes (default 4096). */
  maxString?: number;
  /** Longest list of sample lines: strings, or objects with a string `line` (default 20). */
  maxSampleLines?: number;
  /** Longest other array (default 1000). */
  maxItems?: number;
  /** Most keys of one object (default 1000). */
  maxKeys?: number;
  /** Deepest nesting kept (default 16). */
  maxDepth?: number;
}

/**
 * A copy of `value` fit for storage, as JSON.stringify would see it (toJSON applied), with
 * every string longer than `maxString` cut to it plus "…[cut N bytes]", lists of sample lines
 * cut to `maxSampleLines` plus a note element ("…[cut N more lines]"), other arrays to
 * `maxItems` ("…[cut N items]"), objects to `maxKeys` (key "…": "[cut N keys]") and anything
 * nested deeper than `maxDepth` replaced by a note. The input is never changed: the caller
 * still prints the whole record on the dashboard after storing it.
 */
export function boundForStorage<T>(value: T, options: BoundOptions = {}): T {
  const o = {
    maxString: options.maxString ?? MAX_STORED_STRING_BYTES,
    maxSampleLines: options.maxSampleLines ?? MAX_SAMPLE_LINES,
    maxItems: options.maxItems ?? 1000,
    maxKeys: options.maxKeys ?? 1000,
    maxDepth: options.maxDepth ?? 16,
  };
  return bound(value, o, 0) as T;
}

function bound(value: unknown, o: Required<BoundOptions>, depth: number): unknown {
  if (typeof value === "string") return cutString(value, o.maxString);
  if (value === null || typeof value !== "object") return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === "function") return bound(json.call(value), o, depth);
  if (depth >= o.maxDepth) return `…[cut: nested deeper than ${o.maxDepth}]`;
  if (Array.isArray(value)) {
    const sample = isSampleLines(value);
    const max = sample ? o.maxSampleLines : o.maxItems;
    const kept = value.slice(0, max).map((v) => bound(v, o, depth + 1));
    const cut = value.length - kept.length;
    if (cut > 0) {
      if (!sample) kept.push(`…[cut ${cut} items]`);
      else kept.push(typeof value[0] === "string" ? `…[cut ${cut} more lines]` : { line: `…[cut ${cut} more lines]` });
    }
    return kept;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (const k of keys.slice(0, o.maxKeys)) out[k] = bound((value as Record<string, unknown>)[k], o, depth + 1);
  if (keys.length > o.maxKeys) out["…"] = `[cut ${keys.length - o.maxKeys} keys]`;
  return out;
}

/** Lines of text: every element a string, or an object carrying a string `line` (log samples, command output). */
function isSampleLines(a: unknown[]): boolean {
  return a.length > 0 && a.every((v) => typeof v === "string" || (v !== null && typeof v === "object" && typeof (v as { line?: unknown }).line === "string"));
}

/** `s` cut to at most `maxBytes` UTF-8 bytes on a character boundary, with a note of the bytes cut. */
export function cutString(s: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no byte count.
  if (s.length * 3 <= maxBytes) return s;
  const total = Buffer.byteLength(s, "utf8");
  if (total <= maxBytes) return s;
  const kept = utf8Prefix(s, maxBytes);
  return `${kept.text}…[cut ${total - kept.bytes} bytes]`;
}

/** The longest prefix of `s` that fits in `maxBytes` UTF-8 bytes, never splitting a character. */
export function utf8Prefix(s: string, maxBytes: number): { text: string; bytes: number } {
  let head = s.slice(0, maxBytes);
  // Do not leave half of a surrogate pair at the end.
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const buf = Buffer.from(head, "utf8");
  if (buf.length <= maxBytes) return { text: head, bytes: buf.length };
  let end = maxBytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // back to the start of the cut character
  return { text: buf.subarray(0, end).toString("utf8"), bytes: end };
}

/** Copies smaller than this are left where they are: a pointer would save little. */
const MIN_SHARED_JSON = 128;
/** Fields other code reads back from the history (src/checkpoint/run-checkpoint.ts, bench/): never replaced. */
const READ_BACK_METRICS = new Set(["memory_samples", "timings_ms"]);

/**
 * Evidence stored once per record: a value under an `evidence` key, or a field of `metrics`,
 * that repeats a value (128 bytes of JSON or more) stored earlier in the same record becomes
 * `{ "sameAs": "<dot path of the first copy>" }` (e.g. the cutover's output under two checks,
 * the error-rate window under its check and in `metrics`). Changes `record` in place: pass a
 * copy (boundForStorage returns one).
 */
export function storeOnce<T>(record: T): T {
  const seen = new Map<string, string>();
  const visit = (value: unknown, path: string[], replaceable: boolean): unknown => {
    if (value === null || typeof value !== "object") return value;
    const json = JSON.stringify(value);
    if (json !== undefined && json.length >= MIN_SHARED_JSON) {
      const first = seen.get(json);
      if (first !== undefined && replaceable) return { sameAs: first };
      if (first === undefined) seen.set(json, path.join("."));
    }
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [k, v] of entries) {
      const inMetrics = path.length === 1 && path[0] === "metrics";
      const childReplaceable = replaceable || k === "evidence" || (inMetrics && !READ_BACK_METRICS.has(k));
      const next = visit(v, [...path, k], inMetrics && READ_BACK_METRICS.has(k) ? false : childReplaceable);
      if (next !== v) (value as Record<string, unknown>)[k] = next;
    }
    return value;
  };
  return visit(record, [], false) as T;
}
