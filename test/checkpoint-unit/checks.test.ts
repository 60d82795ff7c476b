/** Evaluations the specs share, on hand-made measurements (the e2e tests cover them live). */
import { describe, expect, it } from "vitest";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.js";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import { kpiRanges } from "../../src/checks/pipeline.js";
import { againstHour1Baseline, memory, memoryGrowth, memoryStable } from "../../src/checks/metrics.js";

const config = configSchema.parse({});
const ok = <T>(data: T) => ({ ok: true as const, data, durationMs: 1 });

function ctx(measurements: Record<string, unknown>, hour1: CheckpointContext["baselines"]["hour1"] = null): CheckpointContext {
  return {
    config,
    checkpoint: { id: "x", phase: "extended", label: "extended", startedAt: "" },
    measurements: { phase: "extended", checkpoint: "x", startedAt: "", finishedAt: "", probes: [], state: {}, ...measurements },
    cutover: null,
    baselines: { hour1 },
    history: [],
    attestations: [],
  } as CheckpointContext;
}

const kpiFile = (kpis: Record<string, unknown>) => ({ dataQuality: ok({ kpiFile: { path: "outputs/kpis.json", readable: true, content: { kpis } } }) });

describe("KPI values in expected ranges (target.kpi.ranges)", () => {
  it.each([
    [{ PAR30: 2, PAR90: 0.5, CollectionRate: 3.1, PortfolioHealth: 3 }, "PASS"],
    [{ PAR30: 6, PAR90: 0.5, CollectionRate: 3.1, PortfolioHealth: 3 }, "WARN"],
    [{ PAR30: 2, PAR90: 5.5, CollectionRate: 3.1, PortfolioHealth: 3 }, "FAIL"],
    [{ PAR30: 2, PAR90: 0.5, CollectionRate: 0.9, PortfolioHealth: 3 }, "FAIL"],
    [{ PAR30: 2, PAR90: 0.5, CollectionRate: 3.1, PortfolioHealth: 11 }, "FAIL"],
    [{ PAR30: { value: 2 }, PAR90: { value: 0.5 }, CollectionRate: { value: 3.1 }, PortfolioHealth: { value: 3 } }, "PASS"],
    [{ PAR30: 2, PAR90: 0.5, CollectionRate: 3.1 }, "FAIL"],
  ] as const)("%j -> %s", (kpis, verdict) => {
    expect(kpiRanges(ctx(kpiFile(kpis))).verdict).toBe(verdict);
  });
});

describe("Compare metrics to Hour 1 baseline", () => {
  const base = { recordedAt: "t", checkpointId: "h1", latencySamplesMs: Array.from({ length: 30 }, (_, i) => 8 + (i % 5) * 0.1), serverLatencySamplesMs: [], memoryMb: 110, cpuPercent: 5, errorRatePercent: 0, auditTrailEvents: 42 };
  const measured = (latencyMs: number, memoryMb: number) => ({
    latency: ok({ samples: Array.from({ length: 30 }, (_, i) => ({ ok: true, endToEndMs: latencyMs + (i % 5) * 0.1 })) }),
    resources: ok({ rssMbMax: memoryMb, cpuPercentMean: 5 }),
    errorRate: ok({ errorRatePercent: 0 }),
  });

  it("the same as the baseline -> PASS", () => {
    expect(againstHour1Baseline(ctx(measured(8, 111), base)).verdict).toBe("PASS");
  });
  it("latency significantly worse beyond 5 % and the minimum effect -> WARN", () => {
    expect(againstHour1Baseline(ctx(measured(20, 111), base)).verdict).toBe("WARN");
  });
  it("memory up 30 % (and over the 10 MB minimum effect) -> WARN", () => {
    const r = againstHour1Baseline(ctx(measured(8, 143), base));
    expect(r.verdict).toBe("WARN");
    expect(r.measured).toMatch(/memory_mb/);
  });
  it("no baseline -> FAIL, never a PASS", () => {
    expect(againstHour1Baseline(ctx(measured(8, 111), null)).verdict).toBe("FAIL");
  });
  it("no successful latency sample -> FAIL (nothing to compare), not a WARN", () => {
    const m = measured(8, 111);
    m.latency = ok({ samples: [] });
    expect(againstHour1Baseline(ctx(m, base)).verdict).toBe("FAIL");
  });
});

describe("memory: one fact per check (band, growth, 24-hour stability)", () => {
  const MIN = 60_000;
  /** A history of checkpoints each with one memory sample, minutes apart, plus this checkpoint's samples. */
  function memoryCtx(historyMb: number[], nowMb: number[], stepMin = 30): CheckpointContext {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const c = ctx({
      resources: ok({ pid: 1, samples: nowMb.map((mb, i) => ({ at: t0 + historyMb.length * stepMin * MIN + i * 200, rssMb: mb, cpuPercent: 1 })), rssMbMax: Math.max(...nowMb), rssMbLast: nowMb[nowMb.length - 1], windowMs: 1000, cpuPercentMean: 1, cpuPercentMax: 1 }),
    });
    c.history = historyMb.map((mb, i) => ({ timestamp: new Date(t0 + i * stepMin * MIN).toISOString(), checkpointId: `c${i}`, phase: "stability", memory_mb: mb, kpi_latency_ms: 10, error_rate_percent: 0, cpu_percent: 1, audit_trail_events: 6, validation_status: null, verdict: "PASS", pipeline_status: "operational" }));
    return c;
  }

  it("memory-growth judges growth only: 600 MB flat is memory's FAIL, not a leak", () => {
    const c = memoryCtx([600, 600, 600, 600], [600, 600, 600]);
    expect(memory(c).verdict).toBe("FAIL");
    expect(memoryGrowth(c).verdict).toBe("PASS");
  });

  it("memory-growth FAILs on growth over 20 %/h whatever the band", () => {
    expect(memoryGrowth(memoryCtx([100, 130, 160, 190], [220, 220])).verdict).toBe("FAIL");
  });

  it("Memory Stable ±10 %: growth beyond it FAILs, a fall beyond it WARNs, a short history WARNs", () => {
    expect(memoryStable(memoryCtx([100, 101, 99, 100, 100], [100, 100])).verdict).toBe("PASS");
    expect(memoryStable(memoryCtx([100, 105, 110, 115, 120], [125, 125])).verdict).toBe("FAIL");
    expect(memoryStable(memoryCtx([130, 125, 120, 115, 110], [105, 105])).verdict).toBe("WARN");
    const short = memoryStable(memoryCtx([100, 130], [160], 1));
    expect(short.verdict).toBe("WARN");
    expect(short.measured).toMatch(/too short to judge/);
  });
});
