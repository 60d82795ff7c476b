import { describe, it } from "vitest";
import { check } from "../../src/report/spec-kit.js";
import { healthEndpoints, logsStreaming, preCutoverVersionActive, testSuitePassing } from "../../src/checks/pipeline.js";
import { alertChannelsTested, attestation, monitoringConfigured, rollbackReady, week3BaselineEstablished } from "../../src/checks/readiness.js";

const section = "Pre-Cutover Setup: Preparation Tasks";

describe(section, () => {
  it("Access to production monitoring dashboard configured", (ctx) =>
    check(ctx, { id: "pre.dashboard", section, kind: "attestation" }, (c) => attestation(c, "monitoring-dashboard")));

  it("Alert channels (Slack, Email, PagerDuty) tested and active", (ctx) =>
    check(ctx, { id: "pre.alert-channels", section, kind: "preparation", severity: "critical" }, alertChannelsTested));

  it("Log aggregation system connected and streaming", (ctx) =>
    check(ctx, { id: "pre.logs-streaming", section, kind: "preparation" }, logsStreaming));

  it("Health check endpoints configured and tested", (ctx) =>
    check(ctx, { id: "pre.health", section, kind: "preparation", severity: "critical" }, healthEndpoints));

  it("Pipeline is up on V1 before the cutover", (ctx) =>
    check(ctx, { id: "pre.version", section, kind: "preparation" }, preCutoverVersionActive));

  it("Baseline metrics established from Week 3 tests", (ctx) =>
    check(ctx, { id: "pre.week3-baseline", section, kind: "baseline" }, week3BaselineEstablished));

  it("On-call team briefed and ready", (ctx) =>
    check(ctx, { id: "pre.on-call-briefed", section, kind: "attestation" }, (c) => attestation(c, "on-call-briefed")));

  it("Rollback procedures reviewed and team trained", async (ctx) => {
    await check(ctx, { id: "pre.rollback-ready", section, kind: "preparation" }, rollbackReady);
  });

  it("Rollback procedures reviewed and team trained (attestation)", (ctx) =>
    check(ctx, { id: "pre.rollback-trained", section, kind: "attestation" }, (c) => attestation(c, "rollback-trained")));

  it("The pipeline's own test suite passes (count recorded for the 24-hour criteria)", (ctx) =>
    check(ctx, { id: "pre.test-suite", section, kind: "baseline" }, testSuitePassing));

  it("Monitoring systems configured", (ctx) =>
    check(ctx, { id: "pre.monitoring-configured", section: "24-Hour Completion Checklist: Before Cutover", kind: "completion" }, monitoringConfigured));

  it("Team briefed and trained", (ctx) =>
    check(ctx, { id: "pre.team-briefed", section: "24-Hour Completion Checklist: Before Cutover", kind: "attestation" }, (c) => attestation(c, "team-briefed")));

  it("Rollback procedures documented", (ctx) =>
    check(ctx, { id: "pre.rollback-documented", section: "24-Hour Completion Checklist: Before Cutover", kind: "attestation" }, (c) => attestation(c, "rollback-documented")));

  it("On-call schedule activated", (ctx) =>
    check(ctx, { id: "pre.on-call-schedule", section: "24-Hour Completion Checklist: Before Cutover", kind: "attestation" }, (c) => attestation(c, "on-call-schedule")));
});
