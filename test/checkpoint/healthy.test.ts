/**
 * Issue 3 §5 / issue 4 §7 against the real reference pipeline: a healthy V2 cutover passes every
 * phase's checkpoint with complete records, the stability checkpoints warn about nothing, and a
 * healthy pipeline over 3 stability checkpoints raises no alert at all.
 */
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalReceivers, type LocalReceivers } from "../../src/alerts/local-receivers.js";
import { startPipeline, type StartedPipeline } from "../support/pipeline-harness.js";
import { ALL_ATTESTATIONS, attest, checkOf, checksWith, describeChecks, envFor, runCheckpoint, tempReportsDir, writeConfig, type CheckpointEnv, type CheckpointRun } from "../support/checkpoint-harness.js";
import fs from "node:fs";

const KEY_FIELDS = ["timestamp", "kpi_latency_ms", "error_rate_percent", "memory_mb", "cpu_percent", "pipeline_status", "audit_trail_events", "validation_status"] as const;
/** Fields each phase measures (hour0 measures none of the metrics). */
const MEASURED: Record<string, readonly string[]> = {
  "pre-cutover": ["timestamp", "kpi_latency_ms", "error_rate_percent", "memory_mb", "cpu_percent", "pipeline_status"],
  hour0: ["timestamp", "pipeline_status"],
  hour1: KEY_FIELDS,
  stability: ["timestamp", "kpi_latency_ms", "error_rate_percent", "memory_mb", "cpu_percent", "pipeline_status", "audit_trail_events"],
  extended: KEY_FIELDS,
  day: KEY_FIELDS,
  final: KEY_FIELDS,
};

function expectComplete(run: CheckpointRun, phase: string) {
  const r = run.record!;
  expect(r, "a record was appended").toBeTruthy();
  expect(r.phase).toBe(phase);
  for (const k of KEY_FIELDS) expect(k in r, `record has ${k}`).toBe(true);
  for (const k of MEASURED[phase]!) expect(r[k], `${phase}: ${k} measured`).not.toBeNull();
  expect(r.pipeline_status).toBe("operational");
  expect(r.exit_code).toBe(run.exitCode);
  expect(Array.isArray(r.checks) && r.checks.length).toBeTruthy();
  for (const c of r.checks) {
    expect(typeof c.measured, `${c.id} carries its evidence`).toBe("string");
    expect(c.threshold, `${c.id} carries its threshold`).toBeTruthy();
  }
}

// Each checkpoint is a whole process tree (tsx, vitest, the target's commands) on 2 cores.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("healthy V2 cutover: every phase passes", () => {
  let pipeline: StartedPipeline;
  let receivers: LocalReceivers;
  let reportsDir: string;
  let env: CheckpointEnv;
  let cfg: string[];
  const runs: Record<string, CheckpointRun[]> = {};
  let receivedAfterPre = { slack: 0, pagerduty: 0, email: 0, webhook: 0 };

  const run = async (phase: string, extra: string[] = []) => {
    const r = await runCheckpoint([`--phase=${phase}`, ...extra, ...cfg], env);
    (runs[phase] ??= []).push(r);
    return r;
  };

  beforeAll(async () => {
    receivers = await startLocalReceivers();
    pipeline = await startPipeline({ version: "v1", interval: 1 });
    reportsDir = tempReportsDir();
    env = envFor(pipeline, reportsDir, {
      SLACK_WEBHOOK_URL: receivers.slackUrl,
      PAGERDUTY_ROUTING_KEY: receivers.pagerdutyRoutingKey,
      SMTP_HOST: receivers.smtp.host,
      ALERT_WEBHOOK_URL: receivers.webhookUrl,
    });
    cfg = ["--config", writeConfig(reportsDir, { alerts: { channels: { slack: {}, pagerduty: { eventsUrl: receivers.pagerdutyUrl }, email: { port: receivers.smtp.port }, webhook: {} } } })];
  });

  afterAll(async () => {
    await pipeline?.stop();
    await receivers?.close();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  it("pre-cutover: exit 0, alert channels PASS (each got a test notification), attestations WARN while missing", async () => {
    const r = await run("pre-cutover");
    expect(r.exitCode, describeChecks(r)).toBe(0);
    expectComplete(r, "pre-cutover");
    const ch = checkOf(r.record, "pre.alert-channels");
    expect(ch.verdict, ch.measured).toBe("PASS");
    expect(ch.measured).toMatch(/slack/i);
    expect(ch.measured).toMatch(/pagerduty/i);
    expect(receivers.received.slack.length).toBeGreaterThanOrEqual(1);
    expect(receivers.received.pagerduty.length).toBeGreaterThanOrEqual(1);
    expect(receivers.received.email.length).toBeGreaterThanOrEqual(1);
    expect(receivers.received.webhook.length).toBeGreaterThanOrEqual(1);
    expect(receivers.rejected).toEqual([]);
    // Only the missing attestations warn, and only as WARN before the final phase.
    const warned = checksWith(r.record, "WARN");
    expect(warned.length).toBeGreaterThan(0);
    for (const w of warned) expect(w.id, describeChecks(r)).toMatch(/^pre\.(dashboard|on-call-briefed|rollback-trained|team-briefed|rollback-documented|on-call-schedule)$/);
    expect(checksWith(r.record, "FAIL"), describeChecks(r)).toEqual([]);
    expect(checkOf(r.record, "pre.test-suite").verdict).toBe("PASS");
    expect(r.stdout).toContain("Checkpoint:");
    receivedAfterPre = { slack: receivers.received.slack.length, pagerduty: receivers.received.pagerduty.length, email: receivers.received.email.length, webhook: receivers.received.webhook.length };
  });

  it("hour0: cuts over to V2, exit 0, 5 phases, cutover recorded", async () => {
    const r = await run("hour0");
    expect(r.exitCode, describeChecks(r)).toBe(0);
    expectComplete(r, "hour0");
    expect(checkOf(r.record, "hour0.phases").verdict).toBe("PASS");
    expect(checkOf(r.record, "hour0.v2-active").verdict).toBe("PASS");
    expect(r.stdout).toMatch(/CUTOVER COMPLETE/);
    expect((await pipeline.health()).version).toBe("v2");
  });

  it("hour1: exit 0, validation PASS, KPIs on golden data, audit trail, baseline recorded", async () => {
    const r = await run("hour1");
    expect(r.exitCode, describeChecks(r)).toBe(0);
    expectComplete(r, "hour1");
    expect(r.record!.validation_status).toBe("PASS");
    for (const id of ["hour1.validation-checks", "hour1.kpi-golden", "hour1.audit", "hour1.audit-generating", "hour1.v2-active"]) {
      expect(checkOf(r.record, id).verdict, `${id}: ${checkOf(r.record, id).measured}`).toBe("PASS");
    }
    expect(fs.existsSync(`${reportsDir}/state/alert-state.json`)).toBe(true);
  });

  it("stability x3: exit 0, no WARN, no FAIL, records complete", async () => {
    for (const at of ["01:30", "02:00", "02:30"]) {
      const r = await run("stability", [`--at=${at}`]);
      expect(r.exitCode, describeChecks(r)).toBe(0);
      expectComplete(r, "stability");
      expect(r.record!.scheduled_at).toBe(at);
      expect(checksWith(r.record, "WARN"), describeChecks(r)).toEqual([]);
      expect(checksWith(r.record, "FAIL"), describeChecks(r)).toEqual([]);
      expect(checksWith(r.record, "ERROR"), describeChecks(r)).toEqual([]);
      for (const id of ["stability.latency", "stability.error-rate", "stability.memory", "stability.cpu", "stability.audit-events"]) {
        expect(checkOf(r.record, id).verdict).toBe("PASS");
      }
      expect(r.stdout).not.toMatch(/\bWARN\s{2,}/);
    }
  });

  it("a healthy pipeline over 3 stability checkpoints raises no alert notice at all", () => {
    const stab = runs.stability ?? [];
    expect(stab.length).toBe(3);
    for (const r of stab) {
      expect(r.record!.alerts, `alerts at ${r.record!.checkpoint_id}`).toEqual([]);
      expect(r.record!.decision?.severity).toBe("NONE");
      expect(r.stdout).not.toMatch(/^Alerts:/m);
    }
    expect({ slack: receivers.received.slack.length, pagerduty: receivers.received.pagerduty.length, email: receivers.received.email.length, webhook: receivers.received.webhook.length }).toEqual(receivedAfterPre);
  });

  it("extended and day: exit 0, records complete", async () => {
    for (const phase of ["extended", "day"]) {
      const r = await run(phase);
      expect(r.exitCode, describeChecks(r)).toBe(0);
      expectComplete(r, phase);
      expect(checksWith(r.record, "FAIL"), describeChecks(r)).toEqual([]);
      expect(checksWith(r.record, "ERROR"), describeChecks(r)).toEqual([]);
    }
    expect(checkOf(runs.extended![0]!.record, "extended.data-quality").verdict).toBe("PASS");
    expect(checkOf(runs.day![0]!.record, "day.kpi").verdict).toBe("PASS");
  });

  it("final (with every attestation recorded through the attest CLI): exit 0, records complete", async () => {
    await attest(env, ALL_ATTESTATIONS, "E2E Tester", cfg);
    const r = await run("final");
    expect(r.exitCode, describeChecks(r)).toBe(0);
    expectComplete(r, "final");
    expect(checksWith(r.record, "ERROR"), describeChecks(r)).toEqual([]);
    expect(checkOf(r.record, "final.attestations").verdict).toBe("PASS");
    expect(checkOf(r.record, "final.test-suite").verdict).toBe("PASS");
  });
});
