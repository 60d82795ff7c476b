import { describe } from "vitest";
import { line } from "../../src/report/spec-kit.js";

const section = "Pre-Cutover Setup: Preparation Tasks";
const before = "24-Hour Completion Checklist: Before Cutover";

describe(section, () => {
  line("Access to production monitoring dashboard configured", "pre.dashboard", "attest.monitoring-dashboard", { kind: "attestation" });
  line("Alert channels (Slack, Email, PagerDuty) tested and active", "pre.alert-channels", "alert-channels", { kind: "preparation", severity: "critical" });
  line("Log aggregation system connected and streaming", "pre.logs-streaming", "logs-streaming", { kind: "preparation" });
  line("Health check endpoints configured and tested", "pre.health", ["health", "pipeline-up"], { kind: "preparation", severity: "critical" });
  line("Pipeline is up on V1 before the cutover", "pre.version", "v1-active", { kind: "preparation" });
  line("Baseline metrics established from Week 3 tests", "pre.week3-baseline", "week3-baseline", { kind: "baseline" });
  line("On-call team briefed and ready", "pre.on-call-briefed", "attest.on-call-briefed", { kind: "attestation" });
  line("Rollback procedures reviewed and team trained", "pre.rollback-ready", "rollback-ready", { kind: "preparation" });
  line("Rollback procedures reviewed and team trained (attestation)", "pre.rollback-trained", "attest.rollback-trained", { kind: "attestation" });
  line("The pipeline's own test suite passes (count recorded for the 24-hour criteria)", "pre.test-suite", "test-suite", { kind: "baseline" });
});

describe(before, () => {
  line("Monitoring systems configured", "pre.monitoring-configured", "monitoring-configured", { kind: "completion" });
  line("Team briefed and trained", "pre.team-briefed", "attest.team-briefed", { kind: "attestation" });
  line("Rollback procedures documented", "pre.rollback-documented", "attest.rollback-documented", { kind: "attestation" });
  line("On-call schedule activated", "pre.on-call-schedule", "attest.on-call-schedule", { kind: "attestation" });
});
