/** Talking to a target: HTTP with timeouts, its commands (argv, no shell, timeout), globs and files, windows; shared by the probes and the rollback. */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  expandTargetPlaceholders,
  resolveTargetPath,
  type TargetConfig,
} from "../config/target.js";
import type { MeasurementWindow, ProbeResult, ProbeUnavailableKind } from "./probe.js";

/** A failure a probe classifies itself: "target" -> FAIL, "monitor" -> ERROR. */
export class ProbeError extends Error {
  constructor(
    readonly failure: ProbeUnavailableKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(oneLine(message), options);
    this.name = "ProbeError";
  }
}

export const targetFailure = (message: string, cause?: unknown) => new ProbeError("target", message, { cause });
export const monitorFailure = (message: string, cause?: unknown) => new ProbeError("monitor", message, { cause });
/** What the probe reads is not reachable from where the monitor runs, and the config says so: its checks are N/A. */
export const notApplicable = (message: string) => new ProbeError("notApplicable", message);

export function oneLine(s: string, max = 500): string {
  const line = s.replace(/\s*[\r\n]+\s*/g, " | ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Run a probe body: its value becomes `{ok: true}`, a ProbeError keeps its classification,
 * anything else thrown is a monitor defect ("monitor error: ..."), never a crash.
 */
export async function runProbe<T>(body: () => Promise<T>): Promise<ProbeResult<T>> {
  const t0 = performance.now();
  const elapsed = () => Math.round((performance.now() - t0) * 1000) / 1000;
  try {
    const data = await body();
    return { ok: true, data, durationMs: elapsed() };
  } catch (err) {
    if (err instanceof ProbeError) return { ok: false, failure: err.failure, message: err.message, durationMs: elapsed() };
    return { ok: false, failure: "monitor", message: oneLine(`monitor error: ${errorText(err)}`), durationMs: elapsed() };
  }
}

/**
 * The window a measurement read at `toMs` must cover: back by the longer of the minimum lookback
 * and the time since the previous checkpoint's reading (`previousMs`; ignored when unknown or not
 * before `toMs`). Without a previous reading: the minimum lookback.
 */
export function measurementWindow(toMs: number, previousMs: number | null | undefined, minLookbackSeconds: number, cutoverStartedAt?: string | null): MeasurementWindow {
  const lookbackMs = Math.max(0, minLookbackSeconds) * 1000;
  const prev = typeof previousMs === "number" && Number.isFinite(previousMs) && previousMs < toMs ? previousMs : null;
  // No earlier reading (the first checkpoint that measures this): the window reaches back to the
  // cutover start, so a first checkpoint never judges an empty window.
  const cutoverMs = cutoverStartedAt ? Date.parse(cutoverStartedAt) : Number.NaN;
  const first = prev === null && Number.isFinite(cutoverMs) && cutoverMs < toMs && toMs - cutoverMs > lookbackMs ? cutoverMs : null;
  const sincePrevious = prev !== null && toMs - prev > lookbackMs;
  const fromMs = sincePrevious ? prev! : first ?? toMs - lookbackMs;
  return {
    fromMs,
    toMs,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    seconds: Math.round(toMs - fromMs) / 1000,
    reason: sincePrevious ? "since previous checkpoint" : first !== null ? "since the cutover" : "minimum lookback",
    minLookbackSeconds,
    previousMs: prev,
  };
}

/** "2025-01-01T00:00:00.000Z - 2025-01-01T00:10:00.000Z (minimum lookback 600 s)": for messages. */
export function windowText(w: MeasurementWindow): string {
  const why = w.reason === "minimum lookback" ? `minimum lookback ${w.minLookbackSeconds} s` : w.reason === "since the cutover" ? `since the cutover, ${w.seconds} s` : `since the previous checkpoint, ${w.seconds} s`;
  return `${w.from} - ${w.to} (${why})`;
}

/** Read a dot path ("kpis.PAR30.value"; numeric segments index arrays). */
export function getPath(obj: unknown, dotPath: string): unknown {
  if (dotPath === "" || dotPath === ".") return obj;
  let cur: unknown = obj;
  for (const seg of dotPath.split(".")) {
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export function asNumber(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function asString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/* ------------------------------------------------------------------ HTTP */

/** The most of an answer the monitor reads: JSON /metrics and KPI bodies are tens of KB; more is a broken target. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Body text kept in evidence and messages (bytes). */
export const MAX_EVIDENCE_TEXT_BYTES = 4096;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body; for an error status over MAX_BODY_BYTES, its first MAX_BODY_BYTES (see truncated). */
  text: string;
  /** The body was longer than MAX_BODY_BYTES and reading stopped there (only ever for a non-2xx status). */
  truncated: boolean;
  /** End to end: request sent -> body fully read. */
  ms: number;
}

function describeFetchError(err: unknown): { timeout: boolean; text: string } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return { timeout: true, text: "" };
  const cause = e?.cause;
  if (cause?.message) return { timeout: false, text: cause.message };
  if (cause?.code) return { timeout: false, text: cause.code };
  return { timeout: false, text: e?.message ?? String(err) };
}

/**
 * One HTTP request with a hard timeout. No answer / timeout -> target failure
 * ("target unreachable: GET url: ..."). Any HTTP status is returned: the caller classifies it.
 * The body is read as a stream up to MAX_BODY_BYTES, never whole: a 2xx answer over it is a
 * target failure ("response body over N bytes"), since every caller parses it; an error answer
 * over it is returned cut (callers only quote it).
 */
export async function httpRequest(
  method: string,
  url: string,
  opts: { timeoutMs: number; body?: string | Buffer; headers?: Record<string, string> },
): Promise<HttpAnswer> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, {
      method,
      headers: opts.headers,
      body: typeof opts.body === "string" || opts.body === undefined ? opts.body : new Uint8Array(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const body = await readCapped(res, MAX_BODY_BYTES);
    const ok = res.status >= 200 && res.status < 300;
    if (body.truncated && ok) {
      throw targetFailure(`target answer too large: ${method} ${url}: HTTP ${res.status}, response body over ${MAX_BODY_BYTES} bytes (stopped reading)`);
    }
    return { status: res.status, headers: res.headers, text: body.text, truncated: body.truncated, ms: performance.now() - t0 };
  } catch (err) {
    if (err instanceof ProbeError) throw err;
    const d = describeFetchError(err);
    if (d.timeout) {
      throw targetFailure(`target timeout: ${method} ${url}: no answer within ${opts.timeoutMs} ms`, err);
    }
    throw targetFailure(`target unreachable: ${method} ${url}: ${d.text} (timeout ${opts.timeoutMs} ms)`, err);
  }
}

/**
 * Reads at most `max` bytes of the body, then cancels the stream (the rest is never downloaded);
 * an announced content-length over `max` is not read at all.
 */
async function readCapped(res: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  const announced = Number(res.headers.get("content-length") ?? Number.NaN);
  const ok = res.status >= 200 && res.status < 300;
  if (!res.body) return { text: "", truncated: false };
  if (ok && Number.isFinite(announced) && announced > max) {
    await res.body.cancel().catch(() => undefined);
    return { text: "", truncated: true };
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes + value.length > max) {
      chunks.push(value.subarray(0, max - bytes));
      bytes = max;
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    bytes += value.length;
  }
  return { text: Buffer.concat(chunks, bytes).toString("utf8"), truncated };
}

/**
 * Body text for a message or evidence: one line of at most `max` characters (120 by default,
 * MAX_EVIDENCE_TEXT_BYTES at most), with a note of how much was left out: "(… N bytes cut)".
 */
export function bodySnippet(text: string, max = 120): string {
  const limit = Math.min(max, MAX_EVIDENCE_TEXT_BYTES);
  // Only the head is looked at: a 1 MB body is not copied to show 120 characters of it.
  const head = text.length > limit ? text.slice(0, limit) : text;
  const cut = head.length < text.length ? Buffer.byteLength(text) - Buffer.byteLength(head) : 0;
  return cut > 0 ? `${oneLine(head, limit)}(… ${cut} bytes cut)` : oneLine(head, limit);
}

/** Parse a JSON body; over MAX_BODY_BYTES -> target failure, unparseable -> monitor failure naming the URL. */
export function parseJsonBody(text: string, what: string): unknown {
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw targetFailure(`${what}: response body over ${MAX_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw monitorFailure(`${what}: answer is not JSON (${errorText(err)}): ${bodySnippet(text)}`, err);
  }
}

/* ----------------------------------------------------------------- files */

function segmentRegex(seg: string): RegExp {
  const re = seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`);
}

/**
 * Files (or directories) matching a simple glob relative to baseDir: `*` and `?` within a
 * path segment (e.g. "logs/cutover_*.log", "logs/runs/*\/summary.json", "rollback/*").
 * Sorted newest (mtime) first.
 */
export async function globPaths(baseDir: string, pattern: string): Promise<{ path: string; mtimeMs: number; isDirectory: boolean }[]> {
  const segs = pattern.split("/").filter((s) => s !== "" && s !== ".");
  let current = [path.isAbsolute(pattern) ? "/" : path.resolve(baseDir)];
  for (const seg of segs) {
    const next: string[] = [];
    if (!/[*?]/.test(seg)) {
      for (const dir of current) next.push(path.join(dir, seg));
    } else {
      const re = segmentRegex(seg);
      for (const dir of current) {
        let names: string[];
        try {
          names = await fs.promises.readdir(dir);
        } catch {
          continue;
        }
        for (const n of names) if (re.test(n)) next.push(path.join(dir, n));
      }
    }
    current = next;
  }
  const out: { path: string; mtimeMs: number; isDirectory: boolean }[] = [];
  for (const p of current) {
    try {
      const st = await fs.promises.stat(p);
      out.push({ path: p, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() });
    } catch {
      /* vanished or never existed */
    }
  }
  out.sort((a, b) => b.mtimeMs - a.mtimeMs || b.path.localeCompare(a.path));
  return out;
}

export async function statOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fs.promises.stat(p);
  } catch {
    return null;
  }
}

/* -------------------------------------------------------------- commands */

export interface CommandSpec {
  command: string[];
  cwd: string | null;
  timeoutMs: number;
}

export interface CommandOutcome {
  argv: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  startedAtMs: number;
  stdout: string;
  stderr: string;
  lines: { stream: "stdout" | "stderr"; line: string }[];
}

/**
 * Run one of the target's commands: argv without a shell, hard timeout (SIGTERM, then SIGKILL
 * after 5 s). Its environment is target.commandEnv plus PATH, HOME, the locale, TZ and TMPDIR
 * (src/secrets.ts INHERITED_COMMAND_ENV), never the monitor's own: the alert channels' secrets stay
 * with the monitor. Its output is redacted as it is read (every line, stdout, stderr), so no sink
 * downstream sees a secret. A non-zero exit is returned, not thrown (the specs judge it); a
 * command that cannot start is a target failure.
 */
export async function runTargetCommand(
  target: TargetConfig,
  spec: CommandSpec,
  what: string,
  opts: { onLine?: (stream: "stdout" | "stderr", line: string) => void; onSpawn?: (pid: number) => void; keepLines?: number; now?: () => number } = {},
): Promise<CommandOutcome> {
  const argv = spec.command.map((a) => expandTargetPlaceholders(target, a));
  const { commandEnvironment, redactAll } = await import("../secrets.js");
  const configured: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.commandEnv)) configured[k] = expandTargetPlaceholders(target, v);
  const env = commandEnvironment(configured);
  const keep = opts.keepLines ?? 200;
  const lines: CommandOutcome["lines"] = [];
  const startedAtMs = (opts.now ?? Date.now)();
  const t0 = performance.now();
  // Loaded on first use: phases without commands (stability) do not pay for it.
  const { execa } = await import("execa");
  const child = execa(argv[0]!, argv.slice(1), {
    cwd: spec.cwd ? path.resolve(spec.cwd) : process.cwd(),
    env,
    extendEnv: false,
    timeout: spec.timeoutMs,
    forceKillAfterDelay: 5000,
    reject: false,
    stdin: "ignore",
    maxBuffer: 10_000_000,
  });
  if (child.pid) opts.onSpawn?.(child.pid);
  for (const stream of ["stdout", "stderr"] as const) {
    const s = child[stream];
    if (!s) continue;
    let rest = "";
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? "";
      for (const line of parts) emit(stream, line);
    });
    s.on("end", () => {
      if (rest !== "") emit(stream, rest);
      rest = "";
    });
  }
  function emit(stream: "stdout" | "stderr", raw: string) {
    const line = redactAll(raw);
    lines.push({ stream, line });
    if (lines.length > keep) lines.shift();
    try {
      opts.onLine?.(stream, line);
    } catch {
      /* a printing callback must not break the measurement */
    }
  }
  const result = await child;
  const durationMs = Math.round(performance.now() - t0);
  const r = result as typeof result & { code?: string; originalMessage?: string };
  if (r.failed && r.exitCode === undefined && !r.timedOut && !r.isTerminated) {
    throw targetFailure(redactAll(`${what} command could not start: ${argv.join(" ")}: ${r.code ?? ""} ${r.originalMessage ?? r.shortMessage ?? ""}`));
  }
  return {
    argv,
    exitCode: r.exitCode ?? null,
    timedOut: Boolean(r.timedOut),
    durationMs,
    startedAtMs,
    stdout: typeof r.stdout === "string" ? redactAll(r.stdout) : "",
    stderr: typeof r.stderr === "string" ? redactAll(r.stderr) : "",
    lines,
  };
}

export function tail(text: string, maxChars = 2000): string {
  return text.length > maxChars ? text.slice(text.length - maxChars) : text;
}

export { resolveTargetPath };
