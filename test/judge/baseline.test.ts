import { describe, expect, it } from "vitest";
import { baselineOptionsFor, compareRatio, compareToBaseline, type BaselineComparisonInput } from "../../src/judge/baseline.ts";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.ts";
import { mannWhitneyU, median, normalCdf } from "../../src/judge/stats.ts";
import { noisy, prng } from "./prng.ts";

describe("Mann-Whitney U against textbook values", () => {
  it("no ties: x = [19, 22, 16, 29, 24], y = [20, 11, 17, 12]", () => {
    // By hand: pooled and ranked 11y(1) 12y(2) 16x(3) 17y(4) 19x(5) 20y(6) 22x(7) 24x(8) 29x(9).
    // R_x = 3 + 5 + 7 + 8 + 9 = 32; U_x = R_x - n1(n1+1)/2 = 32 - 15 = 17 (U_y = 20 - 17 = 3).
    // Under H0: mean U = n1 n2 / 2 = 10; var U = n1 n2 (n + 1) / 12 = 20 * 10 / 12 = 16.667, sd = 4.0825.
    // z = (17 - 10 - 0.5) / 4.0825 = 1.5922 (continuity corrected); one-sided p = 1 - Phi(1.5922) = 0.0557.
    // scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic") gives U = 17, p = 0.055673.
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.u).toBe(17);
    expect(r.meanU).toBe(10);
    expect(r.sdU).toBeCloseTo(4.0825, 4);
    expect(r.z).toBeCloseTo(1.5922, 4);
    expect(r.pGreater).toBeCloseTo(0.055673, 5);
  });

  it("with ties (mid-ranks and tie-corrected variance)", () => {
    // Tie groups in the pooled sample of 15: 2 (x3), 3 (x5), 4 (x3), 5 (x3) -> sum(t^3 - t) = 24 + 120 + 24 + 24 = 192.
    // var U = 7 * 8 / 12 * (16 - 192 / (15 * 14)) = 70.4 (sd 8.3905); U_x = 11; z = (11 - 28 + 0.5) / 8.3905 = -1.9665.
    // scipy (alternative="less", asymptotic): U = 11, p = 0.024619.
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4], [2, 3, 3, 4, 4, 5, 5, 5]);
    expect(r.u).toBe(11);
    expect(r.sdU ** 2).toBeCloseTo(70.4, 6);
    expect(r.pLess).toBeCloseTo(0.024619, 5);
    expect(r.pGreater).toBeCloseTo(0.981497, 5);
  });

  it("all values equal: no evidence either way", () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5])).toMatchObject({ u: 3, z: 0, pGreater: 1, pLess: 1 });
  });

  it("normal CDF", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.6448536)).toBeCloseTo(0.95, 6);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
  });

  it("median", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

const base = { tolerancePercent: 5, minAbsoluteEffect: 2, alpha: 0.05, metric: "kpi_latency_ms", unit: "ms" } as const;
const rand = prng(42);
const week3Like = noisy(rand, 30, 1.09, 0.05);

describe("compareToBaseline: WARN needs significance AND tolerance AND minimum effect", () => {
  it.each<[string, Partial<BaselineComparisonInput> & Pick<BaselineComparisonInput, "current" | "baseline">, "PASS" | "WARN" | "FAIL", RegExp]>([
    ["identical distributions", { current: week3Like, baseline: week3Like }, "PASS", /no change for the worse/],
    ["much slower and significant", { current: noisy(rand, 30, 12, 1), baseline: week3Like }, "WARN", /significant/],
    // +37 % and highly significant, but 0.4 ms is machine noise on a 2-core box.
    ["slower but below the minimum effect", { current: noisy(rand, 30, 1.5, 0.05), baseline: week3Like }, "PASS", /minimum effect of 2 ms/],
    // +46 % and +9.5 ms, but one sample against two proves nothing.
    ["large but not significant", { current: [30], baseline: [1, 40] }, "PASS", /not significant/],
    ["significant and above the minimum effect but within 5 %", { current: noisy(rand, 30, 104, 0.5), baseline: noisy(rand, 30, 100, 0.5), minAbsoluteEffect: 2 }, "PASS", /within 5 %/],
    ["an improvement never warns", { current: noisy(rand, 30, 0.2, 0.01), baseline: noisy(rand, 30, 50, 1) }, "PASS", /no change for the worse/],
    ["lower is worse: a drop warns", { current: noisy(rand, 30, 60, 1), baseline: noisy(rand, 30, 90, 1), direction: "lower_is_worse", minAbsoluteEffect: 1 }, "WARN", /significant/],
    ["lower is worse: a rise is an improvement", { current: noisy(rand, 30, 95, 1), baseline: noisy(rand, 30, 60, 1), direction: "lower_is_worse" }, "PASS", /no change for the worse/],
    ["no baseline", { current: [1, 2], baseline: [] }, "FAIL", /no baseline/],
    ["no samples", { current: [], baseline: [1, 2] }, "FAIL", /no samples/],
    ["only NaN samples", { current: [Number.NaN], baseline: [1, 2] }, "FAIL", /no samples.*1 non-numeric/],
  ])("%s", (_name, input, verdict, reason) => {
    const r = compareToBaseline({ direction: "higher_is_worse", ...base, ...input });
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(reason);
  });

  it("evidence shows the effect size and the test", () => {
    const r = compareToBaseline({ ...base, direction: "higher_is_worse", current: [19, 22, 16, 29, 24], baseline: [20, 11, 17, 12], alpha: 0.1 });
    expect(r).toMatchObject({ medianCurrent: 22, medianBaseline: 14.5, absoluteChange: 7.5, u: 17, significant: true, verdict: "WARN" });
    expect(r.relativeChangePercent).toBeCloseTo((7.5 / 14.5) * 100, 6);
    expect(r.pValue).toBeCloseTo(0.055673, 5);
    expect(r.reason).toMatch(/median 22 ms vs baseline 14.5 ms \(\+51.7 %, \+7.5 ms worse-ward; n=5\/4\); Mann-Whitney U=17, z=1.59, p=0.0557/);
  });

  it("lower_is_worse reports U and z in the worse direction", () => {
    const r = compareToBaseline({ ...base, direction: "lower_is_worse", current: [1, 2, 2, 3, 3, 3, 4], baseline: [2, 3, 3, 4, 4, 5, 5, 5], minAbsoluteEffect: 0 });
    expect(r.u).toBe(7 * 8 - 11);
    expect(r.z).toBeGreaterThan(0);
    expect(r.pValue).toBeCloseTo(0.024619, 5);
    expect(r.verdict).toBe("WARN");
  });

  it("a missing baseline is never a PASS", () => {
    expect(compareToBaseline({ ...base, direction: "higher_is_worse", current: [1], baseline: [] }).verdict).not.toBe("PASS");
  });
});

describe("compareRatio for mostly-zero metrics", () => {
  const ratio = { direction: "higher_is_worse", tolerancePercent: 5, minAbsoluteEffect: 0.1, metric: "error_rate_percent", unit: "%" } as const;
  it.each<[number | null, number | null, "PASS" | "WARN" | "FAIL", RegExp]>([
    [0, 0, "PASS", /no change/],
    [0.05, 0, "PASS", /minimum effect/],
    [0.5, 0, "WARN", /\+inf %/],
    [1.02, 1.0, "PASS", /minimum effect/],
    [1.5, 1.45, "PASS", /minimum effect/],
    [10.3, 10, "PASS", /within 5 %/],
    [2, 1, "WARN", /\+100 %/],
    [0, 1, "PASS", /no change for the worse/],
    [null, 0, "FAIL", /no samples/],
    [1, null, "FAIL", /no baseline/],
  ])("current %s vs baseline %s -> %s", (current, baseline, verdict, reason) => {
    const r = compareRatio({ ...ratio, current, baseline });
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(reason);
  });
});

describe("baselineOptionsFor", () => {
  it("maps each banded metric to its configured comparison", () => {
    const t = configSchema.parse({}).thresholds;
    expect(baselineOptionsFor("kpi_latency_ms", t)).toEqual({
      metric: "kpi_latency_ms",
      unit: "ms",
      direction: "higher_is_worse",
      tolerancePercent: 5,
      minAbsoluteEffect: 2,
      alpha: 0.05,
    });
    expect(baselineOptionsFor("memory_mb", t)?.minAbsoluteEffect).toBe(10);
    expect(baselineOptionsFor("cpu_percent", t)?.minAbsoluteEffect).toBe(10);
    expect(baselineOptionsFor("nope", t)).toBeUndefined();
  });
});
