import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildChannels, type AlertChannelsConfigInput } from "../../src/alerts/config.ts";
import { startLocalReceivers, type LocalReceivers, type LocalReceiversOptions } from "../support/local-receivers.ts";
import type { AlertNotice } from "../../src/alerts/types.ts";

export function notice(overrides: Partial<AlertNotice> = {}): AlertNotice {
  return {
    dedupKey: "cutover-monitor/error-rate-critical/inc-1",
    kind: "trigger",
    severity: "critical",
    ruleId: "error-rate-critical",
    title: "Error rate above 5 %",
    summary: "Error rate 7.5 % over the last 30 min (threshold > 5 %). <!channel> & friends",
    evidence: {
      metric: "error_rate_percent",
      value: 7.5,
      threshold: "> 5 %",
      baseline: "0 %",
      window: "01:30-02:00",
      checkpoint: "stability@02:00",
      phase: "stability",
    },
    decision: {
      severity: "CRITICAL",
      action: "rollback now",
      runbook: ["Stop new processing", "Run the rollback script", "Verify V1 health"],
    },
    reportUrl: "https://reports.example.test/checkpoints/stability-0200/index.html",
    ts: "2026-01-05T02:00:00.000Z",
    ...overrides,
  };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "cutover-alerts-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Env and config pointing every channel at the local receivers. */
export function localConfig(r: LocalReceivers, timeoutMs = 2_000): { cfg: AlertChannelsConfigInput; env: Record<string, string> } {
  const env: Record<string, string> = {
    SLACK_WEBHOOK_URL: r.slackUrl,
    PAGERDUTY_ROUTING_KEY: r.pagerdutyRoutingKey,
    ALERT_WEBHOOK_URL: r.webhookUrl,
    ...(r.smtp.user ? { SMTP_USER: r.smtp.user, SMTP_PASS: r.smtp.pass ?? "" } : {}),
  };
  const cfg: AlertChannelsConfigInput = {
    slack: {},
    pagerduty: { eventsUrl: r.pagerdutyUrl, source: "cutover-monitor-test", service: "abaco-incidents" },
    email: { host: r.smtp.host, port: r.smtp.port, secure: false, from: "cutover-monitor@localhost" },
    webhook: {},
    timeoutMs,
  };
  return { cfg, env };
}

export async function receiversAndChannels(opts: LocalReceiversOptions = {}, timeoutMs = 2_000) {
  const receivers = await startLocalReceivers(opts);
  const { cfg, env } = localConfig(receivers, timeoutMs);
  const built = buildChannels(cfg, env);
  return { receivers, cfg, env, ...built };
}

/** Every secret a test environment holds, to search outputs for. */
export function secretsOf(r: LocalReceivers): string[] {
  const slackToken = r.slackUrl.split("/").pop()!;
  const webhookToken = r.webhookUrl.split("/").pop()!;
  return [r.slackUrl, slackToken, r.webhookUrl, webhookToken, r.pagerdutyRoutingKey, ...(r.smtp.pass ? [r.smtp.pass] : [])];
}
