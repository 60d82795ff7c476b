/**
 * The demo's stand-ins for the remote output channels, in a process of their own so that they can
 * outlive `npm run demo` beside the reference pipeline it leaves running: Azure Blob Storage is
 * Azurite, Supabase is PostgreSQL (src/channels/local-services.ts: the server SUPABASE_DB_URL names
 * when it is set, else the embedded PGlite behind its socket server).
 *
 * Started by scripts/demo.ts with an IPC channel: it sends back what runs where and the connection
 * variables (secrets: only over IPC, never printed nor written to a file), then stays up until the
 * reference pipeline in PIPELINE_DIR stops (its supervisor.pid and pipeline.pid name no live
 * process: `npm run pipeline -- stop` ends these too), until SIGTERM/SIGINT, or, when no pipeline
 * ever ran there, after START_TIMEOUT_MS. Then it stops what it started (Azurite by its pid) and
 * exits. Its own lines go to stderr (the demo sends them to <reports>/demo-services.log).
 */
import fs from "node:fs";
import path from "node:path";
import { startLocalServices, type LocalServices } from "../src/channels/local-services.js";
import { pidAlive } from "../src/state/pid.js";

/** How often the pipeline's pids are checked (ms). */
const POLL_MS = 1000;
/** A pipeline that never appeared: stop after this long (the demo failed before starting one). */
const START_TIMEOUT_MS = 10 * 60_000;

export interface ServicesMessage {
  ok: true;
  pid: number;
  azuritePid: number;
  azuritePort: number;
  postgresKind: string;
  describe: string;
  /** AZURE_STORAGE_CONNECTION_STRING, SUPABASE_DB_URL: secrets, for the child processes' environment only. */
  env: Record<string, string>;
}

const log = (t: string) => process.stderr.write(`${new Date().toISOString()} demo-services[${process.pid}]: ${t}\n`);

const alive = (pid: number | null) => pid !== null && pidAlive(pid);

/** The pid a pidfile names, or null (as src/monitor/reference-pipeline.ts reads it; not imported: this process stays small). */
function readPid(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dir = path.resolve(process.env.PIPELINE_DIR || ".pipeline");
  let services: LocalServices;
  try {
    services = await startLocalServices();
  } catch (e) {
    const msg = String((e as Error)?.message ?? e).split("\n")[0];
    log(`could not start: ${msg}`);
    process.send?.({ ok: false, error: msg });
    process.exit(1);
  }
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    await services.stop();
    log("stopped");
    process.exit(0);
  };
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void stop(sig));
  log(`${services.describe}; until the reference pipeline in ${dir} stops`);
  const message: ServicesMessage = {
    ok: true,
    pid: process.pid,
    azuritePid: services.azurite.pid,
    azuritePort: services.azurite.port,
    postgresKind: services.postgres.kind,
    describe: services.describe,
    env: services.env,
  };
  process.send?.(message);
  // The demo lets go of this process once it has the message.
  process.on("disconnect", () => log("the demo let go; staying up beside the pipeline"));

  const started = Date.now();
  let seen = false;
  let goneFor = 0;
  const timer = setInterval(() => {
    const up = alive(readPid(path.join(dir, "supervisor.pid"))) || alive(readPid(path.join(dir, "pipeline.pid")));
    if (up) {
      seen = true;
      goneFor = 0;
      return;
    }
    // A supervised restart leaves pipeline.pid stale for a moment: two polls in a row.
    if (seen && ++goneFor >= 2) {
      clearInterval(timer);
      void stop("the reference pipeline stopped");
    } else if (!seen && Date.now() - started > START_TIMEOUT_MS) {
      clearInterval(timer);
      void stop(`no reference pipeline ran in ${dir} within ${START_TIMEOUT_MS / 60_000} min`);
    }
  }, POLL_MS);
}

void main();
