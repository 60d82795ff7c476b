/**
 * `serve --supervise` (what `start --supervise` spawns): a small supervisor process that runs the
 * service (`serve`) as its child and restarts it after a failure, the way systemd's
 * `Restart=on-failure` does:
 *
 * - failure = exit with a non-zero code, or death by a signal other than SIGTERM, SIGINT, SIGHUP
 *   and SIGPIPE (systemd's "clean" signals). A clean exit (code 0) ends the supervisor too.
 * - the restart follows after `restartDelayMs` (RestartSec; default 500 ms);
 * - start limit (StartLimitBurst=5 in StartLimitIntervalSec=10 s): a service that was started 5
 *   times within 10 s is not restarted again; the supervisor logs CRITICAL and exits 1;
 * - `pipeline.pid` always names the service process (written when the child is spawned, and by
 *   the service itself once it listens), never the supervisor; the supervisor's own pid is in
 *   `supervisor.pid`;
 * - every restart is one `[WARN] supervisor: service restarted ...` line in logs/pipeline.log
 *   (new pid, previous pid, exit code or signal, restart count);
 * - SIGTERM / SIGINT to the supervisor (what `pipeline stop` sends) is a requested stop: it
 *   forwards SIGTERM to the service, never restarts it, and exits 0 once the service is gone.
 *
 * A restarted service keeps the run-time state of the state dir: it is started without
 * `--version` (config/active.json, e.g. a cutover's v2, stays as it is) and with
 * `--keep-faults` (faults.json stays as it is, so a consumed restart token stays consumed).
 */
import fs from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import { channelArgs, type ChannelOptions } from "../outputs/options.ts";
import { CLI_PATH, Logger, PROJECT_ROOT, TSX_LOADER, errMsg, paths, readPid, writeFileAtomic, type Version } from "./common.ts";

export const DEFAULT_RESTART_DELAY_MS = 500;
export const MAX_RESTART_DELAY_MS = 60_000;
export const START_LIMIT_BURST = 5;
export const START_LIMIT_INTERVAL_MS = 10_000;
/** Signals systemd counts as a clean exit (no restart under Restart=on-failure). */
const CLEAN_SIGNALS = new Set(["SIGTERM", "SIGINT", "SIGHUP", "SIGPIPE"]);

export interface SuperviseOptions {
  dir: string;
  port: number;
  version?: Version;
  intervalS?: number;
  input?: string;
  faults: string[];
  allowFaults: boolean;
  restartDelayMs?: number;
  /** Also print the supervisor's log lines on stdout. */
  echo?: boolean;
  /** Output channels besides the local files, passed on to every (re)start of the service. */
  channels?: ChannelOptions;
}

/** The `serve` command line of the supervised service; a restart keeps the state dir's run-time state. */
export function serviceArgs(o: SuperviseOptions, restart: boolean): string[] {
  const args = ["--import", pathToFileURL(TSX_LOADER).href, CLI_PATH, "serve", "--dir", o.dir, "--port", String(o.port)];
  if (!restart && o.version) args.push("--version", o.version);
  if (o.intervalS !== undefined) args.push("--interval", String(o.intervalS));
  if (o.input) args.push("--input", o.input);
  if (restart) args.push("--keep-faults");
  else for (const f of o.faults) args.push("--fault", f);
  if (o.allowFaults || o.faults.length > 0) args.push("--allow-faults");
  args.push(...channelArgs(o.channels));
  return args;
}

interface Exit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Run the supervisor in the foreground; resolves with its exit code. */
export function supervise(o: SuperviseOptions): Promise<number> {
  const p = paths(o.dir);
  fs.mkdirSync(p.logs, { recursive: true });
  const log = new Logger(p.log, o.echo);
  const delayMs = o.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
  writeFileAtomic(p.supervisorPid, `${process.pid}\n`);
  log.info("supervisor", "supervisor started", { pid: process.pid, port: o.port, restart_delay_ms: delayMs });

  let child: ChildProcess | undefined;
  let stopping = false;
  let finished = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  const starts: number[] = [];

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (readPid(p, p.supervisorPid) === process.pid) fs.rmSync(p.supervisorPid, { force: true });
      log.info("supervisor", "supervisor stopped", { pid: process.pid, restarts, exit_code: code });
      resolve(code);
    };

    const onExit = (c: ChildProcess, e: Exit) => {
      if (c !== child) return;
      child = undefined;
      if (stopping) return finish(0);
      if (e.code === 0 || (e.signal && CLEAN_SIGNALS.has(e.signal))) {
        log.info("supervisor", "service exited cleanly; not restarting", { pid: e.pid, exit_code: e.code ?? undefined, signal: e.signal ?? undefined });
        return finish(0);
      }
      const now = Date.now();
      const recent = starts.filter((t) => t > now - START_LIMIT_INTERVAL_MS).length;
      if (recent >= START_LIMIT_BURST) {
        log.log("CRITICAL", "supervisor", "service failed too often; not restarting it", {
          pid: e.pid,
          exit_code: e.code ?? undefined,
          signal: e.signal ?? undefined,
          starts: recent,
          within_s: START_LIMIT_INTERVAL_MS / 1000,
        });
        return finish(1);
      }
      timer = setTimeout(() => {
        timer = undefined;
        if (!stopping) launch(e);
      }, delayMs);
    };

    const launch = (previous?: Exit) => {
      starts.push(Date.now());
      while (starts.length > START_LIMIT_BURST) starts.shift();
      let c: ChildProcess;
      try {
        c = spawn(process.execPath, serviceArgs(o, !!previous), { cwd: PROJECT_ROOT, stdio: ["ignore", "inherit", "inherit"], env: process.env });
      } catch (err) {
        log.error("supervisor", "could not spawn the service", { error: errMsg(err) });
        return finish(1);
      }
      child = c;
      let done = false;
      const exited = (e: Exit) => {
        if (done) return;
        done = true;
        onExit(c, e);
      };
      c.on("exit", (code, signal) => exited({ pid: c.pid ?? 0, code, signal }));
      c.on("error", (err) => {
        log.error("supervisor", "service process error", { pid: c.pid, error: errMsg(err) });
        if (c.pid === undefined) exited({ pid: 0, code: null, signal: null });
      });
      if (c.pid === undefined) return;
      // Log first, then name the new process in the pidfile: whoever sees the new pid also
      // finds the restart line.
      if (previous) {
        restarts++;
        log.warn("supervisor", "service restarted", {
          pid: c.pid,
          previous_pid: previous.pid,
          exit_code: previous.code ?? undefined,
          signal: previous.signal ?? undefined,
          restarts,
          restart_delay_ms: delayMs,
        });
      }
      writeFileAtomic(p.pid, `${c.pid}\n`);
    };

    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      log.info("supervisor", "stop requested", { signal: sig, service_pid: child?.pid });
      if (child) child.kill("SIGTERM");
      else finish(0);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      /* detached: no terminal to lose; keep supervising */
    });

    launch();
  });
}
