import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { evaluateRules } from "../../src/judge/alert-rules.ts";
import { testClock } from "../../src/judge/clock.ts";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.ts";
import { createSilence } from "../../src/judge/silences.ts";
import { stateFile, StateFileError } from "../../src/state/state-file.ts";
import { emptyJudgeState, judgeStateFile } from "../../src/judge/judge-state.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "judge-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("state file", () => {
  it("a missing file is the initial state", async () => {
    expect(await judgeStateFile(join(dir, "nested", "judge-state.json")).load()).toEqual(emptyJudgeState());
  });

  it("round-trips alert state, silences and baselines", async () => {
    const file = judgeStateFile(join(dir, "judge-state.json"));
    const clock = testClock();
    const { state: alerts } = evaluateRules({
      rules: configSchema.parse({}).alerts.rules,
      observations: { "kpi-latency": { value: 700, verdict: "FAIL", measured: true } },
      state: emptyJudgeState().alerts,
      clock,
      checkpoint: "01:30",
    });
    const value = {
      ...emptyJudgeState(),
      alerts,
      silences: [createSilence({ ruleId: "cpu-warning", forMinutes: 30, by: "ops", reason: "load test" }, clock)],
      baselines: { hour1: { source: "hour1", checkpoint: "01:00", recordedAt: "2025-12-26T01:00:00.000Z", samples: { kpi_latency_ms: [1.1, 1.2] } } },
    };
    expect(alerts.alerts["latency-critical"]).toMatchObject({ status: "firing", lastValue: 700, lastMeasuredAt: "2025-12-26T00:00:00.000Z" });
    await file.save(value);
    expect(await judgeStateFile(file.path).load()).toEqual(value);
    expect((await readdir(dir)).sort()).toEqual(["judge-state.json"]); // no temp or lock left behind
  });

  it.each([
    ["not JSON", '{"version": 1, "alerts": ', /judge-state\.json: corrupt state file, not valid JSON/],
    ["the wrong shape", '{"version": 1, "alerts": {"version": 1, "alerts": {}}, "silences": "none", "baselines": {}}', /judge-state\.json: invalid state file at silences:/],
    ["empty", "", /judge-state\.json: corrupt state file/],
  ])("a file that is %s is a one-line error naming the file, never a silent reset", async (_name, content, message) => {
    const path = join(dir, "judge-state.json");
    await writeFile(path, content);
    const file = judgeStateFile(path);
    const error = await file.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/\n/);
    await expect(file.update((s) => s)).rejects.toThrow(StateFileError);
    expect(await readFile(path, "utf8")).toBe(content); // untouched
  });

  it("a file written before alerts recorded lastMeasuredAt loads as never measured, and stale checks fall back to firedAt", async () => {
    const path = join(dir, "judge-state.json");
    const old = {
      ruleId: "cpu-critical",
      status: "firing",
      incidentId: "cpu-critical@2025-12-26T00:00:00.000Z",
      pendingSince: "2025-12-26T00:00:00.000Z",
      firedAt: "2025-12-26T00:00:00.000Z",
      firedAtCheckpoint: "00:00",
      resolvedAt: null,
      notified: true,
      lastNotifiedAt: "2025-12-26T00:00:00.000Z",
      escalationsReached: [],
      lastValue: 93,
      lastEvaluatedAt: "2025-12-26T00:00:00.000Z",
    };
    await writeFile(path, JSON.stringify({ version: 1, alerts: { version: 1, alerts: { "cpu-critical": old } }, silences: [], baselines: {} }));
    const loaded = await judgeStateFile(path).load();
    expect(loaded.alerts.alerts["cpu-critical"]).toMatchObject({ status: "firing", lastMeasuredAt: null });
    const clock = testClock(Date.parse("2025-12-26T00:30:00.000Z"));
    const r = evaluateRules({ rules: configSchema.parse({}).alerts.rules, observations: {}, state: loaded.alerts, clock, checkpoint: "00:30" });
    expect(r.firing.map((f) => [f.ruleId, f.stale])).toEqual([["cpu-critical", { since: "2025-12-26T00:00:00.000Z" }]]);
  });

  it("refuses to save an invalid state", async () => {
    const file = judgeStateFile(join(dir, "judge-state.json"));
    await expect(file.save({ ...emptyJudgeState(), silences: [{ id: "x" }] } as never)).rejects.toThrow(/refusing to save invalid state at silences\.0/);
  });

  it("concurrent read-modify-write updates from two handles lose nothing", async () => {
    const path = join(dir, "counter.json");
    const schema = z.object({ n: z.number(), writers: z.array(z.string()) });
    const a = stateFile(path, schema, () => ({ n: 0, writers: [] }));
    const b = stateFile(path, schema, () => ({ n: 0, writers: [] }));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).update((s) => ({ n: s.n + 1, writers: [...s.writers, `w${i}`] }))),
    );
    const final = await a.load();
    expect(final.n).toBe(40);
    expect(new Set(final.writers).size).toBe(40);
  });
});

describe("temp files of writers killed mid-write", () => {
  it("are removed by the next write when their pid is gone; a live writer's temp file stays", async () => {
    const { mkdtempSync, writeFileSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { writeJsonAtomic } = await import("../../src/state/state-file.js");
    const dir = mkdtempSync(join(tmpdir(), "state-temps-"));
    try {
      const file = join(dir, "cutover.json");
      const dead = `cutover.json.${2 ** 22 + 777}.abcd1234.tmp`; // above pid_max: no such process
      const live = `cutover.json.${process.pid}.beef0001.tmp`;
      writeFileSync(join(dir, dead), "{");
      writeFileSync(join(dir, live), "{");
      await writeJsonAtomic(file, { ok: true });
      expect(readdirSync(dir).sort()).toEqual(["cutover.json", live].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
