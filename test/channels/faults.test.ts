/**
 * Issue 11's fault matrix, live: the reference pipeline writes every run to its local files,
 * Azure Blob Storage (Azurite, really running) and Supabase (PostgreSQL 15, really running);
 * each channel fault is injected into it at run time, and the monitor's dataQuality probe, the
 * catalogue's output checks, the default alert rules and the decision tree (the same functions a
 * checkpoint runs, in this process) must answer:
 * - wrong data (partial, drift, corrupt) -> that channel's data-quality check FAILs naming the rule
 *   (and the row), data-quality-issue fires (CRITICAL, rollback recommended), every other output
 *   check stays PASS (the reconciliation compares the two healthy channels);
 * - down or stale -> that channel's output check FAILs, output-channel-down fires (HIGH, no
 *   rollback), its data (an older run, still right) and the other channels stay PASS;
 * - Azurite or PostgreSQL really stopped -> the same channel-down answer, "unreachable";
 * - the Supabase channel in a second schema with other table names, by configuration alone.
 *
 * Faults are switched with the pipeline's own `setFaults` (what `pipeline fault` runs), in this
 * process. Each matrix case starts from a cleared fault and a run written after the clear; its
 * judgement then shows the other channels healthy (every other output check PASS), and the last
 * tests (services stopped) start from every check PASS after the last fault was cleared. The
 * services-down tests come last on the matrix's own pipeline: they stop Azurite and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CHANNELS, type ChannelName } from "../../src/probes/outputs/channel.js";
import { setFaults } from "../../pipeline/service/control.ts";
import { DQ_OF, OUTPUT_CHECKS, OUTPUT_OF, configFor, judgeOutputs, show, startChannelPipeline, startServices, waitFor, type ChannelPipeline, type Judged, type Services } from "./support.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const MAX_AGE = 4;
const failing = (j: Judged) => j.checks.filter((c) => c.verdict !== "PASS").map((c) => c.id).sort();

let s: Services;
beforeAll(async () => {
  s = await startServices();
});
afterAll(async () => {
  await s?.stop();
});

/** `pipeline fault SPEC...|clear` (the pipeline's setFaults, in this process), until the service's /health shows the faults. */
async function fault(p: ChannelPipeline, specs: string[] | "clear"): Promise<void> {
  const r = await setFaults(p.dir, p.port, specs);
  if (r.applied) return;
  await waitFor(async () => {
    const h = (await (await fetch(`${p.url}/health`, { signal: AbortSignal.timeout(3000) })).json()) as { faults?: string[] };
    return JSON.stringify(h.faults) === JSON.stringify(r.faults);
  }, 30_000, `the service to show faults ${r.faults.join(",") || "(none)"}`, 100);
}

describe("the Supabase channel in another schema with other table names, by configuration alone", () => {
  let p: ChannelPipeline;
  let config: ReturnType<typeof configFor>;
  beforeAll(async () => {
    p = await startChannelPipeline(s, { container: "second-outputs", schema: "analytics", tables: { runs: "pipeline_runs", loans_processed: "loan_rows", kpi_results: "kpi_values" } });
    config = configFor(p, { maxAgeSeconds: MAX_AGE });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("healthy: read from analytics.pipeline_runs / loan_rows / kpi_values, PASS; a corrupt row there FAILs data-quality-supabase only", async () => {
    await p.nextRun();
    const j = await judgeOutputs(config, s.env);
    for (const id of OUTPUT_CHECKS) expect(j.byId[id]!.verdict, show(j)).toBe("PASS");
    expect(j.byId["data-quality-supabase"]!.measured).toMatch(/^Supabase analytics\.loan_rows \(run run_\S+\): 2000 rows/);
    await fault(p, ["supabase:corrupt"]);
    await p.nextRun();
    const bad = await judgeOutputs(config, s.env);
    expect(failing(bad), show(bad)).toEqual(["data-quality-supabase"]);
    expect(bad.byId["data-quality-supabase"]!.measured).toMatch(/non-negative: 1 row .*row 1001 L0001001 dpd_0_7_usd=/);
    expect(bad.firing).toEqual(["data-quality-issue"]);
  });
});

describe("one pipeline writing to all three channels", () => {
  let p: ChannelPipeline;
  let config: ReturnType<typeof configFor>;

  beforeAll(async () => {
    p = await startChannelPipeline(s, { container: "matrix-outputs", schema: "outputs_matrix" });
    config = configFor(p, { maxAgeSeconds: MAX_AGE });
  });
  afterAll(async () => {
    await p?.stop();
  });

  describe("output channels: every fault caught by the right check, for the right channel, with the right alert", () => {
    // Each case starts from a cleared fault and a whole run written after the clear.
    afterEach(async () => {
      await fault(p, "clear");
      await p.nextRun();
    }, 90_000);

    it("a healthy run with all three channels: every output check PASS, reconciled, no alert", async () => {
      const j = await waitFor(async () => {
        const x = await judgeOutputs(config, s.env);
        return failing(x).length === 0 ? x : undefined;
      }, 60_000, "every output check PASS", 200);
      for (const id of OUTPUT_CHECKS) expect(j.byId[id]!.verdict, show(j)).toBe("PASS");
      expect(j.firing).toEqual([]);
      expect(j.decision.severity).toBe("NONE");
      const recon = j.byId["output-reconciliation"]!;
      expect(recon.measured).toMatch(/^run run_\S+ in local, Azure, Supabase: 2000 rows each, same keys, column checksums and KPIs$/);
      for (const ch of CHANNELS) {
        expect(j.byId[DQ_OF[ch]]!.value, `${ch}: Data Quality 100 %`).toBe(100);
        expect(j.byId[DQ_OF[ch]]!.measured).toMatch(/2000 rows, 0 nulls, 0 duplicates; data quality 100 % \(2000\/2000 rows/);
      }
      // the same run everywhere, and each channel's rows are the input minus nothing rejected
      const runs = CHANNELS.map((ch) => {
        const m = j.measurement.channels[ch];
        return m.configured && m.reachable ? m.run?.runId : null;
      });
      expect(new Set(runs).size, JSON.stringify(runs)).toBe(1);
      expect(j.measurement.input).toMatchObject({ rows: 2000, rejected: 0 });
    });

    const WRONG: [ChannelName, "partial" | "drift" | "corrupt", RegExp][] = [];
    for (const ch of CHANNELS) {
      WRONG.push([ch, "partial", /complete: 1000 rows, the manifest says 2000/]);
      WRONG.push([ch, "drift", /kpi: PAR30 [\d.]+ in the KPI results, [\d.]+ recomputed from the rows/]);
      WRONG.push([ch, "corrupt", /non-negative: 1 row \(dpd_0_7_usd: 1\), e\.g\. row 1001 L0001001 dpd_0_7_usd="-[\d.]+" \(negative\); sum: 1 row/]);
    }
    it.each(WRONG)("%s:%s (wrong data) -> that channel's data-quality check FAILs with the rule and row; data-quality-issue CRITICAL; the rest PASS", async (ch, mode, rule) => {
      await fault(p, [`${ch}:${mode}`]);
      await p.nextRun();
      const j = await judgeOutputs(config, s.env);
      const id = DQ_OF[ch];
      expect(failing(j), show(j)).toEqual([id]);
      const c = j.byId[id]!;
      expect(c.verdict).toBe("FAIL");
      expect(c.notMeasured).toBeUndefined();
      expect(c.measured, show(j)).toMatch(rule);
      expect(c.measured.startsWith(ch === "local" ? "local " : ch === "azure" ? "Azure " : "Supabase ")).toBe(true);
      const failures = (c.evidence as { failures: { channel: string; rule: string }[] }).failures;
      expect(failures.every((f) => f.channel === ch)).toBe(true);
      // the other two channels are still reconciled with each other
      expect(j.byId["output-reconciliation"]!.measured).toMatch(new RegExp(`left out: ${ch}: fails its own data-quality check`));
      expect(j.firing).toEqual(["data-quality-issue"]);
      expect(j.decision).toMatchObject({ severity: "CRITICAL", rollback: "recommended" });
      if (mode === "corrupt") expect(c.value).toBe(99.95); // 1999 of 2000 rows pass every rule
    });

    const DOWN: [ChannelName, "down" | "stale"][] = CHANNELS.flatMap((ch) => [[ch, "down"], [ch, "stale"]] as [ChannelName, "down" | "stale"][]);
    it.each(DOWN)("%s:%s -> that channel's output check FAILs (stale), output-channel-down HIGH without rollback; its data and the other channels PASS", async (ch, mode) => {
      await fault(p, [`${ch}:${mode}`]);
      await p.nextRun();
      // Stale once the channel's newest run is older than its maximum age (target.outputs.<ch>.maxAgeSeconds).
      // Between two judgements, wait until the newest run measured can be that old (nothing is
      // written to the channel any more: its age grows with the clock).
      const j = await waitFor(async () => {
        const x = await judgeOutputs(config, s.env);
        const m = x.measurement.channels[ch];
        const age = m.configured && m.reachable ? (m.head.ageSeconds ?? 0) : 0;
        if (age > MAX_AGE) return x;
        await new Promise((r) => setTimeout(r, Math.max(100, (MAX_AGE - age) * 1000 + 100)));
        return undefined;
      }, 30_000, `${ch}'s newest run older than ${MAX_AGE} s`, 0);
      expect(failing(j), show(j)).toEqual([OUTPUT_OF[ch]]);
      expect(j.byId[OUTPUT_OF[ch]]!.measured).toMatch(/stale: written \d+ s ago \(max 4 s\)/);
      expect(j.firing).toEqual(["output-channel-down"]);
      expect(j.decision).toMatchObject({ severity: "HIGH", rollback: "no" });
      expect(j.byId["output-reconciliation"]!.measured).toMatch(new RegExp(`left out: ${ch}: stale`));
    });
  });

  // Last (the services stay stopped), on the matrix's pipeline: every channel healthy again after its last fault.
  describe("a channel's service really down", () => {
    it("Azurite stopped -> output-azure FAILs unreachable, data-quality-azure not measured, output-channel-down HIGH; local and Supabase PASS", async () => {
      const before = await judgeOutputs(config, s.env);
      expect(failing(before), `every channel healthy again after the last fault was cleared\n${show(before)}`).toEqual([]);
      await s.stopAzurite();
      const j = await judgeOutputs(config, s.env);
      expect(failing(j), show(j)).toEqual(["data-quality-azure", "output-azure"]);
      expect(j.byId["output-azure"]!.measured).toMatch(/^Azure output channel unreachable: /);
      expect(j.byId["output-azure"]!.notMeasured).toBeUndefined();
      expect(j.byId["data-quality-azure"]!.notMeasured).toBe(true);
      expect(j.byId["output-reconciliation"]!).toMatchObject({ verdict: "PASS" });
      expect(j.firing).toEqual(["output-channel-down"]);
      expect(j.decision).toMatchObject({ severity: "HIGH", rollback: "no" });
      expect(JSON.stringify(j.checks)).not.toContain(s.azurite.connectionString.match(/AccountKey=([^;]+)/)![1]);
    });

    it("PostgreSQL stopped as well -> output-supabase FAILs unreachable; the local channel still PASS", async () => {
      await s.stopPostgres();
      const j = await judgeOutputs(config, s.env);
      expect(failing(j), show(j)).toEqual(["data-quality-azure", "data-quality-supabase", "output-azure", "output-reconciliation", "output-supabase"]);
      expect(j.byId["output-supabase"]!.measured).toMatch(/^Supabase output channel unreachable: /);
      expect(j.byId["output-reconciliation"]!).toMatchObject({ verdict: "WARN" });
      expect(j.byId["output-reconciliation"]!.measured).toMatch(/^not judged: fewer than two channels/);
      for (const id of ["data-quality", "output-local"]) expect(j.byId[id]!.verdict, show(j)).toBe("PASS");
      expect(j.firing).toEqual(["output-channel-down"]);
      const pw = new URL(s.pgUrl).password;
      if (pw.length >= 8) expect(JSON.stringify(j.checks)).not.toContain(pw);
    });
  });
});
