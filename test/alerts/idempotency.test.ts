/**
 * A channel that answers after its timeout got the notice, but the dispatcher saw a failure and
 * retries: the retry must carry the same idempotency key as the first attempt, so the receiver
 * can drop the repeat (webhook: Idempotency-Key header and `idempotency_key`; PagerDuty: the
 * incident's dedup_key; email: the Message-ID). Slack has none: at-least-once (docs/DESIGN.md).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildChannels } from "../../src/alerts/config.ts";
import { AlertDispatcher, type DeliveryReport } from "../../src/alerts/dispatcher.ts";
import { emailMessage } from "../../src/alerts/email-channel.ts";
import { pagerDutyDedupKey } from "../../src/alerts/pagerduty-channel.ts";
import { idempotencyKey } from "../../src/alerts/webhook-channel.ts";
import { notice, tempDir } from "./helpers.ts";
import { slowHttpReceiver, smtpReceiver, type SlowHttpReceiver, type SmtpReceiver } from "./slow-receivers.ts";

/** Long enough for a loaded 2-core machine to answer the non-held attempts in time. */
const TIMEOUT_MS = 1_000;
const ROUTING_KEY = "0123456789abcdef0123456789abcdef";

let webhook: SlowHttpReceiver;
let pagerduty: SlowHttpReceiver;
let smtp: SmtpReceiver;
let tmp: ReturnType<typeof tempDir>;
let firstAttempt: DeliveryReport[];
let retry: DeliveryReport[];
const n = notice();

beforeAll(async () => {
  webhook = await slowHttpReceiver({ path: "/hooks/idem-0123456789abcdef", holdFirst: 1, status: 200, answer: '{"ok":true}' });
  pagerduty = await slowHttpReceiver({
    path: "/v2/enqueue",
    holdFirst: 1,
    status: 202,
    answer: JSON.stringify({ status: "success", message: "Event processed", dedup_key: pagerDutyDedupKey(n.dedupKey) }),
  });
  smtp = await smtpReceiver({ holdFirst: 1 });
  tmp = tempDir();
  const { channels, problems } = buildChannels(
    { pagerduty: { eventsUrl: pagerduty.url }, webhook: {}, email: { host: smtp.host, port: smtp.port }, timeoutMs: TIMEOUT_MS },
    { PAGERDUTY_ROUTING_KEY: ROUTING_KEY, ALERT_WEBHOOK_URL: webhook.url },
  );
  expect(problems).toEqual([]);
  const d = new AlertDispatcher({
    channels,
    routing: { critical: ["pagerduty", "webhook", "email"], warning: [], info: [] },
    outboxPath: join(tmp.dir, "alert-outbox.json"),
  });
  firstAttempt = await d.dispatch([n]);
  // The next checkpoint: the outbox is retried, and this time the receivers answer.
  retry = await d.retryOutbox();
  await vi.waitFor(() => {
    expect(webhook.requests).toHaveLength(2);
    expect(pagerduty.requests).toHaveLength(2);
    expect(smtp.messages).toHaveLength(2);
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([webhook?.close(), pagerduty?.close(), smtp?.close()]);
  tmp?.cleanup();
});

describe("a channel that answers after its timeout", () => {
  it("is queued for retry, then delivered by the retry", () => {
    expect(firstAttempt.map((r) => [r.channel, r.status, r.retryable]).sort()).toEqual([
      ["email", "queued", true],
      ["pagerduty", "queued", true],
      ["webhook", "queued", true],
    ]);
    expect(retry.map((r) => [r.channel, r.status]).sort()).toEqual([
      ["email", "delivered"],
      ["pagerduty", "delivered"],
      ["webhook", "delivered"],
    ]);
  });

  it("webhook: both attempts carry the same Idempotency-Key header and `idempotency_key` in the body", () => {
    const [a, b] = webhook.requests;
    const key = a!.headers["idempotency-key"];
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(b!.headers["idempotency-key"]).toBe(key);
    expect(a!.body.idempotency_key).toBe(key);
    expect(b!.body.idempotency_key).toBe(key);
    // Still the notice itself, for receivers that read it.
    expect(a!.body).toMatchObject({ dedupKey: n.dedupKey, kind: "trigger", ts: n.ts });
  });

  it("pagerduty: both attempts carry the incident's dedup_key, so PagerDuty opens one incident", () => {
    const keys = pagerduty.requests.map((r) => r.body.dedup_key);
    expect(keys).toEqual([pagerDutyDedupKey(n.dedupKey), pagerDutyDedupKey(n.dedupKey)]);
  });

  it("email: both attempts carry the same Message-ID", () => {
    const [a, b] = smtp.messages.map((m) => m.headers["message-id"]);
    expect(a).toMatch(/^<[0-9a-f]{64}@localhost>$/);
    expect(b).toBe(a);
  });
});

describe("the key is the notice's, not the attempt's", () => {
  it("another notice of the same incident (a reminder, the resolve) gets another key; the same one the same key", () => {
    const reminder1 = notice({ kind: "reminder", ts: "2026-01-05T02:30:00.000Z" });
    const reminder2 = notice({ kind: "reminder", ts: "2026-01-05T03:00:00.000Z" });
    const keys = [n, reminder1, reminder2, notice({ kind: "resolve" })].map(idempotencyKey);
    expect(new Set(keys).size).toBe(4);
    // A trigger re-sent by a later checkpoint (a new object, a later ts) is still the same trigger.
    expect(idempotencyKey(notice({ ts: "2026-01-05T02:30:00.000Z" }))).toBe(idempotencyKey(n));
    expect(idempotencyKey({ ...reminder1 })).toBe(idempotencyKey(reminder1));
    // The resolve mail threads under the trigger's.
    const trigger = emailMessage(n, "cutover-monitor@localhost", ["ops@x.test"]);
    const resolve = emailMessage(notice({ kind: "resolve" }), "cutover-monitor@localhost", ["ops@x.test"]);
    expect(resolve).toMatchObject({ inReplyTo: trigger.messageId, references: [trigger.messageId] });
  });
});
