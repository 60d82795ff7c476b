import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertChannelsSchema, buildChannels } from "../../src/alerts/config.ts";
import { DeliveryError } from "../../src/alerts/delivery-error.ts";
import { AlertDispatcher, type AlertDeliveryEvent } from "../../src/alerts/dispatcher.ts";
import { startLocalReceivers, type LocalReceivers } from "../support/local-receivers.ts";
import { redactSecrets, urlSecrets } from "../../src/alerts/redact.ts";
import { notice, localConfig, secretsOf, tempDir } from "./helpers.ts";

describe("redactSecrets", () => {
  it.each([
    ["a plain key", "key=0123456789abcdef0123456789abcdef!", ["0123456789abcdef0123456789abcdef"], "key=[REDACTED]!"],
    ["a URL, whole and by path", "POST https://h.test/services/T1/B2/tok3nABC123 and /services/T1/B2/tok3nABC123", urlSecrets("https://h.test/services/T1/B2/tok3nABC123"), "POST [REDACTED] and [REDACTED]"],
    ["URL-encoded", "u=https%3A%2F%2Fh.test%2Fx%2Fs3cr3tT0ken", urlSecrets("https://h.test/x/s3cr3tT0ken"), "u=[REDACTED]"],
    ["too short to be a secret", "abc", ["ab"], "abc"],
  ])("%s", (_what, text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });
});

describe("secrets never appear in error messages, outbox files or events", () => {
  let receivers: LocalReceivers;
  let tmp: ReturnType<typeof tempDir>;
  const events: AlertDeliveryEvent[] = [];
  const errors: DeliveryError[] = [];
  let outboxText = "";
  let sentText = "";

  beforeAll(async () => {
    receivers = await startLocalReceivers({ smtpAuth: { user: "alerts", pass: "smtp-Secret-Pass-987" } });
    tmp = tempDir();
    const { cfg, env } = localConfig(receivers, 1_000);
    const { channels } = buildChannels(cfg, env);
    for (const name of ["slack", "pagerduty", "webhook", "email"] as const) receivers.setDown(name, true);
    const d = new AlertDispatcher({
      channels,
      routing: alertChannelsSchema.parse({}).routing,
      outboxPath: join(tmp.dir, "outbox.json"),
      onEvent: (e) => events.push(e),
    });
    await d.dispatch([notice()]);
    await d.retryOutbox();
    outboxText = readFileSync(d.outboxPath, "utf8");
    // Direct sends to collect the thrown errors: down (503), rejected (4xx), unreachable, wrong password.
    for (const c of channels) {
      await c.send(notice(), AbortSignal.timeout(3_000)).catch((e: DeliveryError) => errors.push(e));
    }
    for (const name of ["slack", "pagerduty", "webhook", "email"] as const) receivers.setDown(name, false);
    const wrong = buildChannels(
      { ...cfg, pagerduty: { eventsUrl: receivers.pagerdutyUrl } },
      { ...env, SLACK_WEBHOOK_URL: `${receivers.slackUrl}x`, SMTP_PASS: "wrong-Pass-Secret-555", PAGERDUTY_ROUTING_KEY: "ffffffffffffffffffffffffffffffff" },
    ).channels;
    for (const c of wrong) {
      await c.send(notice(), AbortSignal.timeout(3_000)).catch((e: DeliveryError) => errors.push(e));
    }
    await receivers.close();
    // Nothing listens any more: connection refused.
    for (const c of channels) {
      await c.send(notice(), AbortSignal.timeout(3_000)).catch((e: DeliveryError) => errors.push(e));
    }
    await d.retryOutbox();
    sentText = readFileSync(d.sentLogPath, "utf8");
    outboxText += readFileSync(d.outboxPath, "utf8");
  });
  afterAll(() => tmp.cleanup());

  it("every failure was a DeliveryError", () => {
    expect(errors.length).toBeGreaterThanOrEqual(11);
    for (const e of errors) expect(e).toBeInstanceOf(DeliveryError);
    expect(errors.map((e) => e.status).filter(Boolean)).toEqual(expect.arrayContaining([503, 404, 400, 421, 535]));
    expect(errors.filter((e) => e.status === 404 || e.status === 400 || e.status === 535).every((e) => !e.retryable)).toBe(true);
    expect(errors.filter((e) => e.status === 503 || e.code === "ALERT_NETWORK").every((e) => e.retryable)).toBe(true);
  });

  it("no secret in messages, causes, outbox, delivery log or events", () => {
    const secrets = [...secretsOf(receivers), "smtp-Secret-Pass-987", "wrong-Pass-Secret-555", "ffffffffffffffffffffffffffffffff"];
    const haystacks = {
      messages: errors.map((e) => `${e.message} ${String(e.stack)}`).join("\n"),
      causes: errors.map((e) => (e.cause instanceof Error ? `${e.cause.message}` : JSON.stringify(e.cause))).join("\n"),
      outbox: outboxText,
      sent: sentText,
      events: JSON.stringify(events),
    };
    expect(events.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of secrets) expect(text.includes(secret), `${where} contains ${secret}`).toBe(false);
    }
  });

  it("the messages still say what happened and where", () => {
    const text = errors.map((e) => e.message).join("\n");
    expect(text).toMatch(/slack: HTTP 503 from http:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/pagerduty: HTTP 400 .*Invalid routing key/);
    expect(text).toMatch(/email: SMTP 127\.0\.0\.1:\d+ EAUTH 535/);
    expect(text).toMatch(/ECONNREFUSED/);
  });
});
