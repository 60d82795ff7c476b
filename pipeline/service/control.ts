/** start / stop / status / fault: controlling a service by its state dir. */
import fs from "node:fs";
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { isRestartSpec, parseFaultSpec, readFaultsFile, writeFaultsFile, FaultSpecError } from "../faults/faults.ts";
import { channelArgs, missingSecrets, type ChannelOptions } from "../outputs/options.ts";
import {
  CLI_PATH,
  PROJECT_ROOT,
  TSX_LOADER,
  fetchHealth,
  isAlive,
  paths,
  pollUntil,
  readJson,
  readPid,
  sleep,
  writeActive,
  UsageError,
  type Health,
  type Version,
} from "./common.ts";

export interface StartOptions {
  dir: string;
  port: number;
  version?: Version;
  intervalS?: number;
  input?: string;
  faults: string[];
  allowFaults: boolean;
  timeoutMs?: number;
  /** Run the service under a supervisor that restarts it after a failure (see supervisor.ts). */
  supervise?: boolean;
  /** Supervisor's delay before a restart (default 500 ms). */
  restartDelayMs?: number;
  /** Output channels besides the local files (pipeline/outputs/options.ts). */
  channels?: ChannelOptions;
}

export interface Started {
  url: string;
  /** The service process (what pipeline.pid holds). */
  pid: number;
  /** The supervisor process, when started with supervise. */
  supervisorPid?: number;
  health: Health;
}

/** A restart token is a run-time fault; as a start flag every (re)start would consume it again. */
export function rejectRestartFlag(faults: string[]): void {
  if (faults.some(isRestartSpec)) throw new UsageError('fault "restart" is run-time only: use `pipeline fault restart` on the running service');
}

/** Spawn `serve` detached and return once its first run has finished (or throw). */
export async function startService(o: StartOptions): Promise<Started> {
  const p = paths(o.dir);
  for (const f of o.faults) {
    try {
      parseFaultSpec(f);
    } catch (e) {
      throw new UsageError((e as FaultSpecError).message);
    }
  }
  rejectRestartFlag(o.faults);
  // A channel without its secret would fail every run: refuse to start instead.
  const missing = o.channels ? missingSecrets(o.channels) : [];
  if (missing.length) throw new UsageError(missing.join("; "));
  const existing = readPid(p);
  if (existing && isAlive(existing)) throw new Error(`already running: pid=${existing} (state dir ${o.dir}); stop it first`);
  const existingSup = readPid(p, p.supervisorPid);
  if (existingSup && isAlive(existingSup)) throw new Error(`already running: supervisor pid=${existingSup} (state dir ${o.dir}); stop it first`);
  fs.mkdirSync(p.logs, { recursive: true });
  fs.rmSync(p.pid, { force: true });
  fs.rmSync(p.supervisorPid, { force: true });
  if (o.version) writeActive(p, o.version);
  const args = ["--import", pathToFileURL(TSX_LOADER).href, CLI_PATH, "serve", "--dir", o.dir, "--port", String(o.port)];
  if (o.supervise) {
    args.push("--supervise");
    if (o.restartDelayMs !== undefined) args.push("--restart-delay-ms", String(o.restartDelayMs));
  }
  if (o.version) args.push("--version", o.version);
  if (o.intervalS !== undefined) args.push("--interval", String(o.intervalS));
  if (o.input) args.push("--input", o.input);
  for (const f of o.faults) args.push("--fault", f);
  if (o.allowFaults) args.push("--allow-faults");
  args.push(...channelArgs(o.channels));
  const out = fs.openSync(p.serveOut, "a");
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, detached: true, stdio: ["ignore", out, out], env: process.env });
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code ?? -1));
  child.unref();
  const spawned = child.pid!;
  // Unsupervised, the spawned process is the service; supervised, the service is the
  // supervisor's child, named by the pidfile.
  const servicePid = () => (o.supervise ? readPid(p) : spawned);
  const polled = await pollUntil<Health | "exited">(
    async () => {
      if (exited !== undefined) return "exited";
      const h = await fetchHealth(o.port, 1000);
      return h && h.pid === servicePid() && h.pid !== undefined && h.last_run ? h : undefined;
    },
    o.timeoutMs ?? 30_000,
    100,
  );
  const health = polled === "exited" ? undefined : polled;
  if (!health) {
    const tail = fs.existsSync(p.serveOut) ? fs.readFileSync(p.serveOut, "utf8").trim().split("\n").slice(-5).join(" | ") : "";
    // the supervisor first (so it cannot restart anything), then the service
    for (const pid of [spawned, servicePid()]) {
      if (pid && isAlive(pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
    throw new Error(
      exited !== undefined
        ? `service exited during startup (code ${exited}): ${tail}`
        : `service did not come up within ${(o.timeoutMs ?? 30_000) / 1000} s on port ${o.port}: ${tail}`,
    );
  }
  return { url: `http://127.0.0.1:${o.port}`, pid: health.pid, ...(o.supervise ? { supervisorPid: spawned } : {}), health };
}

/**
 * SIGTERM the pidfile's pid, wait up to 10 s, then SIGKILL. Resolves false when it was not running.
 * Supervised: SIGTERM the supervisor (it stops its service and does not restart it) and wait for
 * both; past the timeout SIGKILL the supervisor first, then the service.
 */
export async function stopService(dir: string, timeoutMs = 10_000): Promise<boolean> {
  const p = paths(dir);
  const sup = readPid(p, p.supervisorPid);
  if (sup && isAlive(sup)) {
    const first = readPid(p);
    const kill = (pid: number | undefined, sig: NodeJS.Signals) => {
      try {
        if (pid && isAlive(pid)) process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    };
    const servicePids = () => [...new Set([first, readPid(p)])].filter((x): x is number => !!x);
    kill(sup, "SIGTERM");
    const gone = await pollUntil(() => !isAlive(sup) && servicePids().every((x) => !isAlive(x)), timeoutMs, 50);
    if (!gone) {
      kill(sup, "SIGKILL");
      await pollUntil(() => !isAlive(sup), 2000, 50);
      for (const x of servicePids()) kill(x, "SIGKILL");
      await pollUntil(() => servicePids().every((x) => !isAlive(x)), 2000, 50);
    }
    fs.rmSync(p.pid, { force: true });
    fs.rmSync(p.supervisorPid, { force: true });
    return true;
  }
  fs.rmSync(p.supervisorPid, { force: true });
  const pid = readPid(p);
  if (!pid || !isAlive(pid)) {
    fs.rmSync(p.pid, { force: true });
    return false;
  }
  process.kill(pid, "SIGTERM");
  const gone = await pollUntil(() => !isAlive(pid), timeoutMs, 50);
  if (!gone) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    await pollUntil(() => !isAlive(pid), 2000, 50);
  }
  fs.rmSync(p.pid, { force: true });
  return true;
}

const faultName = (s: string) => s.split(":")[0];

/** Merge specs into faults.json (same fault name replaces), or clear. Waits up to 3 s for /health to show them. */
export async function setFaults(dir: string, port: number, specs: string[] | "clear"): Promise<{ faults: string[]; applied: boolean }> {
  const p = paths(dir);
  const f = readFaultsFile(p.faults);
  const svc = readJson<{ pid?: number; faults_enabled?: boolean }>(p.service);
  const running = svc?.pid !== undefined && isAlive(svc.pid);
  if (!f.allowed || (running && svc?.faults_enabled === false)) throw new Error("fault injection is not enabled for this pipeline; start it with --allow-faults or --fault SPEC");
  let next: string[];
  if (specs === "clear") next = [];
  else {
    for (const s of specs) {
      try {
        parseFaultSpec(s);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const names = new Set(specs.map(faultName));
    next = [...f.faults.filter((s) => !names.has(faultName(s))), ...specs];
  }
  const pid = readPid(p);
  writeFaultsFile(p.faults, { allowed: true, faults: next });
  if (!pid || !isAlive(pid)) return { faults: next, applied: false };
  if (specs !== "clear" && specs.some(isRestartSpec)) {
    // A restart token is consumed by the service, which then exits: applied = that process is gone.
    const ok = await pollUntil(() => !isAlive(pid) || readPid(p) !== pid, 3000, 50);
    return { faults: readFaultsFile(p.faults).faults, applied: !!ok };
  }
  const ok = await pollUntil(async () => {
    const h = await fetchHealth(port, 1000);
    return h && JSON.stringify(h.faults) === JSON.stringify(next);
  }, 3000, 50);
  return { faults: next, applied: !!ok };
}

export { sleep };
