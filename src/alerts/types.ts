/** The alert notice and channel contract shared by every alert channel and the dispatcher. */
export type AlertSeverity = "critical" | "warning" | "info";

export const ALERT_SEVERITIES: readonly AlertSeverity[] = ["critical", "warning", "info"];

export type AlertNoticeKind = "trigger" | "resolve" | "reminder" | "escalation" | "test";

export type AlertChannelType = "slack" | "pagerduty" | "email" | "webhook";

export const ALERT_CHANNEL_TYPES: readonly AlertChannelType[] = ["pagerduty", "slack", "email", "webhook"];

export interface AlertEvidence {
  metric?: string;
  value?: number | string | null;
  threshold?: string;
  baseline?: string | null;
  window?: string;
  checkpoint: string;
  phase?: string;
  [k: string]: unknown;
}

export interface AlertDecision {
  severity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
  action: string;
  runbook: string[];
}

export interface AlertNotice {
  /** Stable per incident, e.g. "cutover-monitor/<ruleId>/<incidentId>"; PagerDuty's dedup_key. */
  dedupKey: string;
  kind: AlertNoticeKind;
  severity: AlertSeverity;
  ruleId: string;
  title: string;
  summary: string;
  evidence: AlertEvidence;
  decision?: AlertDecision;
  reportUrl?: string;
  /** ISO 8601. Also tells two reminders (or escalations) of the same incident apart. */
  ts: string;
}

/** Which channels receive triggers, reminders and escalations of each severity (by channel name). */
export type AlertRouting = Record<AlertSeverity, string[]>;

export interface AlertChannel {
  readonly name: string;
  readonly type: AlertChannelType;
  /**
   * Resolves only once the channel accepted the notice; otherwise throws a DeliveryError.
   * Must give up when `signal` aborts.
   */
  send(n: AlertNotice, signal: AbortSignal): Promise<void>;
}

export { DeliveryError } from "./delivery-error.ts";
