/**
 * Three healthy compressed 24 hours (issue 9 §5), side by side: each watch cuts over, follows its
 * schedule at x1800 and samples in between; no alert fires, uptime is 100 % with no monitoring gap,
 * the final checkpoint passes its success criteria and the watch exits 0 (GO).
 *
 * The three runs differ in their sampling phase: a sample every 15 s (back to back at x1800), every
 * 10 min and every 30 min of the watch's clock, and in their schedules (the checkpoints fall at
 * other times of the day, between other samples; the two shorter ones hold what the final's
 * 24-hour criteria need). Each has its own port, pipeline dir and reports dir. They run at the same
 * time on this 2-core machine: the watch's clock holds while a checkpoint runs, so a checkpoint
 * slowed by its neighbours costs the compressed day nothing.
 * Everything is asserted on sample and checkpoint indices and on the watch's clock, never on wall
 * time.
 * The latency and CPU bands are wide: this is about the watch's verdicts on a healthy pipeline,
 * not about the CPU a shared machine gives it (watch-faults.test.ts uses real bands for faults).
 */
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, describe, it, vi, type ExpectStatic } from "vitest";
import { ROOT, SHORT_SCHEDULE, cleanup, recordsOf, samplesOf, watchEnv, type WatchEnv } from "./watch-harness.js";

vi.setConfig({ testTimeout: 360_000, hookTimeout: 60_000 });

const SPEED = 1800;

const RUNS: { name: string; every: number; schedule: { phase: string; at: string }[] }[] = [
  { name: "every phase once, a sample every 15 s", every: 15, schedule: SHORT_SCHEDULE },
  {
    // What the final's 24-hour criteria need (hour0; hour1 and stability for hours 0-8; day for 8-24).
    name: "a sample every 10 min, checkpoints at 03:30 and 15:00",
    every: 600,
    schedule: [
      { phase: "hour0", at: "00:00" },
      { phase: "hour1", at: "01:00" },
      { phase: "stability", at: "03:30" },
      { phase: "day", at: "15:00" },
      { phase: "final", at: "24:00" },
    ],
  },
  {
    // extended covers both the hours 0-8 and the hours 8-24 criteria.
    name: "a sample every 30 min, checkpoints at 01:30 and 07:00",
    every: 1800,
    schedule: [
      { phase: "hour0", at: "00:00" },
      { phase: "hour1", at: "01:30" },
      { phase: "extended", at: "07:00" },
      { phase: "final", at: "24:00" },
    ],
  },
];

/** `npm run monitor` as a user runs it (bin/cutover-monitor.mjs: the built dist/, no TypeScript loader). */
function startWatch(w: WatchEnv, args: string[]): { proc: ResultPromise; output: () => string } {
  const proc = execa(process.execPath, [path.join(ROOT, "bin", "cutover-monitor.mjs"), "monitor", "--config", w.config, ...args], { cwd: ROOT, reject: false, env: w.env, stdin: "ignore", all: true, timeout: 240_000 });
  let out = "";
  proc.all?.on("data", (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

describe.concurrent("the watch on a healthy pipeline: three compressed 24 hours at once", () => {
  const started: { w: WatchEnv; proc?: ResultPromise }[] = [];
  afterAll(async () => {
    // A watch still running (its test failed or timed out) first, then the pipeline it started.
    for (const s of started) {
      if (s.proc?.pid && s.proc.exitCode === null && s.proc.signalCode === null) {
        s.proc.kill("SIGKILL");
        await s.proc.catch(() => undefined);
      }
      await cleanup(s.w);
    }
  }, 120_000);

  RUNS.forEach((run) => {
    it(`${run.name}: no alert, uptime 100 %, every checkpoint once, exit 0`, async ({ expect }) => {
      await healthyRun(run, expect);
    });
  });

  async function healthyRun(run: (typeof RUNS)[number], expect: ExpectStatic): Promise<void> {
    const w = await watchEnv({
      schedule: run.schedule,
      target: { kpi: { samples: 6 }, testSuite: { expectedTotal: 29 } },
      thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } },
    });
    const mine: (typeof started)[number] = { w };
    started.push(mine);
    const watch = startWatch(w, ["--cutover", "--speed", String(SPEED), "--sample-every", String(run.every)]);
    mine.proc = watch.proc;
    const r = await watch.proc;
    const why = `\n${watch.output().slice(-4000)}`;
    const { lines, bad } = samplesOf(w);
    const { lines: records } = recordsOf(w);
    expect(bad, why).toBe(0);
    expect(r.exitCode, why).toBe(0);
    expect(lines[0]).toMatchObject({ kind: "start", session: 1, speed: SPEED, every: run.every, resumed: false });

    // Every scheduled checkpoint once, in order, in the record and in the watch's history.
    expect(records.map((x) => `${x.phase}@${x.scheduled_at}`)).toEqual(run.schedule.map((s) => `${s.phase}@${s.at}`));
    const checkpoints = lines.filter((l) => l.kind === "checkpoint");
    expect(checkpoints.map((c) => `#${c.index} ${c.slot}`)).toEqual(run.schedule.map((s, i) => `#${i} ${s.phase}@${s.at}`));

    // Samples numbered 0..n-1; at least one between every two checkpoints (also when they run late).
    const samples = lines.filter((l) => l.kind === "sample");
    expect(samples.map((s) => s.i)).toEqual(samples.map((_, i) => i));
    const at = (kind: string, pred: (l: any) => boolean) => lines.findIndex((l) => l.kind === kind && pred(l));
    for (let c = 1; c < checkpoints.length; c++) {
      const from = at("checkpoint", (l) => l.index === c - 1);
      const to = at("checkpoint", (l) => l.index === c);
      expect(lines.slice(from, to).filter((l) => l.kind === "sample").length, `samples between checkpoint #${c - 1} and #${c}${why}`).toBeGreaterThanOrEqual(1);
    }
    // The sampling phase: after a checkpoint the samples follow a grid of --sample-every from its
    // end, so the n samples before the next checkpoint start no earlier than (n - 1) x every after it.
    for (let c = 0; c + 1 < checkpoints.length; c++) {
      const from = at("checkpoint", (l) => l.index === c);
      const between = lines.slice(from + 1, at("checkpoint", (l) => l.index === c + 1)).filter((l) => l.kind === "sample");
      if (between.length < 2) continue;
      expect(Date.parse(between[between.length - 1].t) - Date.parse(lines[from].end), `${between.length} samples after checkpoint #${c}`).toBeGreaterThanOrEqual((between.length - 1) * run.every * 1000);
    }

    // No alert at any sample or checkpoint; the pipeline up at every one.
    expect(samples.filter((s) => s.fired || s.firing.length).map((s) => `#${s.i}: ${JSON.stringify(s.v)} firing ${s.firing}`), why).toEqual([]);
    for (const rec of records) expect(rec.firing ?? [], `${rec.phase}@${rec.scheduled_at}`).toEqual([]);
    expect(samples.filter((s) => s.up !== true).map((s) => `#${s.i}`)).toEqual([]);
    expect(checkpoints.filter((c) => c.up !== true).map((c) => c.slot)).toEqual([]);

    // The final checkpoint: no success criterion FAILs, uptime 100 % measured continuously.
    const final = records[records.length - 1]!;
    expect(final.verdict).not.toBe("FAIL");
    expect(final.compressed?.speed).toBe(SPEED);
    const uptime = final.checks.find((c: { id: string }) => c.id === "uptime-24h");
    expect(uptime?.verdict, uptime?.measured).toBe("PASS");
    expect(uptime?.value).toBe(100);
    expect(lines.filter((l) => l.kind === "gap" || l.kind === "missed")).toEqual([]);
    expect(lines[lines.length - 1]).toMatchObject({ kind: "end", exit: 0, verdict: "GO" });
  }
});
