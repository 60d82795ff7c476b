/**
 * Alert notices: built from the rule engine's transitions and the rollback outcome, delivered to
 * the configured channels through the dispatcher (deduplicated, retried from the outbox), and the
 * pre-cutover test notification.
 */
import path from "node:path";
import type { MonitorConfig } from "../config/schema.js";
import { AlertDispatcher, type OutboxStore } from "../alerts/dispatcher.js";
import { storageFor } from "../storage/storage.js";
import { buildChannels } from "../alerts/config.js";
import type { AlertNotice } from "../alerts/types.js";
import type { AlertTransition } from "../judge/alert-rules.js";
import type { Decision } from "../judge/decide.js";
import type { EventsLog } from "../report/events-log.js";
import type { CheckpointContext, CutoverState } from "../checkpoint/context.js";
import type { MonitorPaths } from "../checkpoint/paths.js";

function dispatcherFor(config: MonitorConfig, outboxPath: string, events?: EventsLog, store?: OutboxStore) {
  const built = buildChannels(config.alerts.channels);
  const dispatcher = new AlertDispatcher({
    channels: built.channels,
    routing: config.alerts.channels.routing,
    outboxPath,
    store,
    onEvent: (e) => events?.write({ type: e.type as never, severity: e.severity, channel: e.channel, dedupKey: e.dedupKey, kind: e.kind, error: e.error }),
  });
  return { built, dispatcher };
}

/** Pre-cutover: a test notification to every configured channel. */
export async function testAlertChannels(config: MonitorConfig): Promise<NonNullable<CheckpointContext["alertChannels"]>> {
  const started = performance.now();
  try {
    const { built, dispatcher } = dispatcherFor(config, path.join(config.reportsDir, "state", "alert-test-outbox.json"));
    const results = built.channels.length ? await dispatcher.testChannels() : [];
    return {
      ok: true,
      durationMs: performance.now() - started,
      data: {
        configured: built.channels.map((c) => c.name),
        problems: built.statuses.filter((s) => !s.configured).map((s) => `${s.name}: ${s.reason}`),
        results: results.map((r) => ({ channel: r.channel, ok: r.ok, error: r.error })),
      },
    };
  } catch (error) {
    return { ok: false, failure: "monitor", message: `alert channel test failed: ${(error as Error).message}`, durationMs: performance.now() - started };
  }
}

/** Retries what earlier checkpoints could not deliver, then sends these notices; returns the console line. */
export async function deliver(config: MonitorConfig, paths: MonitorPaths, events: EventsLog, notices: AlertNotice[]): Promise<string | undefined> {
  // The outbox lives where the history does (src/storage/: its files, or the shared database).
  const { built, dispatcher } = dispatcherFor(config, paths.outbox, events, storageFor(config).outboxStore());
  let delivered = 0;
  let queued = 0;
  if (built.channels.length) {
    const retried = await dispatcher.retryOutbox();
    const reports = notices.length ? await dispatcher.dispatch(notices) : [];
    for (const rep of [...retried, ...reports]) {
      if (rep.status === "delivered") delivered++;
      else if (rep.status === "queued" || rep.status === "failed") queued++;
    }
  }
  if (!notices.length && !queued) return undefined;
  return `Alerts: ${notices.map((n) => `${n.severity.toUpperCase()} ${n.kind} ${n.ruleId}`).join(", ") || "none new"}; ${built.channels.length ? `${delivered} deliveries accepted, ${queued} queued for retry` : "no alert channel configured: nothing delivered"}`;
}

export function toNotice(n: AlertTransition, config: MonitorConfig): AlertNotice {
  const what = n.kind === "resolve" ? "RESOLVED" : n.kind === "escalation" ? `ESCALATION: ${n.escalation?.action ?? n.action}` : n.kind === "reminder" ? "STILL FIRING" : "FIRING";
  const checks = Object.keys(n.evidence);
  const measured = checks.map((id) => n.evidence[id]!).find((o) => o.measured);
  return {
    dedupKey: `cutover-monitor/${n.ruleId}/${n.incidentId}`,
    kind: n.kind,
    severity: n.alertSeverity,
    ruleId: n.ruleId,
    // Channels prefix the severity themselves.
    title: `${what}: ${n.description || n.ruleId}`,
    summary: `${measured?.evidence?.reason ?? `value ${n.value ?? "not measured"}`} (${measured?.evidence?.threshold ?? n.threshold}) at ${n.checkpoint}. Action: ${n.action}`,
    evidence: { metric: checks.join(", "), value: n.value, threshold: measured?.evidence?.threshold ?? n.threshold, baseline: n.baseline == null ? null : String(n.baseline), window: n.window ?? undefined, checkpoint: n.checkpoint },
    decision: { severity: n.decisionSeverity, action: n.kind === "escalation" ? (n.escalation?.action ?? n.action) : n.action, runbook: n.runbook },
    reportUrl: config.reportUrl,
    ts: n.at,
  };
}

/** A rollback notice; its dedup key names the cutover and the incident, so each incident is announced. */
export function rollbackNotice(ruleId: string, line: string, decision: Decision, input: { label: string; cutover: CutoverState | null }, incident: string): AlertNotice {
  return {
    dedupKey: `cutover-monitor/${ruleId}/${input.cutover?.startedAt ?? "none"}/${incident}`,
    kind: "trigger",
    severity: "critical",
    ruleId,
    title: line.split(":")[0]!,
    summary: line.slice(line.indexOf(":") + 1).trim(),
    evidence: { checkpoint: input.label, reason: decision.reason },
    decision: { severity: decision.severity === "NONE" ? "LOW" : decision.severity, action: decision.action, runbook: decision.runbook },
    ts: new Date().toISOString(),
  };
}
