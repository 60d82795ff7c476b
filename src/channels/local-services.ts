/**
 * Local stand-ins for the remote output channels, for the demo and the tests: Azure Blob Storage
 * is the Azurite emulator (npm `azurite` 3.35.0, the last to run on Node 20), started from
 * node_modules as a child process on a free port of 127.0.0.1 in a temp dir, with
 * --skipApiVersionCheck (the SDK speaks a newer API version than it knows) and
 * --disableTelemetry (nothing leaves the machine); Supabase is PostgreSQL: the server named by
 * SUPABASE_DB_URL when one is configured, else an embedded one (PGlite behind its socket server,
 * which speaks the PostgreSQL protocol, in this process), and the result says which.
 *
 * Everything started here is stopped by `stop()` (the child by its pid) and, failing that, when
 * this process exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

/** Azurite's well-known development account (public, documented by Microsoft; not a secret of anyone's). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  /** The storage connection string (for AZURE_STORAGE_CONNECTION_STRING). */
  connectionString: string;
  port: number;
  pid: number;
  dir: string;
  /** Stops the emulator (SIGTERM, then SIGKILL after 5 s) and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export interface Postgres {
  /** postgres://... (for SUPABASE_DB_URL). */
  url: string;
  /** Which server it is, for the demo to say. */
  kind: "configured PostgreSQL server" | "embedded PGlite";
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
});

function azuriteMain(): string {
  const pkg = createRequire(import.meta.url).resolve("azurite/package.json");
  return path.join(path.dirname(pkg), "dist", "src", "blob", "main.js");
}

/** Starts Azurite's blob service on a free port; resolves once it listens (or rejects after `timeoutMs`). */
export async function startAzurite(opts: { timeoutMs?: number } = {}): Promise<Azurite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "azurite-"));
  const child = spawn(
    process.execPath,
    [azuriteMain(), "--blobHost", "127.0.0.1", "--blobPort", "0", "--location", dir, "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.add(child);
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    if (!children.has(child)) return;
    children.delete(child);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${opts.timeoutMs ?? 30_000} ms: ${out.trim().slice(-500)}`)), opts.timeoutMs ?? 30_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited (code ${code}) before listening: ${out.trim().slice(-500)}`));
      });
    });
    // keep draining its output so it never blocks on a full pipe
    child.stdout!.resume();
    child.stderr!.resume();
    return {
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
      port,
      pid: child.pid!,
      dir,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** An embedded PostgreSQL (PGlite, in memory) behind a socket server on a free port of 127.0.0.1. */
export async function startEmbeddedPostgres(): Promise<Postgres> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 32 });
  await server.start();
  let stopped = false;
  return {
    // PGlite accepts any password; one is given because clients insist on sending one.
    url: `postgres://postgres:embedded@${server.getServerConn()}/postgres`,
    kind: "embedded PGlite",
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}

/** The configured PostgreSQL server (`url`, e.g. SUPABASE_DB_URL), else an embedded one. */
export async function postgresFor(url: string | undefined): Promise<Postgres> {
  if (url && url.trim()) return { url: url.trim(), kind: "configured PostgreSQL server", stop: async () => {} };
  return startEmbeddedPostgres();
}

export interface LocalServices {
  azurite: Azurite;
  postgres: Postgres;
  /** The variables the pipeline and the monitor read: AZURE_STORAGE_CONNECTION_STRING, SUPABASE_DB_URL. */
  env: { AZURE_STORAGE_CONNECTION_STRING: string; SUPABASE_DB_URL: string };
  /** One line for the demo: what runs where (no secret). */
  describe: string;
  stop(): Promise<void>;
}

/** Azurite and PostgreSQL for the Azure and Supabase channels (SUPABASE_DB_URL: use that server). */
export async function startLocalServices(opts: { postgresUrl?: string } = {}): Promise<LocalServices> {
  // Side by side: each takes seconds (the embedded PostgreSQL's initdb the most).
  const [a, p] = await Promise.allSettled([startAzurite(), postgresFor(opts.postgresUrl ?? process.env.SUPABASE_DB_URL)]);
  if (a.status === "rejected" || p.status === "rejected") {
    await Promise.allSettled([a.status === "fulfilled" ? a.value.stop() : undefined, p.status === "fulfilled" ? p.value.stop() : undefined]);
    throw a.status === "rejected" ? a.reason : (p as PromiseRejectedResult).reason;
  }
  const azurite = a.value;
  const postgres: Postgres = p.value;
  const pgWhere = (() => {
    try {
      const u = new URL(postgres.url);
      return `${u.hostname}:${u.port}`;
    } catch {
      return "postgres";
    }
  })();
  return {
    azurite,
    postgres,
    env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, SUPABASE_DB_URL: postgres.url },
    describe: `Azure Blob Storage: Azurite (pid ${azurite.pid}) on 127.0.0.1:${azurite.port}; Supabase: ${postgres.kind} on ${pgWhere}`,
    async stop() {
      await Promise.allSettled([azurite.stop(), postgres.stop()]);
    },
  };
}
