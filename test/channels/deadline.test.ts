/**
 * The dataQuality probe's deadline (src/probes/outputs/deadline.ts): scaled to what it reads (the
 * local rows file, the input, the remote channels' own timeouts), not the common 25 s watchdog;
 * collect.ts's watchdog waits that plus its slack. Past the deadline the probe is a monitor
 * failure — the output checks ERROR, never PASS — with one line naming the channel still read.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGUE } from "../../src/catalogue/catalogue.js";
import { assess } from "../../src/catalogue/check.js";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { probeDeadlineMs } from "../../src/probes/collect.js";
import { probeDataQualityWithin } from "../../src/probes/data-quality.js";
import { dataQualityContext } from "./support.js";
import { dataQualityBudget, dataQualityDeadlineMs, MIN_BYTES_PER_S } from "../../src/probes/outputs/deadline.js";

const SLACK = 15_000;

describe("the dataQuality probe's deadline scales with what it reads", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dq-deadline-"));
    fs.mkdirSync(path.join(dir, "outputs"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const target = (extra: Record<string, unknown> = {}) => monitorConfigSchema.parse({ target: { stateDir: dir, outputs: { local: { inputFile: "input.csv" }, ...extra } } }).target;

  it("grows with the local rows file (read up to 3 times) and the input; collect's watchdog is that plus its slack", () => {
    fs.writeFileSync(path.join(dir, "outputs", "loans_processed.csv"), "");
    fs.writeFileSync(path.join(dir, "input.csv"), "");
    const empty = dataQualityDeadlineMs(target());
    // sparse files: their size is what counts
    fs.truncateSync(path.join(dir, "outputs", "loans_processed.csv"), 50 * MIN_BYTES_PER_S); // 50 s of reading each time
    fs.truncateSync(path.join(dir, "input.csv"), 20 * MIN_BYTES_PER_S);
    const big = dataQualityDeadlineMs(target());
    expect(big - empty).toBe(3 * 50_000 + 20_000);
    expect(probeDeadlineMs("dataQuality", target())).toBe(big + SLACK);
    // more than the probes' common watchdog (2 requests + 15 s) that a million rows outlast
    expect(probeDeadlineMs("dataQuality", target())).toBeGreaterThan(2 * target().requestTimeoutMs + SLACK + 150_000);
    expect(dataQualityBudget(target()).basis).toMatch(/^\d+(\.\d)? MB of local files at 10 MB\/s$/);
  });

  it("adds the slowest remote channel's own timeouts (they are read side by side)", () => {
    const local = dataQualityDeadlineMs(target());
    const both = dataQualityDeadlineMs(target({ azure: { timeoutMs: 2_000 }, supabase: { timeoutMs: 7_000 }, settleMs: 1_000 }));
    expect(both - local).toBe(2 * (5 * 7_000 + 1_000));
  });
});

describe("past its deadline", () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  const ENV = "DQ_DEADLINE_TEST_DB_URL";
  beforeAll(async () => {
    // a "database" that accepts the connection and never answers
    server = net.createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    process.env[ENV] = `postgres://monitor:not-a-secret@127.0.0.1:${(server.address() as net.AddressInfo).port}/analytics`;
  });
  afterAll(async () => {
    delete process.env[ENV];
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it("is a monitor failure naming the channel still read, one line; the output checks ERROR, never PASS", async () => {
    const config = monitorConfigSchema.parse({
      target: { outputs: { local: { enabled: false, inputFile: null }, supabase: { connectionStringEnv: ENV, schema: "analytics", timeoutMs: 60_000 } } },
    });
    const r = await probeDataQualityWithin(config.target, { now: () => Date.now() }, { deadlineMs: 300, basis: "a test's 300 ms" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure).toBe("monitor");
    expect(r.message).toMatch(/^data quality: timed out after 300 ms \(the deadline scaled to a test's 300 ms\): still reading the Supabase channel \(supabase schema analytics\): connecting$/);
    expect(r.message).not.toMatch(/\n/);
    expect(r.message).not.toContain("not-a-secret");
    const context = dataQualityContext(config, r);
    const checks = assess(context, CATALOGUE.filter((d) => ["data-quality-supabase", "output-supabase", "output-reconciliation"].includes(d.id)), () => "phase");
    expect(checks).toHaveLength(3);
    for (const c of checks) {
      expect(c.verdict, c.id).toBe("ERROR");
      expect(c.measured, c.id).toContain("still reading the Supabase channel");
    }
  });
});
