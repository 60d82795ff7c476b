/**
 * The reference pipeline's command line (see pipeline/CONTRACT.md):
 *   tsx pipeline/cli.ts <start|stop|status|serve|run-once|cutover|validate|rollback|test|fault> [--dir D] [--port P] ...
 * Bad arguments: one-line usage error on stderr, exit 2.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { fetchHealth, isAlive, Logger, paths, parsePort, readActive, readJson, readPid, resolveDir, resolvePort, UsageError, errMsg, DEFAULT_INTERVAL_S, type Version } from "./service/common.ts";
import { isRestartSpec, RESTART_FAULT_EXIT_CODE } from "./faults/faults.ts";
import { DEFAULT_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS } from "./service/supervisor.ts";
import { CHANNEL_FLAG_NAMES, CHANNEL_FLAGS, channelOptionsFrom, DEFAULT_AZURE_ENV, DEFAULT_KEEP_RUNS, DEFAULT_SUPABASE_ENV, type ChannelOptions } from "./outputs/options.ts";

const USAGE =
  "usage: pipeline <start|stop|status|serve|run-once|cutover|validate|rollback|test|fault> [--dir D] [--port P] " +
  "[--version v1|v2] [--interval S] [--input FILE] [--fault SPEC]... [--allow-faults] [--supervise [--restart-delay-ms MS]] [--junit FILE]; fault SPEC...|clear";

/** --help: the usage line plus what the commands and options do (the contract is pipeline/CONTRACT.md). */
const HELP = `${USAGE}

The reference loan-analytics pipeline (V1 and V2, with fault injection): the monitor's default target.

commands:
  start       spawn the service detached; returns after its first run (prints url=... pid=N)
  serve       the service in the foreground
  stop        stop the service (and its supervisor); exit 0 also when not running
  status      print /health; exit 1 when down
  run-once    one run in-process, no server
  cutover | validate | rollback | test [--junit FILE]
  fault SPEC... | clear   switch faults at run time (needs --allow-faults at start)

options of every command:
  --dir D                 the pipeline's folder (default: PIPELINE_DIR, else .pipeline)
  --port P                its HTTP port on 127.0.0.1 (default: PIPELINE_PORT, else the port recorded in
                          D/service.json, else 8787)
  --help, -h              this text
  The monitor finds the pipeline through PIPELINE_PORT and PIPELINE_DIR only: to run one elsewhere,
  export those two rather than passing --port/--dir, so that both see the same pipeline.

service options (start, serve):
  --version v1|v2         set the active version
  --interval S            seconds between runs (default ${DEFAULT_INTERVAL_S})
  --input FILE            input tape (default: generated 10k-row tape)
  --fault SPEC            start with a fault (repeatable); implies --allow-faults
  --allow-faults          honour faults.json / \`pipeline fault\` at run time
  --supervise             run the service under a supervisor that restarts it after a crash
                          (non-zero exit or a signal other than TERM/INT/HUP/PIPE), like systemd's
                          Restart=on-failure: pipeline.pid names the service process (new pid after a
                          restart), supervisor.pid the supervisor; each restart logs a WARN line
                          "supervisor: service restarted"; 5 starts within 10 s -> gives up (CRITICAL);
                          \`stop\` stops both without a restart. start prints supervisor_pid=M too.
  --restart-delay-ms MS   supervisor's delay before a restart (default ${DEFAULT_RESTART_DELAY_MS}, 0..${MAX_RESTART_DELAY_MS})
  --keep-faults           (serve; used by the supervisor on a restart) start with faults.json as it is

output channels (start, serve, run-once; without them only the local files in outputs/ are written):
  --azure-container NAME  also write each run to Azure Blob Storage: runs/<run_id>/ + latest.json in NAME;
                          the connection string from the environment (${DEFAULT_AZURE_ENV}, or --azure-env VAR)
  --supabase-schema NAME  also write each run to Supabase (PostgreSQL) tables in schema NAME, one transaction
                          per run; the database URL from the environment (${DEFAULT_SUPABASE_ENV}, or --supabase-env VAR)
  --supabase-tables runs=A,loans_processed=B,kpi_results=C   other table names
  --keep-runs N           runs kept in Azure and Supabase (default ${DEFAULT_KEEP_RUNS})

faults: latency:MS errors:PCT leak:MB_PER_MIN cpu:PCT nulls:PCT duplicates:PCT audit:off outputs:off
        stale-outputs crash:S restart[:N] local|azure|supabase:down|stale|partial|drift|corrupt
  restart[:N] (run-time only: \`pipeline fault restart\`): the service consumes one token from
        faults.json and exits with code ${RESTART_FAULT_EXIT_CODE}; one activation = one exit (a supervised service comes back
        with a new pid); restart:N = N exits in a row.

test options: --junit FILE   also write the suite's JUnit XML to FILE

exit codes: 0 done (status: up; validate: report PASS; test: the suite passed; stop: also when not running);
            1 failed (start: did not come up; status: down; run-once: run failed; cutover, validate, rollback,
            test, fault: failed); 2 usage (unknown command or option, bad value)
`;

const OPTIONS = {
  dir: { type: "string" },
  port: { type: "string" },
  version: { type: "string" },
  interval: { type: "string" },
  input: { type: "string" },
  fault: { type: "string", multiple: true },
  "allow-faults": { type: "boolean" },
  junit: { type: "string" },
  supervise: { type: "boolean" },
  "restart-delay-ms": { type: "string" },
  "keep-faults": { type: "boolean" },
  ...CHANNEL_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

type OptName = keyof typeof OPTIONS;
const COMMON: OptName[] = ["dir", "port", "help"];
const SERVICE_OPTS: OptName[] = [...COMMON, "version", "interval", "input", "fault", "allow-faults", ...CHANNEL_FLAG_NAMES];
const ALLOWED: Record<string, OptName[]> = {
  start: [...SERVICE_OPTS, "supervise", "restart-delay-ms"],
  serve: [...SERVICE_OPTS, "supervise", "restart-delay-ms", "keep-faults"],
  stop: COMMON,
  status: COMMON,
  "run-once": [...COMMON, "version", "input", "fault", ...CHANNEL_FLAG_NAMES],
  cutover: COMMON,
  validate: COMMON,
  rollback: COMMON,
  test: [...COMMON, "junit"],
  fault: COMMON,
};

function usageError(msg: string): never {
  process.stderr.write(`pipeline: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseVersion(v: string | undefined): Version | undefined {
  if (v === undefined) return undefined;
  if (v !== "v1" && v !== "v2") throw new UsageError(`invalid --version "${v}" (expected v1 or v2)`);
  return v;
}

function parseRestartDelay(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === "" || !Number.isInteger(n) || n < 0 || n > MAX_RESTART_DELAY_MS) throw new UsageError(`invalid --restart-delay-ms "${v}" (milliseconds, 0..${MAX_RESTART_DELAY_MS})`);
  return n;
}

function parseInterval(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.05 || n > 86_400) throw new UsageError(`invalid --interval "${v}" (seconds, 0.05..86400)`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (e) {
    usageError(errMsg(e));
  }
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (values.help && !cmd) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!cmd) usageError("missing command");
  const allowed = ALLOWED[cmd];
  if (!allowed) usageError(`unknown command "${cmd}"`);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  for (const k of Object.keys(values) as OptName[]) if (!allowed.includes(k)) usageError(`option --${k} is not valid for "${cmd}"`);
  if (cmd !== "fault" && rest.length) usageError(`unexpected argument "${rest[0]}"`);

  let dir: string, port: number, version: Version | undefined, intervalS: number | undefined, restartDelayMs: number | undefined, channels: ChannelOptions;
  try {
    channels = channelOptionsFrom(values);
    restartDelayMs = parseRestartDelay(values["restart-delay-ms"]);
    if (restartDelayMs !== undefined && !values.supervise) throw new UsageError("--restart-delay-ms needs --supervise");
    if (values["keep-faults"] && (values.fault?.length || values.supervise)) throw new UsageError("--keep-faults cannot be combined with --fault or --supervise");
    if ((values.fault ?? []).some(isRestartSpec)) throw new UsageError('fault "restart" is run-time only: use `pipeline fault restart` on the running service');
    dir = resolveDir(values.dir);
    port = values.port !== undefined ? parsePort(values.port) : resolvePort(dir);
    version = parseVersion(values.version);
    intervalS = parseInterval(values.interval);
    if (values.input !== undefined && values.input === "") throw new UsageError("--input needs a file");
  } catch (e) {
    if (e instanceof UsageError) usageError(e.message);
    throw e;
  }
  const input = values.input !== undefined ? (await import("node:path")).resolve(values.input) : undefined;
  const faults = values.fault ?? [];
  const p = paths(dir);

  switch (cmd) {
    case "start": {
      const { startService } = await import("./service/control.ts");
      try {
        const s = await startService({ dir, port, version, intervalS, input, faults, allowFaults: !!values["allow-faults"], supervise: !!values.supervise, restartDelayMs, channels });
        process.stdout.write(`url=${s.url} pid=${s.pid}${s.supervisorPid !== undefined ? ` supervisor_pid=${s.supervisorPid}` : ""}\n`);
        if (s.health.last_run?.result === "failure") process.stderr.write(`warning: first run failed: ${s.health.last_run.error ?? "unknown"}\n`);
        return 0;
      } catch (e) {
        if (e instanceof UsageError) usageError(e.message);
        process.stderr.write(`pipeline start: ${errMsg(e)}\n`);
        return 1;
      }
    }
    case "serve": {
      const { parseFaults } = await import("./faults/faults.ts");
      try {
        parseFaults(faults);
      } catch (e) {
        usageError(errMsg(e));
      }
      if (values.supervise) {
        const { supervise } = await import("./service/supervisor.ts");
        return supervise({ dir, port, version, intervalS, input, faults, allowFaults: !!values["allow-faults"], restartDelayMs, echo: true, channels });
      }
      const { serve } = await import("./service/server.ts");
      let svc;
      try {
        svc = await serve({ dir, port, version, intervalS: intervalS ?? DEFAULT_INTERVAL_S, input, faults, allowFaults: !!values["allow-faults"], echo: true, keepFaults: !!values["keep-faults"], channels });
      } catch (e) {
        new Logger(p.log).log("CRITICAL", "service", "service could not start", { error: errMsg(e), port });
        process.stderr.write(`pipeline serve: ${errMsg(e)}\n`);
        return 1;
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
      await svc.close();
      return 0;
    }
    case "stop": {
      const { stopService } = await import("./service/control.ts");
      const was = await stopService(dir);
      process.stdout.write(was ? "stopped\n" : "not running\n");
      return 0;
    }
    case "status": {
      const h = await fetchHealth(port, 3000);
      if (!h) {
        const pid = readPid(p);
        process.stdout.write(JSON.stringify({ status: "down", pid: pid && isAlive(pid) ? pid : null, url: `http://127.0.0.1:${port}` }) + "\n");
        return 1;
      }
      process.stdout.write(JSON.stringify(h, null, 2) + "\n");
      return 0;
    }
    case "run-once": {
      const { parseFaults, FaultRuntime } = await import("./faults/faults.ts");
      try {
        parseFaults(faults);
      } catch (e) {
        usageError(errMsg(e));
      }
      const { runOnce, ensureDefaultInput } = await import("./service/run.ts");
      const { AuditStore } = await import("./audit/store.ts");
      fs.mkdirSync(p.runs, { recursive: true });
      const log = new Logger(p.log, true);
      // default: the input of this state dir's service (service.json), else the generated 10k tape
      const inp = input ?? readJson<{ input?: string }>(p.service)?.input ?? p.defaultInput;
      ensureDefaultInput(p, inp);
      const fr = new FaultRuntime(faults.length > 0, p.faults);
      fr.apply(faults);
      let store: InstanceType<typeof AuditStore> | undefined;
      const { RemoteChannels } = await import("./outputs/channels.ts");
      let remote;
      try {
        remote = RemoteChannels.from(channels);
      } catch (e) {
        usageError(errMsg(e));
      }
      const s = await runOnce({ p, log, version: version ?? readActive(p).version, input: inp, faults: fr, audit: () => (store ??= new AuditStore(p.auditDb)), seq: 1, channels: remote });
      fr.stop();
      store?.close();
      await remote.close();
      process.stdout.write(JSON.stringify(s, null, 2) + "\n");
      return s.result === "success" ? 0 : 1;
    }
    case "cutover": {
      const { cutover } = await import("./scripts/cutover.ts");
      return (await cutover({ dir, port })).ok ? 0 : 1;
    }
    case "validate": {
      const { validate } = await import("./scripts/validation.ts");
      const r = await validate({ dir, port });
      process.stdout.write(JSON.stringify(r.report, null, 2) + "\n");
      return r.report.status === "PASS" ? 0 : 1;
    }
    case "rollback": {
      const { rollback } = await import("./scripts/rollback.ts");
      return (await rollback({ dir, port })).ok ? 0 : 1;
    }
    case "test": {
      const { runPipelineTests } = await import("./scripts/test-suite.ts");
      const r = await runPipelineTests({ dir, port, junit: values.junit });
      return r.ok ? 0 : 1;
    }
    case "fault": {
      if (!rest.length) usageError('fault needs SPEC... or "clear"');
      const { setFaults } = await import("./service/control.ts");
      try {
        const r = await setFaults(dir, port, rest.length === 1 && rest[0] === "clear" ? "clear" : rest);
        process.stdout.write(`faults=${r.faults.join(",") || "(none)"}${r.applied ? "" : " (written; service not confirming)"}\n`);
        return 0;
      } catch (e) {
        if (e instanceof UsageError) usageError(e.message);
        process.stderr.write(`pipeline fault: ${errMsg(e)}\n`);
        return 1;
      }
    }
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`pipeline: ${errMsg(e)}\n`);
    process.exit(1);
  },
);
