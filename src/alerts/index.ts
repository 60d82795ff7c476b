/** Alert channels and their dispatcher (the "act" stage). */
export * from "./types.ts";
export * from "./delivery-error.ts";
export * from "./redact.ts";
export * from "./config.ts";
export * from "./dispatcher.ts";
export { SlackChannel, slackPayload } from "./slack-channel.ts";
export { PagerDutyChannel, pagerDutyEvent, PAGERDUTY_EVENTS_URL, PAGERDUTY_SEVERITY } from "./pagerduty-channel.ts";
export { EmailChannel, emailMessage } from "./email-channel.ts";
export { WebhookChannel } from "./webhook-channel.ts";
export { AlertStateError } from "./state-file.ts";
