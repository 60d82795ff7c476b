/**
 * Slack incoming webhook: POST JSON with a `text` fallback (shown in notifications) and Block Kit
 * `blocks` (header <= 150 chars, section text <= 3000, up to 10 fields of <= 2000 each).
 * Slack answers 200 "ok"; 400 invalid_payload / no_text / invalid_blocks, 403, 404 no_service,
 * 410 channel_is_archived, 429 and 5xx otherwise. The webhook URL is the credential.
 * Incoming webhooks post to the channel chosen when the webhook was created; `channel` is recorded
 * for reports, not sent (Slack app webhooks ignore channel overrides).
 */
import { DEFAULT_TIMEOUT_MS, postJson } from "./http-post.ts";
import { evidenceEntries, noticeHeadline, truncate } from "./notice-text.ts";
import { urlSecrets } from "./redact.ts";
import type { AlertChannel, AlertNotice } from "./types.ts";

export interface SlackChannelOptions {
  webhookUrl: string;
  /** Where the webhook posts, e.g. "#incidents" (for reports only). */
  channel?: string;
  name?: string;
  timeoutMs?: number;
}

const SEVERITY_EMOJI: Record<AlertNotice["severity"], string> = {
  critical: ":red_circle:",
  warning: ":large_orange_circle:",
  info: ":large_blue_circle:",
};

/** Slack treats &, < and > as markup (`<!channel>` pings everyone), so notice text is escaped. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function slackPayload(n: AlertNotice): Record<string, unknown> {
  const icon = n.kind === "resolve" ? ":white_check_mark:" : SEVERITY_EMOJI[n.severity];
  const headline = noticeHeadline(n);
  const blocks: Array<Record<string, unknown>> = [
    { type: "header", text: { type: "plain_text", text: truncate(headline, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: truncate(`${icon} ${escapeSlack(n.summary)}`, 3000) } },
  ];
  const fields = evidenceEntries(n)
    .slice(0, 10)
    .map(([k, v]) => ({ type: "mrkdwn", text: truncate(`*${escapeSlack(k)}*\n${escapeSlack(v)}`, 2000) }));
  if (fields.length > 0) blocks.push({ type: "section", fields });
  if (n.decision) {
    const steps = n.decision.runbook.map((s, i) => `${i + 1}. ${escapeSlack(s)}`).join("\n");
    const text = `*Decision: ${n.decision.severity}* - ${escapeSlack(n.decision.action)}${steps ? `\n${steps}` : ""}`;
    blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(text, 3000) } });
  }
  if (n.reportUrl) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: truncate(`<${escapeSlack(n.reportUrl)}|Open the checkpoint report>`, 3000) },
    });
  }
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: truncate(`rule \`${escapeSlack(n.ruleId)}\` · incident \`${escapeSlack(n.dedupKey)}\` · ${escapeSlack(n.ts)}`, 3000),
      },
    ],
  });
  const fallback = `${headline}: ${n.summary}${n.reportUrl ? ` (report: ${n.reportUrl})` : ""}`;
  return { text: truncate(escapeSlack(fallback), 3000), blocks };
}

export class SlackChannel implements AlertChannel {
  readonly type = "slack" as const;
  readonly name: string;
  readonly channel: string | undefined;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #secrets: string[];

  constructor(opts: SlackChannelOptions) {
    this.name = opts.name ?? "slack";
    this.channel = opts.channel;
    this.#url = opts.webhookUrl;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#secrets = urlSecrets(opts.webhookUrl);
  }

  async send(n: AlertNotice, signal: AbortSignal): Promise<void> {
    await postJson({
      channel: this.name,
      url: this.#url,
      body: slackPayload(n),
      signal,
      timeoutMs: this.#timeoutMs,
      secrets: this.#secrets,
    });
  }
}
