/** Shared plumbing of the reference pipeline: locations, log lines, files, pids. */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI_PATH = path.join(PROJECT_ROOT, "pipeline", "cli.ts");
export const TSX_LOADER = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "loader.mjs");
export const DEFAULT_PORT = 8787;
export const DEFAULT_INTERVAL_S = 30;
export const DEFAULT_INPUT_ROWS = 10_000;
export const DEFAULT_INPUT_SEED = 42;

export type Version = "v1" | "v2";

/** State directory: --dir > PIPELINE_DIR > .pipeline/ (relative to the cwd). Always absolute. */
export function resolveDir(flag?: string): string {
  return path.resolve(flag ?? process.env.PIPELINE_DIR ?? ".pipeline");
}

/**
 * Port: --port > PIPELINE_PORT > the port the service of this state dir recorded in
 * `service.json` > 8787.
 */
export function resolvePort(dir: string, flag?: string): number {
  const raw = flag ?? process.env.PIPELINE_PORT;
  if (raw !== undefined && raw !== "") return parsePort(raw);
  const svc = readJson<{ port?: number }>(path.join(dir, "service.json"));
  if (svc && typeof svc.port === "number") return svc.port;
  return DEFAULT_PORT;
}

export function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`invalid port "${raw}" (expected 1-65535)`);
  return n;
}

export class UsageError extends Error {}

export function paths(dir: string) {
  return {
    dir,
    pid: path.join(dir, "pipeline.pid"),
    /** pid of the supervisor (`start --supervise`); absent when the service is not supervised. */
    supervisorPid: path.join(dir, "supervisor.pid"),
    service: path.join(dir, "service.json"),
    active: path.join(dir, "config", "active.json"),
    faults: path.join(dir, "faults.json"),
    defaultInput: path.join(dir, "input", "loans-10k.csv"),
    logs: path.join(dir, "logs"),
    log: path.join(dir, "logs", "pipeline.log"),
    serveOut: path.join(dir, "logs", "serve.out"),
    runs: path.join(dir, "logs", "runs"),
    outputs: path.join(dir, "outputs"),
    kpis: path.join(dir, "outputs", "kpis.json"),
    processed: path.join(dir, "outputs", "loans_processed.csv"),
    auditDb: path.join(dir, "audit", "audit.db"),
    validationReport: path.join(dir, "production_validation_report.json"),
    rollback: path.join(dir, "rollback"),
    junit: path.join(dir, "reports", "junit.xml"),
  };
}
export type Paths = ReturnType<typeof paths>;

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Write via a temp file and rename, so readers never see half a file. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** YYYYMMDD_HHMMSS in UTC. */
export function stamp(d = new Date()): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

export interface ActiveConfig {
  version: Version;
  activated_at: string;
}

export function readActive(p: Paths): ActiveConfig {
  const a = readJson<ActiveConfig>(p.active);
  if (a && (a.version === "v1" || a.version === "v2")) return a;
  return { version: "v1", activated_at: new Date(0).toISOString() };
}

export function writeActive(p: Paths, version: Version): ActiveConfig {
  const cfg: ActiveConfig = { version, activated_at: new Date().toISOString() };
  writeJsonAtomic(p.active, cfg);
  return cfg;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readPid(p: Paths, file: string = p.pid): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value or the timeout passes (then undefined). */
export async function pollUntil<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* keep polling */
    }
    if (Date.now() >= end) return undefined;
    await sleep(everyMs);
  }
}

export interface Health {
  status: "ok" | "degraded";
  version: Version;
  pid: number;
  started_at: string;
  uptime_s: number;
  last_run: { run_id: string; result: "success" | "failure"; finished_at: string; error?: string } | null;
  faults: string[];
}

/** GET /health with a timeout; undefined when not reachable. */
export async function fetchHealth(port: number, timeoutMs = 2000): Promise<Health | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return (await res.json()) as Health;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- log lines

export type Level = "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL";

function fmtValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s;
}

/** `<ISO8601> [<LEVEL>] <component>: <message> key=value ...` appended to logs/pipeline.log. */
export class Logger {
  constructor(
    private file: string,
    private echo = false,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  line(level: Level, component: string, message: string, kv: Record<string, unknown> = {}): string {
    const parts = Object.entries(kv)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${fmtValue(v)}`);
    const oneLine = message.replace(/[\r\n]+/g, " ");
    return `${new Date().toISOString()} [${level}] ${component}: ${oneLine}${parts.length ? " " + parts.join(" ") : ""}`;
  }
  log(level: Level, component: string, message: string, kv?: Record<string, unknown>): void {
    const l = this.line(level, component, message, kv);
    fs.appendFileSync(this.file, l + "\n");
    if (this.echo) process.stdout.write(l + "\n");
  }
  info(c: string, m: string, kv?: Record<string, unknown>) {
    this.log("INFO", c, m, kv);
  }
  warn(c: string, m: string, kv?: Record<string, unknown>) {
    this.log("WARN", c, m, kv);
  }
  error(c: string, m: string, kv?: Record<string, unknown>) {
    this.log("ERROR", c, m, kv);
  }
  debug(c: string, m: string, kv?: Record<string, unknown>) {
    this.log("DEBUG", c, m, kv);
  }
}

export function errMsg(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}
