import { describe, expect, it } from "vitest";
import { alertChannelsSchema, buildChannels } from "../../src/alerts/config.ts";
import { describeUnknownKey, findUnknownKeys } from "../../src/config/strict.ts";

const KEY = "0123456789abcdef0123456789abcdef";
const SLACK = "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/abcdEFGHijklMNOPqrstUVWX";

describe("alert channel config", () => {
  it("configures no channel by default and routes as DESIGN.md says", () => {
    const cfg = alertChannelsSchema.parse({});
    expect(cfg.slack).toBeUndefined();
    expect(cfg.pagerduty).toBeUndefined();
    expect(cfg.email).toBeUndefined();
    expect(cfg.webhook).toBeUndefined();
    expect(cfg.routing.critical).toEqual(expect.arrayContaining(["pagerduty", "slack", "email"]));
    expect(cfg.routing.warning).toContain("slack");
    expect(cfg.routing.warning).not.toContain("pagerduty");
    const built = buildChannels({}, {});
    expect(built.channels).toEqual([]);
    expect(built.problems).toEqual([]);
    expect(built.statuses.every((s) => !s.configured)).toBe(true);
  });

  it("fills the checklist's communication channels as defaults of each section", () => {
    const cfg = alertChannelsSchema.parse({ slack: {}, pagerduty: {}, email: {}, webhook: {} });
    expect(cfg.slack).toEqual({ webhookUrlEnv: "SLACK_WEBHOOK_URL", channel: "#incidents" });
    expect(cfg.pagerduty).toMatchObject({ routingKeyEnv: "PAGERDUTY_ROUTING_KEY", eventsUrl: "https://events.pagerduty.com/v2/enqueue" });
    expect(cfg.email).toMatchObject({ to: ["ops-team@abaco.com"], userEnv: "SMTP_USER", passEnv: "SMTP_PASS", port: 587 });
    expect(cfg.webhook).toEqual({ urlEnv: "ALERT_WEBHOOK_URL" });
  });

  it("a misspelt channel field or route is an unknown key with a hint, not a silent default", () => {
    const input = { email: { to: ["a@b.test"], hostEnvv: "MAIL_HOST" }, routing: { critcal: ["slack"] } };
    expect(findUnknownKeys(alertChannelsSchema, input).map(describeUnknownKey)).toEqual([
      'unknown key "email.hostEnvv" (did you mean "email.hostEnv"?)',
      'unknown key "routing.critcal" (did you mean "routing.critical"?)',
    ]);
    expect(findUnknownKeys(alertChannelsSchema, { slack: {}, email: { host: "smtp.example.test" }, routing: { info: [] } })).toEqual([]);
  });

  it("holds only the names of environment variables, never a secret value", () => {
    expect(() => alertChannelsSchema.parse({ slack: { webhookUrlEnv: SLACK } })).toThrow(/environment variable name/);
  });

  it.each([
    ["slack", { slack: {} }, {}, "slack: not configured (SLACK_WEBHOOK_URL is not set)"],
    ["pagerduty", { pagerduty: {} }, {}, "pagerduty: not configured (PAGERDUTY_ROUTING_KEY is not set)"],
    ["webhook", { webhook: {} }, { ALERT_WEBHOOK_URL: "  " }, "webhook: not configured (ALERT_WEBHOOK_URL is not set)"],
    ["email", { email: {} }, {}, "email: not configured (no host: set email.host or SMTP_HOST)"],
    ["email", { email: { host: "smtp.example.test" } }, { SMTP_USER: "user-name-xyz" }, "email: not configured (SMTP_USER is set but SMTP_PASS is not)"],
    ["pagerduty", { pagerduty: {} }, { PAGERDUTY_ROUTING_KEY: "tooshort-secret" }, "pagerduty: not configured (PAGERDUTY_ROUTING_KEY has 15 characters; a PagerDuty Events API v2 integration key has 32)"],
    ["slack", { slack: {} }, { SLACK_WEBHOOK_URL: "not a url secret-token-123" }, "slack: not configured (SLACK_WEBHOOK_URL is not an http(s) URL)"],
  ])("%s with a missing or bad secret is reported as not configured, without crashing", (name, cfg, env, problem) => {
    const built = buildChannels(cfg, env);
    expect(built.channels).toEqual([]);
    expect(built.problems).toEqual([problem]);
    expect(built.statuses.find((s) => s.name === name)).toMatchObject({ configured: false });
    for (const value of Object.values(env)) if (value.trim()) expect(JSON.stringify(built)).not.toContain(value);
  });

  it("builds the channels whose variables are set, reading secrets from the given environment", () => {
    const built = buildChannels(
      { slack: {}, pagerduty: { service: "abaco-incidents" }, email: {}, webhook: {} },
      { SLACK_WEBHOOK_URL: SLACK, PAGERDUTY_ROUTING_KEY: KEY, SMTP_HOST: "smtp.example.test", SMTP_USER: "u", SMTP_PASS: "p4ss-w0rd" },
    );
    expect(built.channels.map((c) => c.name)).toEqual(["slack", "pagerduty", "email"]);
    expect(built.problems).toEqual(["webhook: not configured (ALERT_WEBHOOK_URL is not set)"]);
    expect(built.statuses.filter((s) => s.configured).map((s) => s.target)).toEqual(["#incidents", "abaco-incidents", "ops-team@abaco.com"]);
    // Secrets are held privately: not in the channel objects' enumerable state nor in their JSON.
    const dump = JSON.stringify(built) + JSON.stringify(built.channels.map((c) => Object.entries(c)));
    for (const secret of [SLACK, KEY, "p4ss-w0rd", "abcdEFGHijklMNOPqrstUVWX"]) expect(dump).not.toContain(secret);
  });
});
