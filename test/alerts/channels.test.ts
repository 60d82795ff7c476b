import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalReceivers } from "../support/local-receivers.ts";
import type { AlertChannel, AlertNotice, AlertSeverity } from "../../src/alerts/types.ts";
import { idempotencyKey } from "../../src/alerts/webhook-channel.ts";
import { notice, receiversAndChannels } from "./helpers.ts";

let receivers: LocalReceivers;
let channels: AlertChannel[];

beforeAll(async () => {
  ({ receivers, channels } = await receiversAndChannels({ smtpAuth: { user: "alerts", pass: "smtp-secret-pass-123" } }));
});
afterAll(async () => {
  await receivers?.close();
});

const channel = (name: string) => channels.find((c) => c.name === name)!;
const send = (name: string, n: AlertNotice) => channel(name).send(n, AbortSignal.timeout(5_000));

describe("each channel's payload is accepted by a receiver that checks the documented format", () => {
  it("builds all four channels from the local config", () => {
    expect(channels.map((c) => c.name).sort()).toEqual(["email", "pagerduty", "slack", "webhook"]);
  });

  it("slack: text fallback plus blocks with the evidence, the decision and the report link", async () => {
    await send("slack", notice());
    const msg = receivers.received.slack.at(-1);
    expect(receivers.rejected).toEqual([]);
    expect(msg.text).toContain("[CRITICAL] ALERT: Error rate above 5 %");
    const all = JSON.stringify(msg.blocks);
    for (const s of ["error_rate_percent", "7.5", "&gt; 5 %", "stability@02:00", "01:30-02:00", "rollback now", "Run the rollback script"]) {
      expect(all).toContain(s);
    }
    expect(all).toContain("<https://reports.example.test/checkpoints/stability-0200/index.html|Open the checkpoint report>");
    // Markup from the summary is escaped: no @channel ping.
    expect(all).not.toContain("<!channel>");
    expect(all).toContain("&lt;!channel&gt;");
    expect(msg.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
  });

  it("slack: a very long summary and many evidence fields stay within Block Kit limits", async () => {
    const evidence: AlertNotice["evidence"] = { checkpoint: "day@12:00" };
    for (let i = 0; i < 25; i++) evidence[`extra_${i}`] = "x".repeat(3000);
    await send("slack", notice({ title: "T".repeat(400), summary: "S".repeat(10_000), evidence }));
    expect(receivers.rejected).toEqual([]);
  });

  it.each<[AlertSeverity, string]>([
    ["critical", "critical"],
    ["warning", "warning"],
    ["info", "info"],
  ])("pagerduty: severity %s is sent as %s with summary, source, timestamp and custom details", async (severity, expected) => {
    const n = notice({ severity, dedupKey: `cutover-monitor/rule/sev-${severity}` });
    await send("pagerduty", n);
    const ev = receivers.received.pagerduty.at(-1);
    expect(receivers.rejected).toEqual([]);
    expect(ev).toMatchObject({
      event_action: "trigger",
      dedup_key: n.dedupKey,
      payload: {
        severity: expected,
        source: "cutover-monitor-test",
        timestamp: n.ts,
        class: "error-rate-critical",
        component: "error_rate_percent",
        custom_details: { evidence: { value: 7.5, threshold: "> 5 %", checkpoint: "stability@02:00" }, decision: { action: "rollback now" } },
      },
      links: [{ href: n.reportUrl }],
    });
    expect(ev.payload.summary).toContain("Error rate above 5 %");
  });

  it("pagerduty: a resolve carries only the routing key, the action and the same dedup_key", async () => {
    const n = notice({ kind: "resolve" });
    await send("pagerduty", n);
    const ev = receivers.received.pagerduty.at(-1);
    expect(Object.keys(ev).sort()).toEqual(["dedup_key", "event_action", "routing_key"]);
    expect(ev).toMatchObject({ event_action: "resolve", dedup_key: n.dedupKey });
  });

  it("pagerduty: a dedup key longer than 255 characters is shortened stably", async () => {
    const long = `cutover-monitor/${"r".repeat(300)}`;
    await send("pagerduty", notice({ dedupKey: long }));
    await send("pagerduty", notice({ dedupKey: long, kind: "resolve" }));
    const [trigger, resolve] = receivers.received.pagerduty.slice(-2);
    expect(trigger.dedup_key.length).toBeLessThanOrEqual(255);
    expect(resolve.dedup_key).toBe(trigger.dedup_key);
  });

  it("pagerduty: a test notice triggers and immediately resolves, leaving no open incident", async () => {
    const before = receivers.received.pagerduty.length;
    await send("pagerduty", notice({ kind: "test", severity: "info", dedupKey: "cutover-monitor/channel-test/x" }));
    const events = receivers.received.pagerduty.slice(before);
    expect(events.map((e) => e.event_action)).toEqual(["trigger", "resolve"]);
    expect(new Set(events.map((e) => e.dedup_key)).size).toBe(1);
  });

  it("email: SMTP with auth to ops-team@abaco.com, subject with severity, body with evidence and report link", async () => {
    await send("email", notice());
    const mail = receivers.received.email.at(-1)!;
    expect(mail.to).toEqual(["ops-team@abaco.com"]);
    expect(mail.from).toBe("cutover-monitor@localhost");
    expect(mail.subject).toBe("[CRITICAL] ALERT: Error rate above 5 %");
    for (const s of ["value: 7.5", "threshold: > 5 %", "baseline: 0 %", "checkpoint: stability@02:00", "Decision: CRITICAL - rollback now", "Report: https://reports.example.test/"]) {
      expect(mail.text).toContain(s);
    }
    expect(mail.headers["x-cutover-monitor-incident"]).toBe("cutover-monitor/error-rate-critical/inc-1");
  });

  it("email: a non-ASCII title survives encoding", async () => {
    await send("email", notice({ title: "Latência acima de 500 ms — p95" }));
    expect(receivers.received.email.at(-1)!.subject).toBe("[CRITICAL] ALERT: Latência acima de 500 ms — p95");
  });

  it("webhook: the AlertNotice itself as JSON, with its idempotency key", async () => {
    const n = notice({ kind: "escalation" });
    await send("webhook", n);
    expect(receivers.received.webhook.at(-1)).toEqual({ ...n, idempotency_key: idempotencyKey(n) });
  });
});

describe("the receivers reject what the real services reject", () => {
  it.each<[string, string, unknown, number, string]>([
    ["slack", "no text or blocks", { username: "x" }, 400, "no_text"],
    ["slack", "not JSON", "not json", 400, "invalid_payload"],
    ["slack", "header too long", { text: "t", blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }] }, 400, "invalid_blocks"],
    ["slack", "section without text or fields", { text: "t", blocks: [{ type: "section" }] }, 400, "invalid_blocks"],
    ["pagerduty", "routing key of the wrong length", { routing_key: "short", event_action: "trigger", payload: { summary: "s", source: "h", severity: "critical" } }, 400, "Length of 'routing_key' is incorrect"],
    ["pagerduty", "trigger without summary", { event_action: "trigger", payload: { source: "h", severity: "critical" } }, 400, "payload.summary"],
    ["pagerduty", "unknown severity", { event_action: "trigger", payload: { summary: "s", source: "h", severity: "high" } }, 400, "payload.severity"],
    ["pagerduty", "resolve without dedup_key", { event_action: "resolve" }, 400, "dedup_key"],
  ])("%s: %s -> %i", async (name, _what, body, status, text) => {
    const url = name === "slack" ? receivers.slackUrl : receivers.pagerdutyUrl;
    const payload =
      typeof body === "string" ? body : JSON.stringify(name === "pagerduty" && !(body as any).routing_key ? { ...(body as object), routing_key: receivers.pagerdutyRoutingKey } : body);
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: payload, signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(status);
    const answer = await res.text();
    expect(answer).toContain(text);
    if (name === "pagerduty") expect(JSON.parse(answer)).toMatchObject({ status: "invalid event", message: "Event object is invalid" });
    receivers.rejected.length = 0;
  });

  it("slack: an unknown webhook path is no_service 404", async () => {
    const res = await fetch(receivers.slackUrl.replace(/[^/]+$/, "wrongtoken"), { method: "POST", body: '{"text":"x"}', signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("no_service");
    receivers.rejected.length = 0;
  });

  it("pagerduty: a valid trigger is 202 success with the dedup_key", async () => {
    const res = await fetch(receivers.pagerdutyUrl, {
      method: "POST",
      body: JSON.stringify({ routing_key: receivers.pagerdutyRoutingKey, event_action: "trigger", dedup_key: "k1", payload: { summary: "s", source: "h", severity: "info" } }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: "success", message: "Event processed", dedup_key: "k1" });
  });
});
