/**
 * Alert channel configuration. The config file names environment variables; secrets (webhook
 * URLs, routing keys, SMTP passwords) are read from the environment when channels are built and
 * never stored in the config. Nothing is configured by default.
 */
import { EmailChannel } from "./email-channel.ts";
import { alertChannelsSchema, type AlertChannelsConfig, type AlertChannelsConfigInput } from "./config-schema.ts";
import { PagerDutyChannel } from "./pagerduty-channel.ts";
import { SlackChannel } from "./slack-channel.ts";
import type { AlertChannel, AlertChannelType, AlertRouting } from "./types.ts";
import { WebhookChannel } from "./webhook-channel.ts";

export { alertChannelsSchema, alertRoutingSchema, emailConfigSchema, pagerDutyConfigSchema, slackConfigSchema, webhookConfigSchema } from "./config-schema.ts";
export type { AlertChannelsConfig, AlertChannelsConfigInput } from "./config-schema.ts";

export interface ChannelStatus {
  name: string;
  type: AlertChannelType;
  configured: boolean;
  /** Why not, naming the variable to set (never its value). */
  reason?: string;
  /** Where it delivers, without secrets: "#incidents", "ops-team@abaco.com", "abaco-incidents". */
  target?: string;
}

export interface BuiltChannels {
  channels: AlertChannel[];
  /** One line per channel that is in the config but could not be built. */
  problems: string[];
  statuses: ChannelStatus[];
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/** Builds the configured channels; never throws for a missing or bad secret, it reports it. */
export function buildChannels(cfgInput: AlertChannelsConfigInput | AlertChannelsConfig, env: Env = process.env): BuiltChannels {
  const cfg = alertChannelsSchema.parse(cfgInput);
  const channels: AlertChannel[] = [];
  const problems: string[] = [];
  const statuses: ChannelStatus[] = [];
  const timeoutMs = cfg.timeoutMs;

  const notConfigured = (type: AlertChannelType, reason: string, inConfig: boolean) => {
    statuses.push({ name: type, type, configured: false, reason });
    if (inConfig) problems.push(`${type}: not configured (${reason})`);
  };

  if (!cfg.slack) notConfigured("slack", "no slack section in the alert config", false);
  else {
    const url = read(env, cfg.slack.webhookUrlEnv);
    if (!url) notConfigured("slack", `${cfg.slack.webhookUrlEnv} is not set`, true);
    else if (!isHttpUrl(url)) notConfigured("slack", `${cfg.slack.webhookUrlEnv} is not an http(s) URL`, true);
    else {
      channels.push(new SlackChannel({ webhookUrl: url, channel: cfg.slack.channel, timeoutMs }));
      statuses.push({ name: "slack", type: "slack", configured: true, target: cfg.slack.channel });
    }
  }

  if (!cfg.pagerduty) notConfigured("pagerduty", "no pagerduty section in the alert config", false);
  else {
    const key = read(env, cfg.pagerduty.routingKeyEnv);
    if (!key) notConfigured("pagerduty", `${cfg.pagerduty.routingKeyEnv} is not set`, true);
    else if (key.length !== 32) {
      notConfigured(
        "pagerduty",
        `${cfg.pagerduty.routingKeyEnv} has ${key.length} characters; a PagerDuty Events API v2 integration key has 32`,
        true,
      );
    } else {
      channels.push(
        new PagerDutyChannel({
          routingKey: key,
          eventsUrl: cfg.pagerduty.eventsUrl,
          ...(cfg.pagerduty.source ? { source: cfg.pagerduty.source } : {}),
          timeoutMs,
        }),
      );
      statuses.push({ name: "pagerduty", type: "pagerduty", configured: true, target: cfg.pagerduty.service ?? "PagerDuty" });
    }
  }

  if (!cfg.email) notConfigured("email", "no email section in the alert config", false);
  else {
    const e = cfg.email;
    const host = e.host ?? read(env, e.hostEnv);
    const user = read(env, e.userEnv);
    const pass = read(env, e.passEnv);
    if (!host) notConfigured("email", `no host: set email.host or ${e.hostEnv}`, true);
    else if (user && !pass) notConfigured("email", `${e.userEnv} is set but ${e.passEnv} is not`, true);
    else {
      channels.push(
        new EmailChannel({
          host,
          port: e.port,
          secure: e.secure,
          requireTLS: e.requireTLS,
          ...(user ? { user, pass: pass ?? "" } : {}),
          from: e.from,
          to: e.to,
          timeoutMs,
        }),
      );
      statuses.push({ name: "email", type: "email", configured: true, target: e.to.join(", ") });
    }
  }

  if (!cfg.webhook) notConfigured("webhook", "no webhook section in the alert config", false);
  else {
    const url = read(env, cfg.webhook.urlEnv);
    if (!url) notConfigured("webhook", `${cfg.webhook.urlEnv} is not set`, true);
    else if (!isHttpUrl(url)) notConfigured("webhook", `${cfg.webhook.urlEnv} is not an http(s) URL`, true);
    else {
      channels.push(new WebhookChannel({ url, timeoutMs }));
      statuses.push({ name: "webhook", type: "webhook", configured: true, target: "webhook" });
    }
  }

  return { channels, problems, statuses };
}

export function routingOf(cfg: AlertChannelsConfigInput | AlertChannelsConfig): AlertRouting {
  return alertChannelsSchema.parse(cfg).routing;
}
