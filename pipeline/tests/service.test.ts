import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { isAlive, readActive, readPid } from "../service/common.ts";
import { parseFaultSpec } from "../faults/faults.ts";
import { health, P } from "./env.ts";

describe("service", () => {
  it("GET /health answers 200 with a valid status, started_at and uptime", async () => {
    const h = await health();
    expect(["ok", "degraded"]).toContain(h.status);
    expect(Date.parse(h.started_at)).toBeLessThanOrEqual(Date.now());
    expect(h.uptime_s).toBeGreaterThanOrEqual(0);
  });
  it("/health reports the version of config/active.json", async () => {
    expect((await health()).version).toBe(readActive(P).version);
  });
  it("the pidfile's pid is alive and is the pid serving /health", async () => {
    const pid = readPid(P);
    expect(pid).toBeDefined();
    expect(isAlive(pid!)).toBe(true);
    expect((await health()).pid).toBe(pid);
  });
  it("the last run finished successfully (status ok)", async () => {
    const h = await health();
    expect(h.last_run, "no run finished yet").not.toBeNull();
    expect(h.last_run!.result, h.last_run!.error).toBe("success");
    expect(h.status).toBe("ok");
  });
  it("active faults are valid specs", async () => {
    const h = await health();
    expect(Array.isArray(h.faults)).toBe(true);
    for (const f of h.faults) expect(() => parseFaultSpec(f)).not.toThrow();
  });
  it("config/active.json names v1 or v2 with an ISO activation time", () => {
    const a = JSON.parse(fs.readFileSync(P.active, "utf8"));
    expect(["v1", "v2"]).toContain(a.version);
    expect(Number.isNaN(Date.parse(a.activated_at))).toBe(false);
  });
});
