/**
 * The alert channels' configuration schemas (what the config file may say). Kept apart from the
 * channels themselves so that the secret registry (src/secrets.ts), which reads the variable
 * names they declare, does not depend on the channels (which redact through it).
 */
import { z } from "zod";

/** Every HTTP delivery's timeout unless the config says otherwise (ms). */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** PagerDuty Events API v2. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

export const slackConfigSchema = z.object({
  webhookUrlEnv: envName.default("SLACK_WEBHOOK_URL"),
  channel: z.string().default("#incidents"),
});

export const pagerDutyConfigSchema = z.object({
  routingKeyEnv: envName.default("PAGERDUTY_ROUTING_KEY"),
  eventsUrl: z.url().default(PAGERDUTY_EVENTS_URL),
  /** payload.source; defaults to "cutover-monitor@<hostname>". */
  source: z.string().min(1).optional(),
  /** The PagerDuty service the key routes to, e.g. "abaco-incidents" (for reports only). */
  service: z.string().optional(),
});

export const emailConfigSchema = z.object({
  /** A literal host wins; otherwise the host is read from `hostEnv`. */
  host: z.string().min(1).optional(),
  hostEnv: envName.default("SMTP_HOST"),
  port: z.number().int().min(1).max(65535).default(587),
  secure: z.boolean().default(false),
  requireTLS: z.boolean().default(false),
  userEnv: envName.default("SMTP_USER"),
  passEnv: envName.default("SMTP_PASS"),
  from: z.string().min(3).default("cutover-monitor@localhost"),
  to: z.array(z.string().min(3)).min(1).default(["ops-team@abaco.com"]),
});

export const webhookConfigSchema = z.object({
  urlEnv: envName.default("ALERT_WEBHOOK_URL"),
});

const channelNames = z.array(z.string().min(1));

export const alertRoutingSchema = z.object({
  critical: channelNames.default(["pagerduty", "slack", "email", "webhook"]),
  warning: channelNames.default(["slack", "webhook"]),
  info: channelNames.default(["webhook"]),
});

export const alertChannelsSchema = z.object({
  slack: slackConfigSchema.optional(),
  pagerduty: pagerDutyConfigSchema.optional(),
  email: emailConfigSchema.optional(),
  webhook: webhookConfigSchema.optional(),
  routing: alertRoutingSchema.default(() => alertRoutingSchema.parse({})),
  timeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS),
});

export type AlertChannelsConfig = z.infer<typeof alertChannelsSchema>;
export type AlertChannelsConfigInput = z.input<typeof alertChannelsSchema>;
