import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/judge/clock.ts";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.ts";
import { judgeMemoryTrend, memoryTrend, type MemorySample, type MemoryTrendOk } from "../../src/judge/trend.ts";
import { prng } from "./prng.ts";

const thresholds = configSchema.parse({}).thresholds;
const T0 = Date.parse("2025-12-26T00:00:00Z");

describe("memoryTrend", () => {
  it("fits an exact line", () => {
    const t = memoryTrend([
      { t: T0, mb: 100 },
      { t: T0 + HOUR_MS / 2, mb: 105 },
      { t: T0 + HOUR_MS, mb: 110 },
    ]) as MemoryTrendOk;
    expect(t.status).toBe("ok");
    expect(t.slopeMbPerHour).toBeCloseTo(10, 9);
    expect(t.growthPercentPerHour).toBeCloseTo(10, 9);
    expect(t.r2).toBeCloseTo(1, 9);
    expect(t.windowMinutes).toBe(60);
    expect(t.hoursTo500Mb).toBeCloseTo(39, 9);
    expect(t.stableWithinPercent).toBeCloseTo((5 / 105) * 100, 9);
  });

  it("uses the real sample times, in any order", () => {
    const t = memoryTrend([
      { t: T0 + 2 * HOUR_MS, mb: 120 },
      { t: T0, mb: 100 },
    ]) as MemoryTrendOk;
    expect(t.slopeMbPerHour).toBeCloseTo(10, 9);
  });

  it.each<[string, MemorySample[]]>([
    ["no samples", []],
    ["one sample", [{ t: T0, mb: 100 }]],
    ["zero time span", [{ t: T0, mb: 100 }, { t: T0, mb: 120 }]],
    ["only unusable samples", [{ t: T0, mb: Number.NaN }, { t: T0 + 1, mb: Number.NaN }]],
  ])("%s is insufficient, and judged FAIL rather than PASS", (_name, samples) => {
    const t = memoryTrend(samples);
    expect(t.status).toBe("insufficient");
    const j = judgeMemoryTrend(t, thresholds);
    expect(j.verdict).toBe("FAIL");
    expect(j.value).toBeNull();
  });

  it("does not project a limit when memory is not growing", () => {
    const t = memoryTrend([
      { t: T0, mb: 150 },
      { t: T0 + HOUR_MS, mb: 140 },
    ]) as MemoryTrendOk;
    expect(t.hoursTo500Mb).toBeNull();
  });
});

describe("the leak check", () => {
  /** Samples every 5 minutes of `mbAt(hours)` with ±noise MB, up to `hours`. */
  function series(mbAt: (h: number) => number, hours: number, noiseMb: number, seed: number): MemorySample[] {
    const rand = prng(seed);
    const out: MemorySample[] = [];
    for (let m = 0; m <= hours * 60; m += 5) out.push({ t: T0 + m * MINUTE_MS, mb: mbAt(m / 60) + (rand() * 2 - 1) * noiseMb });
    return out;
  }

  it.each([
    ["compounding 30 %/h", (h: number) => 105.5 * 1.3 ** h],
    ["linear 30 %/h of the start", (h: number) => 105.5 * (1 + 0.3 * h)],
  ])("a %s leak from the week-3 peak is flagged before it crosses 500 MB", (_name, mbAt) => {
    const all = series(mbAt, 12, 2, 7);
    // Judge at each 30-minute checkpoint over the samples seen so far.
    let flaggedAt: number | undefined;
    for (let cp = 30; cp <= 12 * 60; cp += 30) {
      const seen = all.filter((s) => s.t <= T0 + cp * MINUTE_MS);
      const j = judgeMemoryTrend(memoryTrend(seen), thresholds);
      if (j.verdict === "FAIL") {
        flaggedAt = cp;
        expect(seen.at(-1)!.mb).toBeLessThan(500);
        expect(j.value!).toBeGreaterThan(20);
        expect((j.trend as MemoryTrendOk).hoursTo500Mb!).toBeGreaterThan(3);
        break;
      }
    }
    expect(flaggedAt).toBeDefined();
    const crossing = all.find((s) => s.mb > 500);
    if (crossing) expect(T0 + flaggedAt! * MINUTE_MS).toBeLessThan(crossing.t);
    expect(flaggedAt!).toBeLessThanOrEqual(60);
  });

  it("a flat noisy series over 8 hours is stable and passes", () => {
    const samples = series(() => 150, 8, 6, 11);
    const j = judgeMemoryTrend(memoryTrend(samples), thresholds);
    const t = j.trend as MemoryTrendOk;
    expect(j.verdict).toBe("PASS");
    expect(Math.abs(t.growthPercentPerHour!)).toBeLessThan(1);
    expect(t.stableWithinPercent).toBeLessThan(thresholds.memoryStableWithinPercent);
  });

  it("two noisy samples a minute apart do not extrapolate into a leak", () => {
    const t = memoryTrend([
      { t: T0, mb: 150 },
      { t: T0 + MINUTE_MS, mb: 153 },
    ]) as MemoryTrendOk;
    expect(t.growthPercentPerHour!).toBeGreaterThan(100); // the raw extrapolation is absurd...
    expect(judgeMemoryTrend(t, thresholds).verdict).toBe("PASS"); // ...but 3 MB is below the minimum effect
  });

  it("memory swinging beyond ±10 % without a trend is not stable: WARN", () => {
    const samples = Array.from({ length: 17 }, (_, i) => ({ t: T0 + i * 30 * MINUTE_MS, mb: i % 2 === 0 ? 120 : 160 }));
    const j = judgeMemoryTrend(memoryTrend(samples), thresholds);
    expect(j.verdict).toBe("WARN");
    expect(j.reason).toMatch(/not stable within ±10 %/);
  });
});
