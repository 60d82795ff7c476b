/**
 * PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue): `routing_key` (the
 * 32-character integration key, a secret), `event_action` trigger|acknowledge|resolve, `dedup_key`
 * (<= 255 chars; the same key resolves the same alert), and for a trigger `payload.summary`
 * (<= 1024), `payload.source`, `payload.severity` (critical|error|warning|info), `timestamp`,
 * `custom_details`. Answers 202 {"status":"success","message":"Event processed","dedup_key":...};
 * 400 invalid event (do not retry); 429 and 5xx (retry later).
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { DeliveryError } from "./delivery-error.ts";
import { DEFAULT_TIMEOUT_MS, postJson } from "./http-post.ts";
import { truncate } from "./notice-text.ts";
import type { AlertChannel, AlertNotice, AlertSeverity } from "./types.ts";

import { PAGERDUTY_EVENTS_URL } from "./config-schema.ts";
export { PAGERDUTY_EVENTS_URL };

export interface PagerDutyChannelOptions {
  routingKey: string;
  eventsUrl?: string;
  /** payload.source: the affected system; defaults to "cutover-monitor@<hostname>". */
  source?: string;
  name?: string;
  timeoutMs?: number;
}

export const PAGERDUTY_SEVERITY: Record<AlertSeverity, "critical" | "warning" | "info"> = {
  critical: "critical",
  warning: "warning",
  info: "info",
};

/** PagerDuty limits dedup_key to 255 characters; a longer key is shortened stably. */
export function pagerDutyDedupKey(dedupKey: string): string {
  if (dedupKey.length <= 255) return dedupKey;
  const hash = createHash("sha256").update(dedupKey).digest("hex").slice(0, 16);
  return `${dedupKey.slice(0, 255 - 17)}#${hash}`;
}

export function pagerDutyEvent(
  n: AlertNotice,
  routingKey: string,
  source: string,
  action: "trigger" | "resolve",
): Record<string, unknown> {
  const dedup_key = pagerDutyDedupKey(n.dedupKey);
  if (action === "resolve") return { routing_key: routingKey, event_action: "resolve", dedup_key };
  const prefix = n.kind === "trigger" ? "" : `[${n.kind.toUpperCase()}] `;
  const event: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key,
    payload: {
      summary: truncate(`${prefix}${n.title}: ${n.summary}`, 1024),
      source,
      severity: PAGERDUTY_SEVERITY[n.severity],
      timestamp: n.ts,
      ...(typeof n.evidence.metric === "string" ? { component: n.evidence.metric } : {}),
      group: "cutover-monitor",
      class: n.ruleId,
      custom_details: {
        kind: n.kind,
        rule: n.ruleId,
        incident: n.dedupKey,
        evidence: n.evidence,
        ...(n.decision ? { decision: n.decision } : {}),
        ...(n.reportUrl ? { report: n.reportUrl } : {}),
      },
    },
    client: "cutover-monitor",
  };
  if (n.reportUrl && /^https?:\/\//.test(n.reportUrl)) {
    event.links = [{ href: n.reportUrl, text: "Checkpoint report" }];
    event.client_url = n.reportUrl;
  }
  return event;
}

export class PagerDutyChannel implements AlertChannel {
  readonly type = "pagerduty" as const;
  readonly name: string;
  readonly #routingKey: string;
  readonly #url: string;
  readonly #source: string;
  readonly #timeoutMs: number;

  constructor(opts: PagerDutyChannelOptions) {
    this.name = opts.name ?? "pagerduty";
    this.#routingKey = opts.routingKey;
    this.#url = opts.eventsUrl ?? PAGERDUTY_EVENTS_URL;
    this.#source = opts.source ?? `cutover-monitor@${hostname()}`;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async send(n: AlertNotice, signal: AbortSignal): Promise<void> {
    if (n.kind === "test") {
      // A test must not leave an open incident paging someone: trigger, then resolve the same key.
      await this.#post(pagerDutyEvent(n, this.#routingKey, this.#source, "trigger"), signal);
      try {
        await this.#post(pagerDutyEvent(n, this.#routingKey, this.#source, "resolve"), signal);
      } catch (err) {
        const e = err as DeliveryError;
        throw new DeliveryError({
          channel: this.name,
          code: e.code ?? "ALERT_NETWORK",
          retryable: false,
          ...(e.status !== undefined ? { status: e.status } : {}),
          message: `test trigger accepted but its resolve failed; resolve incident "${pagerDutyDedupKey(n.dedupKey)}" by hand (${e.message})`,
          cause: err,
          secrets: [this.#routingKey],
        });
      }
      return;
    }
    const action = n.kind === "resolve" ? "resolve" : "trigger";
    await this.#post(pagerDutyEvent(n, this.#routingKey, this.#source, action), signal);
  }

  async #post(body: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    const { text } = await postJson({
      channel: this.name,
      url: this.#url,
      body,
      signal,
      timeoutMs: this.#timeoutMs,
      secrets: [this.#routingKey],
    });
    // 2xx with a body that says otherwise is not an acceptance.
    let parsed: { status?: unknown } | undefined;
    try {
      parsed = JSON.parse(text) as { status?: unknown };
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed.status === "string" && parsed.status !== "success") {
      throw new DeliveryError({
        channel: this.name,
        code: "ALERT_REJECTED",
        retryable: false,
        message: `PagerDuty answered status "${parsed.status}"`,
        secrets: [this.#routingKey],
      });
    }
  }
}
