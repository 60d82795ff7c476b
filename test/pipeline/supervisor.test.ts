/**
 * `start --supervise` and the `restart` fault, on real processes: the supervisor restarts the
 * service after a failure (new pid in the pidfile, a WARN line), keeps the run-time state
 * (active version, faults), and `pipeline stop` stops both without a restart. Every wait is on a
 * condition (pidfile, /health), never a fixed sleep.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, readPidFile, runCli, startPipeline, waitFor, type StartedPipeline } from "../support/pipeline-harness.ts";

const logLines = (dir: string) => fs.readFileSync(path.join(dir, "logs", "pipeline.log"), "utf8").split("\n").filter(Boolean);
const restartLines = (dir: string) => logLines(dir).filter((l) => / \[WARN\] supervisor: service restarted /.test(l));
const faultsFile = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "faults.json"), "utf8")) as { allowed: boolean; faults: string[] };
/** Parent pid from /proc (Linux), or undefined. */
const ppidOf = (pid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
};

/**
 * Wait until the service named by the pidfile is another process than `oldPid`, answers /health
 * with that pid and has finished a run (so it has read faults.json). Returns the new pid.
 */
async function waitForNewService(pl: StartedPipeline, oldPid: number): Promise<number> {
  return waitFor(
    async () => {
      const pid = readPidFile(pl.dir);
      if (!pid || pid === oldPid) return undefined;
      const h = await pl.health();
      return h.pid === pid && h.last_run ? pid : undefined;
    },
    45_000,
    `a restarted service (pid other than ${oldPid})`,
    100,
  );
}

describe("start --supervise", () => {
  let pl: StartedPipeline;
  beforeAll(async () => {
    pl = await startPipeline({ version: "v2", interval: 0.5, supervise: true });
  });
  afterAll(async () => pl?.stop());

  it("the pidfile names the service process (the supervisor's child), supervisor.pid the supervisor", async () => {
    expect(pl.supervisorPid).toBeGreaterThan(0);
    expect(pl.supervisorPid).not.toBe(pl.pid);
    expect(readPidFile(pl.dir)).toBe(pl.pid);
    expect(readPidFile(pl.dir, "supervisor.pid")).toBe(pl.supervisorPid);
    expect((await pl.health()).pid).toBe(pl.pid);
    expect(alive(pl.supervisorPid!)).toBe(true);
    if (process.platform === "linux") expect(ppidOf(pl.pid)).toBe(pl.supervisorPid);
    expect(logLines(pl.dir).some((l) => / \[INFO\] supervisor: supervisor started pid=\d+ /.test(l))).toBe(true);
  });

  it("fault restart -> the service exits once, comes back with a new pid, one WARN line; faults and version kept", async () => {
    expect((await pl.cli(["fault", "latency:1"])).exitCode).toBe(0);
    const oldPid = readPidFile(pl.dir)!;
    const r = await pl.cli(["fault", "restart"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const newPid = await waitForNewService(pl, oldPid);
    expect(newPid).not.toBe(oldPid);
    expect(alive(oldPid)).toBe(false);
    expect(alive(pl.supervisorPid!)).toBe(true);
    if (process.platform === "linux") expect(ppidOf(newPid)).toBe(pl.supervisorPid);
    // the token was consumed before the exit; the other fault and the active version survive
    expect(faultsFile(pl.dir).faults).toEqual(["latency:1"]);
    const h = await pl.health();
    expect(h).toMatchObject({ pid: newPid, version: "v2", faults: ["latency:1"] });
    // exactly one restart: one WARN line naming both pids, and the pidfile still names the new service
    const lines = restartLines(pl.dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^\\S+ \\[WARN\\] supervisor: service restarted pid=${newPid} previous_pid=${oldPid} exit_code=1 restarts=1 `));
    expect(logLines(pl.dir).some((l) => new RegExp(` \\[WARN\\] service: service exiting \\(injected fault\\) fault=restart pid=${oldPid} `).test(l))).toBe(true);
    expect(readPidFile(pl.dir)).toBe(newPid);
  });

  it("fault restart:2 -> two exits in a row (a counter consumed one per process), then stable", async () => {
    const oldPid = readPidFile(pl.dir)!;
    expect((await pl.cli(["fault", "restart:2"])).exitCode).toBe(0);
    // two more restart lines; then the service named by the pidfile answers and has run
    await waitFor(() => restartLines(pl.dir).length === 3, 60_000, "two more restart lines", 100);
    const newPid = await waitForNewService(pl, oldPid);
    const lines = restartLines(pl.dir);
    expect(lines[2]).toMatch(new RegExp(` pid=${newPid} .* restarts=3 `));
    expect(faultsFile(pl.dir).faults).toEqual(["latency:1"]);
    expect((await pl.health()).pid).toBe(newPid);
    expect(restartLines(pl.dir)).toHaveLength(3);
  });

  it("pipeline stop: supervisor and service exit, no restart, no process left behind", async () => {
    const svc = readPidFile(pl.dir)!;
    const sup = pl.supervisorPid!;
    const before = restartLines(pl.dir).length;
    const r = await pl.cli(["stop"]);
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout).trim()).toBe("stopped");
    expect(alive(svc)).toBe(false);
    expect(alive(sup)).toBe(false);
    expect(readPidFile(pl.dir)).toBeUndefined();
    expect(readPidFile(pl.dir, "supervisor.pid")).toBeUndefined();
    expect(restartLines(pl.dir)).toHaveLength(before);
    expect(logLines(pl.dir).some((l) => / \[INFO\] supervisor: supervisor stopped pid=\d+ restarts=3 exit_code=0/.test(l))).toBe(true);
    expect((await pl.cli(["status"])).exitCode).toBe(1);
  });
});

describe("supervisor: a stop during the restart delay", () => {
  let pl: StartedPipeline;
  beforeAll(async () => {
    // a long delay, so the stop certainly arrives while the supervisor waits to restart
    pl = await startPipeline({ version: "v1", interval: 0.5, supervise: true, restartDelayMs: 60_000 });
  });
  afterAll(async () => pl?.stop());

  it("the service is down, the stop ends the supervisor and nothing is restarted", async () => {
    const svc = pl.pid;
    expect((await pl.cli(["fault", "restart"])).exitCode).toBe(0);
    await waitFor(() => !alive(svc), 20_000, `service pid ${svc} to exit`);
    expect(alive(pl.supervisorPid!)).toBe(true);
    // while waiting, the pidfile still names the dead process (as after a crash)
    expect(readPidFile(pl.dir)).toBe(svc);
    const r = await pl.cli(["stop"]);
    expect(r.exitCode).toBe(0);
    expect(alive(pl.supervisorPid!)).toBe(false);
    expect(restartLines(pl.dir)).toHaveLength(0);
    expect(readPidFile(pl.dir)).toBeUndefined();
  });
});

describe("supervisor flags", () => {
  it("usage errors: --restart-delay-ms without --supervise, a bad delay, restart as a start fault", async () => {
    const cases = [
      ["start", "--restart-delay-ms", "100"],
      ["start", "--supervise", "--restart-delay-ms", "soon"],
      ["start", "--supervise", "--fault", "restart"],
      ["serve", "--fault", "restart:2"],
    ];
    const results = await Promise.all(cases.map((c) => runCli([...c, "--dir", "/nonexistent-dir", "--port", "1"], { timeout: 30_000 })));
    for (const [i, r] of results.entries()) {
      expect(r.exitCode, cases[i]!.join(" ")).toBe(2);
      expect(String(r.stderr).split("\n")[0]).toMatch(/^pipeline: /);
    }
  });

  it("--help documents --supervise, --restart-delay-ms and the restart fault", async () => {
    const r = await runCli(["--help"], { timeout: 30_000 });
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toMatch(/--supervise/);
    expect(String(r.stdout)).toMatch(/--restart-delay-ms MS/);
    expect(String(r.stdout)).toMatch(/restart\[:N\]/);
  });
});
