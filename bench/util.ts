/** Small helpers shared by the bench parts: statistics, machine facts, processes, ports. */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
export const sig4 = (x: number) => Number(x.toPrecision(4));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export interface Machine {
  cpu: string;
  cores: number;
  memory_gb: number;
  node: string;
  platform: string;
  date: string;
  load_avg_at_start: number[];
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux: keep os.cpus() */
  }
  return {
    cpu,
    cores: os.cpus().length,
    memory_gb: round(os.totalmem() / 1073741824, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    load_avg_at_start: os.loadavg().map((x) => round(x, 2)),
  };
}

// The same helpers the tests use to find a free port and to check a pid.
import { alive, freePort } from "../test/support/pipeline-harness.ts";
export { alive, freePort };

/** SIGTERM this pid, SIGKILL after graceMs. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const end = Date.now() + graceMs;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

export interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** From spawn to the first byte on stdout (null when nothing was printed). */
  firstStdoutMs: number | null;
  timedOut: boolean;
}

/** Run a command to completion, timing it; onSpawn gets the pid (for memory sampling). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let firstStdoutMs: number | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 120_000);
    child.stdout.on("data", (d: Buffer) => {
      if (firstStdoutMs === null) firstStdoutMs = performance.now() - t0;
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallMs: performance.now() - t0, firstStdoutMs, timedOut });
    });
  });
}

export interface Pipeline {
  pid: number;
  port: number;
  dir: string;
  url: string;
  startMs: number;
}

/** Start the reference pipeline through its CLI (`start` returns after the first run). */
export async function startPipeline(dir: string, args: string[]): Promise<Pipeline> {
  const port = await freePort();
  const r = await run(TSX, ["pipeline/cli.ts", "start", "--dir", dir, "--port", String(port), ...args], { timeoutMs: 60_000 });
  const m = /url=(\S+) pid=(\d+)/.exec(r.stdout);
  if (r.code !== 0 || !m) {
    const pidFile = path.join(dir, "pipeline.pid");
    if (fs.existsSync(pidFile)) await stopPid(Number(fs.readFileSync(pidFile, "utf8")), 1000);
    throw new Error(`pipeline start failed (exit ${r.code}): ${r.stderr.trim()} ${r.stdout.trim()}`);
  }
  return { pid: Number(m[2]), port, dir, url: m[1], startMs: r.wallMs };
}

export interface Target {
  target: number;
  op: "<" | "<=" | ">=";
  actual: number;
  unit: string;
  pass: boolean;
  note?: string;
}

export function target(actual: number, op: Target["op"], limit: number, unit: string, note?: string): Target {
  const pass = Number.isFinite(actual) && (op === "<" ? actual < limit : op === "<=" ? actual <= limit : actual >= limit);
  return { target: limit, op, actual, unit, pass, ...(note ? { note } : {}) };
}
