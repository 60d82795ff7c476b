import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertChannelsSchema } from "../../src/alerts/config.ts";
import { AlertDispatcher, type AlertDeliveryEvent } from "../../src/alerts/dispatcher.ts";
import type { LocalReceivers } from "../support/local-receivers.ts";
import type { AlertChannel } from "../../src/alerts/types.ts";
import { notice, receiversAndChannels, tempDir } from "./helpers.ts";

const routing = alertChannelsSchema.parse({}).routing;

let receivers: LocalReceivers;
let channels: AlertChannel[];
let tmp: ReturnType<typeof tempDir>;
let events: AlertDeliveryEvent[];

function dispatcher(extra: Partial<ConstructorParameters<typeof AlertDispatcher>[0]> = {}) {
  return new AlertDispatcher({
    channels,
    routing,
    outboxPath: join(tmp.dir, "alert-outbox.json"),
    onEvent: (e) => events.push(e),
    ...extra,
  });
}

beforeEach(async () => {
  ({ receivers, channels } = await receiversAndChannels({}, 2_000));
  tmp = tempDir();
  events = [];
});
afterEach(async () => {
  await receivers.close();
  tmp.cleanup();
});

const counts = () => ({
  slack: receivers.received.slack.length,
  pagerduty: receivers.received.pagerduty.length,
  email: receivers.received.email.length,
  webhook: receivers.received.webhook.length,
});

describe("routing by severity", () => {
  it.each([
    ["critical", { pagerduty: 1, slack: 1, email: 1, webhook: 1 }],
    ["warning", { pagerduty: 0, slack: 1, email: 0, webhook: 1 }],
    ["info", { pagerduty: 0, slack: 0, email: 0, webhook: 1 }],
  ] as const)("a %s trigger reaches %o", async (severity, expected) => {
    const reports = await dispatcher().dispatch([notice({ severity, dedupKey: `k/${severity}` })]);
    expect(counts()).toEqual(expected);
    expect(reports.every((r) => r.status === "delivered")).toBe(true);
    expect(events.filter((e) => e.type === "alert_delivered")).toHaveLength(Object.values(expected).reduce<number>((a, b) => a + b, 0));
  });

  it("a severity whose channels are not configured is reported as unrouted, not dropped silently", async () => {
    const d = dispatcher({ channels: channels.filter((c) => c.name === "pagerduty") });
    const reports = await d.dispatch([notice({ severity: "warning" })]);
    expect(reports).toEqual([expect.objectContaining({ channel: "none", status: "unrouted" })]);
    expect(events).toEqual([expect.objectContaining({ type: "alert_delivery_failed", channel: "none" })]);
  });
});

describe("exactly once per notice and channel", () => {
  it("dispatching the same trigger twice sends it once", async () => {
    const d = dispatcher();
    await d.dispatch([notice()]);
    const second = await d.dispatch([notice()]);
    expect(counts()).toEqual({ pagerduty: 1, slack: 1, email: 1, webhook: 1 });
    expect(second.every((r) => r.status === "already_delivered")).toBe(true);
  });

  it("a fresh dispatcher (a new checkpoint process) remembers what was delivered", async () => {
    await dispatcher().dispatch([notice()]);
    await dispatcher().dispatch([notice()]);
    expect(counts()).toEqual({ pagerduty: 1, slack: 1, email: 1, webhook: 1 });
  });

  it("reminders with different times are each delivered once", async () => {
    const d = dispatcher();
    await d.dispatch([notice({ kind: "reminder", severity: "warning", ts: "2026-01-05T03:00:00.000Z" })]);
    await d.dispatch([notice({ kind: "reminder", severity: "warning", ts: "2026-01-05T03:00:00.000Z" })]);
    await d.dispatch([notice({ kind: "reminder", severity: "warning", ts: "2026-01-05T04:00:00.000Z" })]);
    expect(receivers.received.slack).toHaveLength(2);
  });
});

describe("a receiver that is down", () => {
  it("keeps the notice in the outbox and delivers it once the receiver is back, exactly once", async () => {
    receivers.setDown("slack", true);
    const d = dispatcher();
    const first = await d.dispatch([notice()]);
    expect(first.find((r) => r.channel === "slack")).toMatchObject({ status: "queued", retryable: true });
    expect(first.filter((r) => r.channel !== "slack").every((r) => r.status === "delivered")).toBe(true);
    expect(d.pending()).toEqual([expect.objectContaining({ channel: "slack", attempts: 1, retryable: true, lastStatus: 503 })]);
    expect(events.map((e) => `${e.type}:${e.channel}`)).toEqual(
      expect.arrayContaining(["alert_delivery_failed:slack", "alert_queued:slack", "alert_delivered:pagerduty"]),
    );

    // Still down at the next checkpoint: stays queued, attempts counted.
    const stillDown = await d.retryOutbox();
    expect(stillDown).toEqual([expect.objectContaining({ channel: "slack", status: "queued", attempts: 2 })]);
    expect(receivers.received.slack).toHaveLength(0);

    receivers.setDown("slack", false);
    const back = await dispatcher().retryOutbox();
    expect(back).toEqual([expect.objectContaining({ channel: "slack", status: "delivered", attempts: 3 })]);
    expect(receivers.received.slack).toHaveLength(1);
    expect(d.pending()).toEqual([]);

    // Nothing left: a second retry sends nothing; nor does dispatching the same trigger again.
    expect(await d.retryOutbox()).toEqual([]);
    await d.dispatch([notice()]);
    expect(counts()).toEqual({ pagerduty: 1, slack: 1, email: 1, webhook: 1 });
  });

  it("an SMTP server that answers 421 keeps the email queued until it accepts", async () => {
    receivers.setDown("email", true);
    const d = dispatcher();
    const reports = await d.dispatch([notice()]);
    expect(reports.find((r) => r.channel === "email")).toMatchObject({ status: "queued", retryable: true });
    expect(d.pending()[0]?.lastError).toMatch(/421/);
    receivers.setDown("email", false);
    await d.retryOutbox();
    expect(receivers.received.email).toHaveLength(1);
    await d.retryOutbox();
    expect(receivers.received.email).toHaveLength(1);
  });

  it("queued notices of one channel are retried in order (trigger before reminder)", async () => {
    receivers.setDown("slack", true);
    const d = dispatcher();
    await d.dispatch([notice({ severity: "warning" })]);
    await d.dispatch([notice({ severity: "warning", kind: "reminder", ts: "2026-01-05T03:00:00.000Z" })]);
    expect(d.pending().map((e) => e.notice.kind)).toEqual(["trigger", "reminder"]);
    receivers.setDown("slack", false);
    await d.retryOutbox();
    expect(receivers.received.slack.map((m) => m.text.split(":")[0])).toEqual(["[WARNING] ALERT", "[WARNING] REMINDER"]);
  });

  it("a resolve drops a reminder still queued for a channel that had the trigger, and queues itself there", async () => {
    const d = dispatcher();
    await d.dispatch([notice({ severity: "warning" })]);
    receivers.setDown("slack", true);
    await d.dispatch([notice({ severity: "warning", kind: "reminder", ts: "2026-01-05T03:00:00.000Z" })]);
    const reports = await d.dispatch([notice({ severity: "warning", kind: "resolve" })]);
    expect(reports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: "slack", kind: "reminder", status: "cancelled" }),
        expect.objectContaining({ channel: "slack", kind: "resolve", status: "queued" }),
        expect.objectContaining({ channel: "webhook", kind: "resolve", status: "delivered" }),
      ]),
    );
    expect(d.pending().map((e) => e.notice.kind)).toEqual(["resolve"]);
    receivers.setDown("slack", false);
    await d.retryOutbox();
    expect(receivers.received.slack.map((m) => m.text.split(":")[0])).toEqual(["[WARNING] ALERT", "[WARNING] RESOLVED"]);
  });
});

describe("one incident -> one PagerDuty incident and one resolve", () => {
  it("a trigger and a resolve, each dispatched twice, give one PagerDuty trigger and one resolve with the same dedup_key", async () => {
    const d = dispatcher();
    await d.dispatch([notice()]);
    await d.dispatch([notice()]);
    await d.dispatch([notice({ kind: "resolve", ts: "2026-01-05T02:30:00.000Z" })]);
    await d.dispatch([notice({ kind: "resolve", ts: "2026-01-05T02:30:00.000Z" })]);
    const pd = receivers.received.pagerduty;
    expect(pd.map((e) => e.event_action)).toEqual(["trigger", "resolve"]);
    expect(pd[0].dedup_key).toBe(pd[1].dedup_key);
  });

  it("a resolve is not sent to channels that never got the trigger", async () => {
    const d = dispatcher();
    // A warning went to Slack and the webhook only.
    await d.dispatch([notice({ severity: "warning" })]);
    // The resolve is labelled critical (the rule's last state), but routing does not apply to resolves.
    const reports = await d.dispatch([notice({ severity: "critical", kind: "resolve" })]);
    expect(reports.map((r) => r.channel).sort()).toEqual(["slack", "webhook"]);
    expect(receivers.received.pagerduty).toHaveLength(0);
    expect(receivers.received.email).toHaveLength(0);
  });

  it("a trigger still queued when the incident resolves is cancelled, and no resolve is sent there", async () => {
    receivers.setDown("pagerduty", true);
    const d = dispatcher();
    await d.dispatch([notice()]);
    expect(d.pending().map((e) => e.channel)).toEqual(["pagerduty"]);
    receivers.setDown("pagerduty", false);
    const reports = await d.dispatch([notice({ kind: "resolve" })]);
    expect(reports.find((r) => r.channel === "pagerduty")).toMatchObject({ status: "cancelled", kind: "trigger" });
    expect(events.some((e) => e.type === "alert_delivery_cancelled" && e.channel === "pagerduty")).toBe(true);
    expect(d.pending()).toEqual([]);
    await d.retryOutbox();
    expect(receivers.received.pagerduty).toHaveLength(0);
    expect(receivers.received.slack.map((m) => m.text.split(":")[0])).toEqual(["[CRITICAL] ALERT", "[CRITICAL] RESOLVED"]);
  });

  it("an escalation that reached PagerDuty is resolved there too", async () => {
    const d = dispatcher();
    await d.dispatch([notice({ severity: "warning" })]);
    await d.dispatch([notice({ severity: "critical", kind: "escalation", ts: "2026-01-05T02:10:00.000Z" })]);
    await d.dispatch([notice({ kind: "resolve" })]);
    expect(receivers.received.pagerduty.map((e) => e.event_action)).toEqual(["trigger", "resolve"]);
  });
});

describe("testChannels", () => {
  it("sends a test to every configured channel and reports each", async () => {
    receivers.setDown("webhook", true);
    const results = await dispatcher().testChannels();
    expect(results.sort((a, b) => a.channel.localeCompare(b.channel))).toEqual([
      { channel: "email", ok: true },
      { channel: "pagerduty", ok: true },
      { channel: "slack", ok: true },
      { channel: "webhook", ok: false, error: expect.stringContaining("503") },
    ]);
    expect(receivers.received.slack[0].text).toContain("[INFO] TEST");
    expect(receivers.received.email[0]!.subject).toContain("TEST");
  });

  it("a failed test is not queued for a later retry", async () => {
    receivers.setDown("slack", true);
    const d = dispatcher();
    await d.testChannels();
    expect(d.pending()).toEqual([]);
  });

  it("no channel configured gives an empty list (the spec turns it into a FAIL)", async () => {
    expect(await dispatcher({ channels: [] }).testChannels()).toEqual([]);
  });
});

describe("the outbox file", () => {
  it("is valid JSON written whole, and a corrupt one is a clear error naming the file", async () => {
    receivers.setDown("slack", true);
    const d = dispatcher();
    await d.dispatch([notice()]);
    const text = readFileSync(d.outboxPath, "utf8");
    expect(JSON.parse(text).entries).toHaveLength(1);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(d.outboxPath, "{ torn");
    await expect(d.retryOutbox()).rejects.toThrow(`${d.outboxPath}: corrupt state file, not valid JSON`);
    expect(readFileSync(d.outboxPath, "utf8")).toBe("{ torn");
  });

  it("two dispatchers writing the same outbox at once keep both entries", async () => {
    receivers.setDown("slack", true);
    const a = dispatcher();
    const b = dispatcher();
    await Promise.all([
      a.dispatch([notice({ severity: "warning", dedupKey: "k/a" })]),
      b.dispatch([notice({ severity: "warning", dedupKey: "k/b" })]),
      a.dispatch([notice({ severity: "warning", dedupKey: "k/c" })]),
    ]);
    const entries = JSON.parse(readFileSync(a.outboxPath, "utf8")).entries as Array<{ notice: { dedupKey: string } }>;
    expect(entries.map((e) => e.notice.dedupKey).sort()).toEqual(["k/a", "k/b", "k/c"]);
    const delivered = JSON.parse(readFileSync(a.sentLogPath, "utf8")).deliveries as Array<{ dedupKey: string }>;
    expect(delivered.map((e) => e.dedupKey).sort()).toEqual(["k/a", "k/b", "k/c"]);
  });
});
