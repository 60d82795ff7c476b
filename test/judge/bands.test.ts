import { describe, expect, it } from "vitest";
import { describeBand, judgeBand, type Band } from "../../src/judge/bands.ts";
import type { Verdict } from "../../src/judge/verdict.ts";

const latency: Band = { metric: "kpi_latency_ms", unit: "ms", direction: "higher_is_worse", warnAt: 100, failAt: 500 };
const errorRate: Band = { metric: "error_rate_percent", unit: "%", direction: "higher_is_worse", warnAt: 0.1, failAt: 5 };
const collection: Band = { metric: "collection_rate", unit: "%", direction: "lower_is_worse", warnAt: 1.5, failAt: 1.0 };

describe("judgeBand: DESIGN.md's convention < 100 PASS, 100-500 WARN, > 500 FAIL", () => {
  it.each<[Band, number | null | undefined, Verdict]>([
    [latency, 0, "PASS"],
    [latency, 1.09, "PASS"],
    [latency, 99.999, "PASS"],
    [latency, 100, "WARN"], // lower edge belongs to WARN
    [latency, 300, "WARN"],
    [latency, 500, "WARN"], // upper edge belongs to WARN
    [latency, 500.001, "FAIL"],
    [latency, Number.POSITIVE_INFINITY, "FAIL"],
    [latency, null, "FAIL"], // measured nothing
    [latency, undefined, "FAIL"],
    [latency, Number.NaN, "FAIL"],
    [errorRate, 0, "PASS"],
    [errorRate, 0.1, "WARN"],
    [errorRate, 5, "WARN"],
    [errorRate, 5.01, "FAIL"],
    [collection, 2, "PASS"],
    [collection, 1.5, "WARN"],
    [collection, 1.0, "WARN"],
    [collection, 0.99, "FAIL"],
    [collection, null, "FAIL"],
  ])("%o: %s -> %s", (band, value, verdict) => {
    const j = judgeBand(value, band);
    expect(j.verdict).toBe(verdict);
    expect(j.reason).toContain(band.metric);
  });

  it("describes the band in words", () => {
    expect(describeBand(latency)).toBe("PASS < 100 ms, WARN 100-500 ms, FAIL > 500 ms");
    expect(judgeBand(42, latency).threshold).toBe("PASS < 100 ms, WARN 100-500 ms, FAIL > 500 ms");
    expect(describeBand(collection)).toBe("PASS > 1.5 %, WARN 1-1.5 %, FAIL < 1 %");
  });

  it("a missing value is FAIL with value null and says so", () => {
    const j = judgeBand(null, latency);
    expect(j).toMatchObject({ verdict: "FAIL", value: null });
    expect(j.reason).toMatch(/nothing measured/);
  });

  it("an inverted band is the monitor's own defect: ERROR", () => {
    expect(judgeBand(50, { ...latency, warnAt: 600 }).verdict).toBe("ERROR");
  });
});
