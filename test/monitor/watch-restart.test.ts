/**
 * Restart-safety and the dead-man switch. A compressed 24 hours (x1800) during which the watch is
 * killed with SIGKILL three times, at different moments (while a checkpoint runs, while it
 * samples, right after a checkpoint's record), and started again with the same command each
 * time: it resumes from the history. Every scheduled checkpoint then appears exactly once (run,
 * possibly late, or recorded MISSED), each outage is a recorded monitoring gap (never uptime),
 * and nothing it wrote is torn or unreadable. Its schedule has cheap checkpoints (no validation,
 * no test suite) until the final one (the day ones cover the final's 16-hour criterion), which judges the 24-hour criteria: the gaps make it GO WITH
 * CONDITIONS at most, never NO-GO for a healthy pipeline. While the watch is down the watchdog raises
 * "monitor down" (exit 1); while it runs, the watchdog says it is alive (exit 0).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { alive, cleanup, recordsOf, samplesOf, startWatch, waitFor, watchEnv, watchdog, type WatchEnv } from "./watch-harness.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 60_000 });

const SPEED = 1800;

/** Cheap checkpoints after hour1, six hours apart: room to sample; then the final. */
const SCHEDULE = [
  { phase: "hour0", at: "00:00" },
  { phase: "hour1", at: "01:00" },
  { phase: "stability", at: "03:00" },
  { phase: "stability", at: "06:00" },
  { phase: "day", at: "12:00" },
  { phase: "day", at: "18:00" },
  { phase: "final", at: "24:00" },
];

describe("kill -9 the watch three times during a compressed 24 hours", () => {
  let w: WatchEnv | undefined;
  const pids: number[] = [];
  afterAll(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    await cleanup(w);
  });

  it("resumes each time: every checkpoint once, the gaps recorded, nothing corrupted; the watchdog sees it down", async () => {
    w = await watchEnv({
      schedule: SCHEDULE,
      target: { kpi: { samples: 6 }, testSuite: { expectedTotal: 29 } },
      thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } },
    });
    const env = w;
    const args = ["--cutover", "--speed", String(SPEED)];
    const heartbeat = () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(env.reportsDir, "state", "watch-heartbeat.json"), "utf8"));
      } catch {
        return null;
      }
    };
    const ofSession = (n: number) => samplesOf(env).lines.filter((l) => l.session === n);
    const kill = async (run: ReturnType<typeof startWatch>) => {
      process.kill(run.proc.pid!, "SIGKILL");
      await run.proc;
    };
    const outputs: string[] = [];
    /** Waits for `fn`; on a timeout the error carries the running watch's output. */
    const until = async (run: ReturnType<typeof startWatch>, fn: () => boolean, what: string) => {
      try {
        await waitFor(fn, 120_000, what, 20);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- watch output ---\n${run.output().slice(-4000)}`);
      }
    };

    // 1: killed while the stability checkpoint runs (it has no record yet: it runs again, late).
    let run = startWatch(env, args);
    pids.push(run.proc.pid!);
    await until(run, () => /checkpoint stability@03:00 running/.test(heartbeat()?.phase ?? ""), "the stability checkpoint to start");
    await kill(run);
    outputs.push(run.output());
    const down = await watchdog(env);
    expect(down.exitCode, `${down.stdout}${down.stderr}`).toBe(1);
    expect(down.stdout).toMatch(/MONITOR DOWN: the watch process is gone/);

    // 2: killed while sampling, once the second run sampled.
    run = startWatch(env, args);
    pids.push(run.proc.pid!);
    await until(run, () => ofSession(2).some((l) => l.kind === "sample"), "a sample of the resumed watch");
    const up = await watchdog(env);
    expect(up.exitCode, `${up.stdout}${up.stderr}`).toBe(0);
    expect(up.stdout).toMatch(/watch alive/);
    await kill(run);
    outputs.push(run.output());

    // 3: killed right after a checkpoint's record.
    run = startWatch(env, args);
    pids.push(run.proc.pid!);
    await until(run, () => ofSession(3).some((l) => l.kind === "checkpoint"), "a checkpoint of the third run");
    await kill(run);
    outputs.push(run.output());

    // 4: runs to the end.
    run = startWatch(env, args);
    pids.push(run.proc.pid!);
    const r = await run.proc;
    outputs.push(run.output());
    const why = outputs.map((o, i) => `--- run ${i + 1} ---\n${o.slice(-2500)}`).join("\n");

    const { lines, bad } = samplesOf(env);
    const { lines: records, bad: badRecords } = recordsOf(env);
    expect(bad + badRecords, `torn or corrupt lines\n${why}`).toBe(0);
    for (const f of fs.readdirSync(path.join(env.reportsDir, "state")).filter((x) => x.endsWith(".json"))) {
      expect(() => JSON.parse(fs.readFileSync(path.join(env.reportsDir, "state", f), "utf8")), f).not.toThrow();
    }
    expect(r.exitCode, why).toBe(0);

    // Every scheduled checkpoint exactly once: run (a record) or recorded MISSED, never both, never twice.
    const ran = records.map((x) => `${x.phase}@${x.scheduled_at}`);
    const missed = lines.filter((l) => l.kind === "missed").map((l) => l.slot);
    const seen = [...ran, ...missed].sort();
    expect(seen, why).toEqual(SCHEDULE.map((s) => `${s.phase}@${s.at}`).sort());
    expect(new Set(ran).size).toBe(ran.length);

    // Four runs of the watch, three gaps between them, each recorded.
    expect(lines.filter((l) => l.kind === "start").map((l) => l.session)).toEqual([1, 2, 3, 4]);
    const gaps = lines.filter((l) => l.kind === "gap");
    expect(gaps.map((g) => g.session)).toEqual([2, 3, 4]);
    for (const g of gaps) expect(g.minutes).toBeGreaterThan(0);
    // The checkpoint killed mid-run ran again (late) after the restart, or was recorded MISSED.
    const killed = records.find((x) => x.scheduled_at === "03:00");
    if (killed) expect(killed.watch.session).toBeGreaterThan(1);
    else expect(missed).toContain("stability@03:00");
    // The gaps are not uptime: the closing summary counts them (the uptime-24h criterion reads
    // the same samples: watch-units.test.ts).
    expect(outputs[3]).toMatch(/Uptime: 100 % over \d+ monitored min; coverage \d+(\.\d+)? %; 0 incident\(s\); [1-9] monitoring gap\(s\)/);
    expect(lines[lines.length - 1]).toMatchObject({ kind: "end", exit: 0 });
    expect(lines[lines.length - 1].verdict).toMatch(/^GO( WITH CONDITIONS)?$/);

    // After the end, the watchdog reports the finished watch, not an outage.
    const after = await watchdog(env);
    expect(after.exitCode, after.stdout).toBe(0);
    expect(after.stdout).toMatch(/watch finished/);
  });
});
