/**
 * Issue 8 §1: the rollback claim. At most one attempt executes at a time (claims race under the
 * state lock), a finished attempt is never repeated, and an abandoned claim (lease expired, or
 * its process gone on this host) is taken over and named.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimRollback, claimStanding, reapAbandonedClaims } from "../../src/act/rollback.js";
import { monitorState, type RollbackAttempt } from "../../src/checkpoint/state.js";
import { monitorPaths } from "../../src/checkpoint/paths.js";
import { systemClock } from "../../src/judge/clock.js";
import type { MonitorConfig } from "../../src/config/schema.js";

const config = { target: { rollback: { timeoutMs: 1000 }, requestTimeoutMs: 1000 } } as unknown as MonitorConfig;
const cutover = { startedAt: "2026-12-01T00:00:00.000Z", recordedBy: "test" };
const dirs: string[] = [];
function freshState() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollback-claim-"));
  dirs.push(dir);
  return monitorState(monitorPaths(dir));
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const running = (over: Partial<RollbackAttempt>): RollbackAttempt => ({
  cutoverStartedAt: cutover.startedAt,
  incident: "error-rate-critical",
  startedAt: "2026-12-01T01:00:00.000Z",
  status: "running",
  owner: { pid: 1234, host: "runner-a" },
  leaseUntil: new Date(Date.now() + 60_000).toISOString(),
  ...over,
});

describe("claimStanding", () => {
  const now = Date.now();
  it("a finished attempt is finished; a running one with its lease and a live owner is live", () => {
    expect(claimStanding(running({ status: "failed" }), now)).toBe("finished");
    expect(claimStanding(running({}), now, "runner-b", () => false)).toBe("live"); // another host: the lease decides
    expect(claimStanding(running({ owner: { pid: 1, host: "here" } }), now, "here", () => true)).toBe("live");
  });
  it("an expired lease, a dead owner on this host (and no live command), or no lease at all -> abandoned", () => {
    expect(claimStanding(running({ leaseUntil: new Date(now - 1).toISOString() }), now, "runner-b", () => true)).toBe("abandoned");
    expect(claimStanding(running({ owner: { pid: 1, host: "here" } }), now, "here", () => false)).toBe("abandoned");
    expect(claimStanding(running({ owner: { pid: 1, host: "here", commandPid: 2 } }), now, "here", (pid) => pid === 2)).toBe("live");
    expect(claimStanding(running({ leaseUntil: undefined }), now)).toBe("abandoned");
  });
});

describe("claimRollback", () => {
  it("five checkpoints claiming at once: exactly one claims, the others are blocked by its live claim", async () => {
    const state = freshState();
    const claims = await Promise.all(Array.from({ length: 5 }, () => claimRollback(config, state, cutover, "error-rate-critical", systemClock)));
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    for (const c of claims.filter((c) => !c.claimed)) expect(c).toMatchObject({ standing: "live" });
    expect((await state.rollback.load()).attempts).toHaveLength(1);
  });

  it("a finished attempt blocks any new claim", async () => {
    const state = freshState();
    await state.rollback.save({ version: 1, attempts: [running({ status: "failed", owner: { pid: process.pid, host: os.hostname() } })] });
    const c = await claimRollback(config, state, cutover, "x", systemClock);
    expect(c).toMatchObject({ claimed: false, standing: "finished" });
  });

  it("an abandoned claim is reaped once, then taken over and linked to its successor", async () => {
    const state = freshState();
    const dead = running({ owner: { pid: 2 ** 22 + 12345, host: os.hostname() } }); // above pid_max: no such process
    await state.rollback.save({ version: 1, attempts: [dead] });
    const reaped = await reapAbandonedClaims(state, cutover.startedAt, Date.now());
    expect(reaped).toHaveLength(1);
    expect(reaped[0]!.error).toMatch(/never finished \(its process is gone\): nothing is known to have rolled back/);
    expect(await reapAbandonedClaims(state, cutover.startedAt, Date.now())).toHaveLength(0);
    const c = await claimRollback(config, state, cutover, "x", systemClock);
    expect(c.claimed).toBe(true);
    if (!c.claimed) return;
    expect(c.tookOver?.startedAt).toBe(dead.startedAt);
    const attempts = (await state.rollback.load()).attempts;
    expect(attempts.map((a) => a.status)).toEqual(["abandoned", "running"]);
    expect(attempts[0]!.takenOverBy).toBe(attempts[1]!.startedAt);
  });
});
