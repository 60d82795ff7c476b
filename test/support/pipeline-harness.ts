/**
 * Start a real reference pipeline for a test: a fresh temp state dir, a free port, through the
 * real CLI `start` (which returns after the first run). `stop()` kills only that pid.
 * Every pipeline started here is also SIGKILLed when the test process exits.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type Result } from "execa";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = path.join(ROOT, "pipeline", "cli.ts");
export const TSX_IMPORT = `file://${path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")}`;

export interface StartOptions {
  version?: "v1" | "v2";
  faults?: string[];
  /** Honour faults.json (default true, so a test can switch faults on while it runs). */
  allowFaults?: boolean;
  /** Seconds between runs (fractions allowed); default 0.5. */
  interval?: number;
  /** Input tape file; default: the pipeline's generated 10k-row tape. */
  input?: string;
  /** Keep the state dir after stop() (default: removed). */
  keepDir?: boolean;
  /** `start --supervise`: run the service under the pipeline's supervisor (restarts it after a failure). */
  supervise?: boolean;
  /** With supervise: `--restart-delay-ms` (the pipeline's default is 500). */
  restartDelayMs?: number;
}

export interface StartedPipeline {
  url: string;
  port: number;
  dir: string;
  pid: number;
  /** Run the real CLI against this pipeline (adds --dir and --port). */
  cli(args: string[], opts?: { timeout?: number }): Promise<Result>;
  /** Replace the active faults (or clear them) and wait until /health shows them. */
  setFaults(specs: string[]): Promise<void>;
  health(): Promise<Record<string, any>>;
  /** SIGTERM this pid (SIGKILL after 5 s), then remove the state dir unless keepDir. */
  stop(): Promise<void>;
  /** With supervise: the supervisor's pid (`pid` is the first service process; the pidfile names the current one). */
  supervisorPid?: number;
}

const live = new Set<number>();
/** Supervised pipelines' state dirs: at exit also the pid their pidfile names now (a restart changes it). */
const liveDirs = new Set<string>();
process.once("exit", () => {
  for (const dir of liveDirs) {
    try {
      const pid = Number(fs.readFileSync(path.join(dir, "pipeline.pid"), "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) live.add(pid);
    } catch {
      /* no pidfile */
    }
  }
  for (const pid of live) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/** The pid in a state dir's pidfile (`pipeline.pid`, or e.g. `supervisor.pid`); undefined when missing. */
export function readPidFile(dir: string, name = "pipeline.pid"): number | undefined {
  try {
    const n = Number(fs.readFileSync(path.join(dir, name), "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Poll until fn returns truthy; throws after timeoutMs. */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = "condition", everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Run the pipeline CLI (node --import tsx pipeline/cli.ts ...), never throwing on exit codes. */
export function runCli(args: string[], opts: { timeout?: number; env?: Record<string, string> } = {}): Promise<Result> {
  return execa(process.execPath, ["--import", TSX_IMPORT, CLI, ...args], { cwd: ROOT, reject: false, timeout: opts.timeout ?? 60_000, env: { NO_COLOR: "1", ...opts.env } });
}

export async function startPipeline(o: StartOptions = {}): Promise<StartedPipeline> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-test-"));
  // A free port can be taken by another process between freePort() and the pipeline's bind
  // (tests start pipelines side by side): on EADDRINUSE, try another port.
  let port = 0;
  let r: Result | undefined;
  let m: RegExpExecArray | null = null;
  for (let attempt = 1; attempt <= 5; attempt++) {
    port = await freePort();
    const args = ["start", "--dir", dir, "--port", String(port), "--interval", String(o.interval ?? 0.5)];
    if (o.version) args.push("--version", o.version);
    if (o.input) args.push("--input", o.input);
    for (const f of o.faults ?? []) args.push("--fault", f);
    if (o.allowFaults ?? true) args.push("--allow-faults");
    if (o.supervise) args.push("--supervise");
    if (o.supervise && o.restartDelayMs !== undefined) args.push("--restart-delay-ms", String(o.restartDelayMs));
    r = await runCli(args, { timeout: 45_000 });
    m = /url=(\S+) pid=(\d+)/.exec(String(r.stdout));
    if (r.exitCode === 0 && m) break;
    if (!/EADDRINUSE/.test(`${r.stderr}${r.stdout}`)) break;
  }
  if (r!.exitCode !== 0 || !m) {
    const sup = readPidFile(dir, "supervisor.pid");
    if (sup && alive(sup)) process.kill(sup, "SIGKILL");
    const pid = Number(fs.existsSync(path.join(dir, "pipeline.pid")) ? fs.readFileSync(path.join(dir, "pipeline.pid"), "utf8") : 0);
    if (pid && alive(pid)) process.kill(pid, "SIGKILL");
    throw new Error(`pipeline start failed (exit ${r!.exitCode}): ${String(r!.stderr).trim()} ${String(r!.stdout).trim()}`);
  }
  const url = m[1]!;
  const pid = Number(m[2]);
  live.add(pid);
  const supM = /supervisor_pid=(\d+)/.exec(String(r!.stdout));
  const supervisorPid = supM ? Number(supM[1]) : undefined;
  if (supervisorPid) {
    live.add(supervisorPid);
    liveDirs.add(dir);
  }

  const health = async () => {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    return (await res.json()) as Record<string, any>;
  };
  return {
    url,
    port,
    dir,
    pid,
    health,
    cli: (a, co) => runCli([...a, "--dir", dir, "--port", String(port)], co),
    async setFaults(specs) {
      fs.writeFileSync(path.join(dir, "faults.json"), JSON.stringify({ allowed: true, faults: specs }));
      await waitFor(async () => JSON.stringify((await health()).faults) === JSON.stringify(specs), 5000, `faults ${specs.join(",") || "cleared"}`);
    },
    supervisorPid,
    async stop() {
      if (supervisorPid) {
        // the supervisor first (SIGTERM: it stops its service without restarting it), then
        // whatever service process the pidfile names now
        const current = readPidFile(dir);
        for (const [p, what] of [[supervisorPid, "supervisor"], [current, "service"]] as const) {
          if (!p || !alive(p)) continue;
          process.kill(p, "SIGTERM");
          const gone = await waitFor(() => !alive(p), 5000, `${what} pid ${p} to exit`).catch(() => false);
          if (!gone && alive(p)) process.kill(p, "SIGKILL");
        }
        live.delete(supervisorPid);
        if (current) live.delete(current);
        liveDirs.delete(dir);
      }
      // supervised, the first service pid was handled above when still current (else it is
      // long gone and may be reused: never signalled)
      else if (alive(pid)) {
        process.kill(pid, "SIGTERM");
        const gone = await waitFor(() => !alive(pid), 5000, `pid ${pid} to exit`).catch(() => false);
        if (!gone && alive(pid)) process.kill(pid, "SIGKILL");
      }
      live.delete(pid);
      if (!o.keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small tape file (generated by the pipeline's own generator through its CLI-free module). */
export async function writeTape(file: string, rows: number, seed = 42): Promise<string> {
  const { generateCsv } = await import("../../pipeline/tape/generate.ts");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, generateCsv({ rows, seed }));
  return file;
}

/** Parse a Prometheus exposition into "name{labels}" -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

export async function metrics(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}
