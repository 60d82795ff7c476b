/**
 * An SMTP server that refuses a login by echoing the AUTH PLAIN command it received puts the
 * base64 of "\0user\0password" into the error. Nothing the monitor stores or prints may contain
 * it, or any other form of the credentials: the DeliveryError and its cause, the dispatcher's
 * reports and events, the alert outbox and monitoring_events.log.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildChannels } from "../../src/alerts/config.ts";
import type { DeliveryError } from "../../src/alerts/delivery-error.ts";
import { AlertDispatcher, type AlertDeliveryEvent, type DeliveryReport } from "../../src/alerts/dispatcher.ts";
import { EventsLog } from "../../src/report/events-log.ts";
import { notice, tempDir } from "./helpers.ts";
import { smtpReceiver, type SmtpReceiver } from "./slow-receivers.ts";

const SMTP_USER = "alerts-canary";
const SMTP_PASS = 'canary"Mail/Pass+4b 1f07';
const env = { OPS_MAIL_LOGIN: SMTP_USER, OPS_MAIL_WORD: SMTP_PASS };

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const FORMS: Array<[string, string]> = [
  ["password raw", SMTP_PASS],
  ["password URL-encoded", encodeURIComponent(SMTP_PASS)],
  ["password JSON-escaped", JSON.stringify(SMTP_PASS).slice(1, -1)],
  ["password base64", b64(SMTP_PASS)],
  ["AUTH PLAIN", b64(`\u0000${SMTP_USER}\u0000${SMTP_PASS}`)],
  ["AUTH PLAIN with authzid", b64(`${SMTP_USER}\u0000${SMTP_USER}\u0000${SMTP_PASS}`)],
  ["AUTH LOGIN user", b64(SMTP_USER)],
];

let smtp: SmtpReceiver;
let tmp: ReturnType<typeof tempDir>;
const errors: DeliveryError[] = [];
const events: AlertDeliveryEvent[] = [];
let reports: DeliveryReport[] = [];
let stored = "";

beforeAll(async () => {
  smtp = await smtpReceiver({ echoAuth: true });
  tmp = tempDir();
  const { channels, problems } = buildChannels(
    { email: { host: smtp.host, port: smtp.port, userEnv: "OPS_MAIL_LOGIN", passEnv: "OPS_MAIL_WORD" }, timeoutMs: 5_000 },
    env,
  );
  expect(problems).toEqual([]);
  const log = new EventsLog(join(tmp.dir, "monitoring_events.log"));
  const d = new AlertDispatcher({
    channels,
    routing: { critical: ["email"], warning: [], info: [] },
    outboxPath: join(tmp.dir, "alert-outbox.json"),
    // What src/act/notices.ts writes to monitoring_events.log.
    onEvent: (e) => {
      events.push(e);
      log.write({ type: e.type as never, severity: e.severity, channel: e.channel, dedupKey: e.dedupKey, kind: e.kind, error: e.error });
    },
  });
  reports = await d.dispatch([notice()]);
  reports.push(...(await d.retryOutbox()));
  await channels[0]!.send(notice(), AbortSignal.timeout(10_000)).catch((e: DeliveryError) => errors.push(e));
  stored = [readFileSync(d.outboxPath, "utf8"), readFileSync(join(tmp.dir, "monitoring_events.log"), "utf8")].join("\n");
}, 60_000);

afterAll(async () => {
  await smtp?.close();
  tmp?.cleanup();
});

describe("an SMTP server that echoes the AUTH PLAIN blob in its refusal", () => {
  it("refuses the login, quoting the blob (the test's premise), and the notice waits in the outbox", () => {
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ channel: "email", code: "ALERT_SMTP", status: 535, retryable: false });
    expect(errors[0]!.message).toMatch(/535 5\.7\.8 Authentication failed: AUTH PLAIN \S+ rejected/);
    expect(reports.map((r) => r.status)).toEqual(["queued", "queued"]);
  });

  it("no form of the credentials in the error, its cause, the reports, the events, the outbox or monitoring_events.log", () => {
    const haystacks = {
      messages: errors.map((e) => `${e.message}\n${String(e.stack)}`).join("\n"),
      causes: errors.map((e) => (e.cause instanceof Error ? `${e.cause.message} ${JSON.stringify(e.cause)}` : JSON.stringify(e.cause))).join("\n"),
      reports: JSON.stringify(reports),
      events: JSON.stringify(events),
      stored,
    };
    expect(stored).toContain("alert_delivery_failed");
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [what, form] of FORMS) expect(text.includes(form), `${where} contains the ${what}`).toBe(false);
    }
    expect(haystacks.messages).toContain("AUTH PLAIN [REDACTED] rejected");
  });
});
