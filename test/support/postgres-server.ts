/**
 * A real, throwaway PostgreSQL server for tests: initdb in a temp dir, started on a free port on
 * 127.0.0.1 with password (scram-sha-256) authentication over TCP, stopped and removed by stop().
 * initdb refuses to run as root, so as root the server binaries run as the `postgres` OS user
 * (`runuser -u postgres --`). Missing binaries or runuser -> startPostgres() throws (tests fail,
 * they do not skip).
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PostgresServer {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Stops the server (fast) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Bin directory of the installed server: PG_BIN_DIR, else PostgreSQL 15, else the newest installed. */
export function findPostgresBin(): string {
  const has = (d: string) => ["initdb", "pg_ctl", "postgres"].every((b) => fs.existsSync(path.join(d, b)));
  if (process.env.PG_BIN_DIR) {
    if (has(process.env.PG_BIN_DIR)) return process.env.PG_BIN_DIR;
    throw new Error(`PG_BIN_DIR=${process.env.PG_BIN_DIR} lacks initdb/pg_ctl/postgres`);
  }
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => has(path.join(root, v, "bin"))) : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL server binaries not found (no ${root}/<version>/bin with initdb, pg_ctl, postgres): install postgresql-15 or set PG_BIN_DIR`,
    );
  }
  const pick = versions.includes("15") ? "15" : versions.sort((a, b) => Number(b) - Number(a))[0]!;
  return path.join(root, pick, "bin");
}

function findRunuser(): string {
  for (const p of ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]) if (fs.existsSync(p)) return p;
  throw new Error("runuser not found: as root, the PostgreSQL test server must run as the `postgres` OS user (util-linux runuser)");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<() => void>();
process.once("exit", () => {
  for (const f of live) f();
});

export async function startPostgres(opts: { password?: string } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  let prefix: string[] = [];
  let owner: { uid: number; gid: number } | null = null;
  if (asRoot) {
    const runuser = findRunuser();
    prefix = [runuser, "-u", "postgres", "--"];
    try {
      owner = {
        uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()),
        gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()),
      };
    } catch {
      throw new Error("OS user `postgres` not found: as root, the PostgreSQL test server must run as that user");
    }
  }
  const exec = async (argv: string[], timeoutMs: number) => {
    const [cmd, ...args] = [...prefix, ...argv];
    try {
      return await run(cmd!, args, { timeout: timeoutMs, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${argv.map((a) => path.basename(a)).slice(0, 1)} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-test-"));
  const data = path.join(dir, "data");
  const logFile = path.join(dir, "server.log");
  const pwFile = path.join(dir, "pw");
  const password = opts.password ?? randomBytes(12).toString("hex");
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    fs.chownSync(dir, owner.uid, owner.gid);
    fs.chownSync(pwFile, owner.uid, owner.gid);
  }
  const pgCtl = path.join(bin, "pg_ctl");
  let started = false;
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const stopSync = () => {
    try {
      const [cmd, ...args] = [...prefix, pgCtl, "-D", data, "-m", "immediate", "-w", "stop"];
      if (started) execFileSync(cmd!, args, { stdio: "ignore", timeout: 10_000 });
    } catch {
      /* best effort at exit */
    }
    removeDir();
  };
  live.add(stopSync);
  try {
    await exec(
      [path.join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${pwFile}`, "-E", "UTF8", "--no-sync"],
      60_000,
    );
    fs.rmSync(pwFile, { force: true });
    const port = await freePort();
    // Durability is irrelevant for a throwaway server: fsync off keeps the tests fast.
    await exec([pgCtl, "-D", data, "-l", logFile, "-o", `-p ${port} -k ${dir} -h 127.0.0.1 -c fsync=off -c full_page_writes=off`, "-w", "-t", "30", "start"], 40_000);
    started = true;
    const stop = async () => {
      if (!live.has(stopSync)) return;
      live.delete(stopSync);
      try {
        if (started) await exec([pgCtl, "-D", data, "-m", "fast", "-w", "-t", "30", "stop"], 40_000);
      } finally {
        started = false;
        removeDir();
      }
    };
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
      stop,
    };
  } catch (err) {
    live.delete(stopSync);
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-2000) : "";
    stopSync();
    throw new Error(`could not start the PostgreSQL test server: ${(err as Error).message}${log ? `\nserver log:\n${log}` : ""}`);
  }
}
