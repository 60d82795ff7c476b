/**
 * Issue 10 §1-3, without a browser: the hourly table's rows are the schedule's slots with the
 * record that stands for each (MISSED and late ones too) and the record's own values; the 24-hour
 * criteria are read by check id from the final checkpoint; GO / NO-GO follows the config's rules;
 * recommendations name their data; Allure statuses never show a WARN as passed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorConfigSchema } from "../../src/config/resolve.ts";
import { DEFAULT_SCHEDULE } from "../../src/config/schedule.ts";
import type { CheckpointRecord } from "../../src/checkpoint/context.ts";
import { ALLURE_STATUS, allureCategories, launchResults } from "../../src/report/allure.ts";
import { buildModel } from "../../src/report/model.ts";
import { buildSignoff } from "../../src/report/signoff-model.ts";
import { readSources } from "../../src/report/sources.ts";
import { writeChained, writeSynthetic, type Synthetic } from "./fixtures/synthetic.ts";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "report-model-"));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function load(dir: string, extra: Record<string, unknown> = {}) {
  const config = { ...monitorConfigSchema.parse({ reportsDir: dir }), ...extra };
  const sources = await readSources({ config, source: "test" });
  const model = buildModel(sources);
  return { sources, model, signoff: buildSignoff(sources, model) };
}

describe("a 24-hour cutover with an incident, a WARN, two missed checkpoints and a late one", () => {
  let syn: Synthetic;
  let r: Awaited<ReturnType<typeof load>>;
  beforeAll(async () => {
    syn = writeSynthetic(tempDir(), { samples: false });
    r = await load(syn.reportsDir);
  });

  it("one row per scheduled checkpoint, each with the record that stands for it, its values and its verdict", () => {
    expect(r.model.slots.map((s) => `${s.phase}@${s.at}`)).toEqual(DEFAULT_SCHEDULE.map((s) => `${s.phase}@${s.at}`));
    for (const slot of r.model.slots) {
      const id = syn.ids[slot.at];
      if (!id) continue;
      const rec = syn.records.find((x) => x.checkpoint_id === id)!;
      expect(slot.checkpoint?.id).toBe(id);
      expect(slot.checkpoint).toMatchObject({ kpi_latency_ms: rec.kpi_latency_ms, error_rate_percent: rec.error_rate_percent, memory_mb: rec.memory_mb, cpu_percent: rec.cpu_percent, validation_status: rec.validation_status, verdict: rec.verdict });
    }
  });

  it("a due slot no record stands for is MISSED; a record after its slot's time is late by N min", () => {
    const bySlot = Object.fromEntries(r.model.slots.map((s) => [s.at, s]));
    expect(bySlot["05:00"]).toMatchObject({ status: "MISSED", checkpoint: null });
    expect(bySlot["15:00"]).toMatchObject({ status: "MISSED", checkpoint: null });
    expect(bySlot["07:00"]).toMatchObject({ status: "late", lateMinutes: 25 });
    expect(bySlot["03:00"]).toMatchObject({ status: "ran", statusText: "FAIL" });
    expect(r.model.counts).toEqual({ scheduled: 20, ran: 18, missed: 2, late: 1, notYetDue: 0 });
    expect(r.model.unscheduled.map((u) => u.phase)).toEqual(["pre-cutover"]);
  });

  it("the incidents: fired, delivered per channel, resolved, with their duration", () => {
    const inc = r.model.incidents.find((i) => i.rule === "error-rate-critical")!;
    expect(inc).toMatchObject({ severity: "critical", open: false, minutes: 30, firedCheckpoint: syn.ids["03:00"], resolvedCheckpoint: syn.ids["03:30"] });
    expect(new Set(inc.deliveries.filter((d) => d.ok).map((d) => d.channel))).toEqual(new Set(["pagerduty", "slack", "webhook", "email"]));
    const warn = r.model.incidents.find((i) => i.rule === "latency-warning")!;
    expect(warn.deliveries.find((d) => d.channel === "email")).toMatchObject({ ok: false, error: expect.stringMatching(/connection refused/) });
  });

  it("the criteria are the final checkpoint's verdicts by id; a FAIL is NO-GO and says why", () => {
    const s = r.signoff;
    expect(s.source?.id).toBe(syn.ids["24:00"]);
    expect(Object.fromEntries(s.criteria.map((c) => [c.key, c.verdict]))).toEqual({
      uptime: "WARN",
      "error-rate": "FAIL",
      "avg-latency": "PASS",
      "memory-stable": "PASS",
      audit: "PASS",
      "data-quality": "PASS",
      tests: "PASS",
      kpi: "PASS",
    });
    expect(s.decision).toBe("NO-GO");
    expect(s.reasons).toEqual([expect.stringMatching(/^Error Rate FAIL \(target < 0\.1 %\): highest error rate over 17 checkpoints 18\.18 %/)]);
    expect(s.conditions).toEqual(expect.arrayContaining([expect.stringMatching(/uptime not continuously measured/), expect.stringMatching(/stability@05:00 MISSED/), expect.stringMatching(/day@15:00 MISSED/)]));
    expect(s.actions.applies).toBe("fail");
    expect(s.signoffStatus).toBe("awaiting sign-off (0/3)");
    expect(s.criteria.find((c) => c.key === "error-rate")!.evidence[0]).toMatchObject({ page: expect.stringMatching(/^checkpoints\/.*final-2400/), anchor: "check-error-rate-24h" });
  });

  it("recommendations name their data: the warning, the incident, the missed and late checkpoints, the uptime gap", () => {
    const texts = r.signoff.recommendations.map((x) => x.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kpi-latency did not pass at 1 of 18 checkpoints \(\+12:00 WARN\); worst value 240 ms/),
        expect.stringMatching(/^incident error-rate-critical \(critical\) fired at \+03:00 at 18\.18, resolved at \+03:30 after 30 min; delivered to pagerduty, slack, webhook, email/),
        expect.stringMatching(/^2 scheduled checkpoint\(s\) did not run \(stability@05:00, day@15:00\)/),
        expect.stringMatching(/^1 checkpoint\(s\) ran late \(extended@07:00 by 25 min\)/),
        expect.stringMatching(/^uptime was not measured continuously/),
      ]),
    );
  });
});

describe("GO / NO-GO by the rules", () => {
  it("no FAIL: GO WITH CONDITIONS, each condition listed; with that finding ignored by the config: GO; made a no-go: NO-GO", async () => {
    const syn = writeSynthetic(tempDir(), { samples: true, missed: ["05:00"], late: {} });
    // The final checkpoints' error-rate-24h as a PASS: the incident was before 24 h... rewritten here.
    const records = syn.records.map((rec) => ({ ...rec, checks: rec.checks.map((c) => (c.id === "error-rate-24h" ? { ...c, verdict: "PASS" as const, measured: "highest error rate 0.05 %" } : c)) }));
    writeChained(path.join(syn.reportsDir, "checkpoints.jsonl"), records);
    const r = await load(syn.reportsDir);
    expect(r.signoff.decision).toBe("GO WITH CONDITIONS");
    expect(r.signoff.conditions).toEqual([expect.stringMatching(/^checkpoint stability@05:00 MISSED/)]);
    expect(r.signoff.criteria.find((c) => c.key === "uptime")!.verdict).toBe("PASS");
    // With the watch's samples every 15 s, the memory trend between 10:00 and 14:00 shows.
    expect(r.signoff.recommendations.map((x) => x.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^memory grew [5-7]\.\d+ %\/h between \+(09|10):00 and \+1[34]:00; peak 1\d\d MB \(limit 500 MB\): investigate before decommissioning V1$/)]));
    const lenient = await load(syn.reportsDir, { signoff: { rules: { missedCheckpoint: "ignore" } } });
    expect(lenient.signoff.decision).toBe("GO");
    const strict = await load(syn.reportsDir, { signoff: { rules: { missedCheckpoint: "no-go" } } });
    expect(strict.signoff.decision).toBe("NO-GO");
  });

  it("the final checkpoint FAILed on a check that is not a criterion: NO-GO naming it (the watch exits with this decision)", async () => {
    const syn = writeSynthetic(tempDir(), { samples: true, missed: [], late: {} });
    const last = syn.records.length - 1;
    const records = syn.records.map((rec, i) => ({
      ...rec,
      checks: [
        ...rec.checks.map((c) => (c.id === "error-rate-24h" ? { ...c, verdict: "PASS" as const, measured: "highest error rate 0.05 %" } : c)),
        ...(i === last ? [{ id: "stability-16h", title: "Extended stability confirmed (16 hours)", section: "final", verdict: "FAIL" as const, notMeasured: true, measured: "no checkpoint recorded in extended, day, final", threshold: "a checkpoint", advice: "", value: null }] : []),
      ],
      ...(i === last ? { verdict: "FAIL" as const, exit_code: 1 } : {}),
    }));
    writeChained(path.join(syn.reportsDir, "checkpoints.jsonl"), records);
    const r = await load(syn.reportsDir);
    expect(r.signoff.criteria.filter((c) => c.verdict === "FAIL")).toEqual([]);
    expect(r.signoff.decision).toBe("NO-GO");
    expect(r.signoff.reasons).toEqual([expect.stringMatching(/^the final@24:00 checkpoint FAILed: Extended stability confirmed \(16 hours\): no checkpoint recorded/)]);
    // The same record passing: no such finding.
    writeChained(path.join(syn.reportsDir, "checkpoints.jsonl"), records.map((rec, i) => (i === last ? { ...rec, verdict: "PASS" as const, exit_code: 0, checks: rec.checks.filter((c) => c.id !== "stability-16h") } : rec)));
    const ok = await load(syn.reportsDir);
    expect(ok.signoff.findings.filter((f) => f.kind === "finalCheckpointFailed")).toEqual([]);
  });

  it("before the final checkpoints are due: PENDING, the remaining slots not yet due", async () => {
    const syn = writeSynthetic(tempDir(), { startedHoursAgo: 6.2, missed: [] });
    // Only what had run 6.2 hours after the cutover.
    const ran = syn.records.filter((rec) => Date.parse(rec.timestamp) <= Date.now());
    writeChained(path.join(syn.reportsDir, "checkpoints.jsonl"), ran);
    const r = await load(syn.reportsDir);
    expect(r.signoff.decision).toBe("PENDING");
    expect(r.model.slots.find((s) => s.at === "12:00")).toMatchObject({ status: "not yet due" });
    expect(r.model.counts.missed).toBe(0);
  });

  it("a rolled-back cutover is NO-GO; the slots after the rollback are not run, not MISSED", async () => {
    const syn = writeSynthetic(tempDir(), { missed: [] });
    const rolledAt = new Date(Date.parse(syn.startedAt) + 3.6 * 3_600_000).toISOString();
    const kept = syn.records.filter((rec) => rec.timestamp <= rolledAt);
    writeChained(path.join(syn.reportsDir, "checkpoints.jsonl"), kept);
    writeFileSync(path.join(syn.reportsDir, "state", "cutover.json"), JSON.stringify({ version: 1, current: { startedAt: syn.startedAt, recordedBy: syn.ids["00:00"], rolledBack: { at: rolledAt, reason: "error-rate-critical", verified: true } }, previous: [] }));
    const r = await load(syn.reportsDir);
    expect(r.signoff.decision).toBe("NO-GO");
    expect(r.signoff.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/was rolled back at/)]));
    expect(r.signoff.rollbacks).toHaveLength(1);
    expect(r.model.slots.find((s) => s.at === "12:00")).toMatchObject({ status: "cancelled" });
    expect(r.model.counts.missed).toBe(0);
  });
});

describe("Allure results from the record", () => {
  const record = (verdicts: Record<string, "PASS" | "WARN" | "FAIL" | "ERROR">): CheckpointRecord =>
    ({
      timestamp: "2026-12-02T03:00:20.000Z",
      checkpoint_id: "cp-1",
      phase: "stability",
      scheduled_at: "03:00",
      verdict: "FAIL",
      exit_code: 1,
      duration_ms: 2000,
      config_source: "x",
      pipeline_status: "operational",
      checks: Object.entries(verdicts).map(([id, verdict]) => ({ id, title: id, section: "performance", verdict, measured: `${id} measured`, threshold: "t", value: 9.87654, unit: "ms", advice: "do x", lines: [{ spec: `stability.${id}`, title: id }] })),
    }) as unknown as CheckpointRecord;

  it("PASS passed, WARN broken, FAIL failed, ERROR unknown; history id = check id; rounded values with units; no stack trace", () => {
    const files = launchResults(record({ "kpi-latency": "WARN", "error-rate": "FAIL", cpu: "PASS", memory: "ERROR" }), monitorConfigSchema.parse({}));
    const results = files.filter((f) => f.name.endsWith("-result.json")).map((f) => JSON.parse(f.content));
    expect(Object.fromEntries(results.map((t) => [t.historyId, t.status]))).toEqual({ "kpi-latency": "broken", "error-rate": "failed", cpu: "passed", memory: "unknown" });
    for (const t of results) {
      expect(t.statusDetails.trace).toBeUndefined();
      expect(t.parameters.find((p: { name: string }) => p.name === "measured").value).toBe("9.88 ms");
      expect(t.labels).toEqual(expect.arrayContaining([{ name: "area", value: expect.any(String) }]));
    }
    expect(results.find((t) => t.historyId === "kpi-latency").labels).toEqual(expect.arrayContaining([{ name: "area", value: "latency" }]));
    expect(results.find((t) => t.historyId === "error-rate").statusDetails.message).toMatch(/^FAIL: error-rate measured\nthreshold: t\nwhat to do: do x$/);
    expect(files.find((f) => f.name === "environment.properties")!.content).toMatch(/^target=http/);
    expect(ALLURE_STATUS.WARN).not.toBe("passed");
    const names = allureCategories().rules.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["Warning", "Monitor error", "Failed: latency", "Failed: error rate", "Failed: memory", "Failed: CPU", "Failed: data quality", "Failed: audit", "Failed: sign-off"]));
  });
});
