/**
 * Real receivers on 127.0.0.1 for tests, the demo and `npm run receivers`: HTTP servers that check
 * each payload against the service's documented format and answer like the service, and a real
 * SMTP server. Product code (scripts/receivers.ts, scripts/demo.ts) imports them from here; the
 * tests through test/support/local-receivers.ts.
 *
 * - Slack incoming webhook: JSON (or form `payload=`) with `text` or `blocks`; 200 "ok";
 *   400 invalid_payload / no_text / invalid_blocks; 404 no_service for an unknown webhook path.
 * - PagerDuty Events API v2 (/v2/enqueue): 202 {"status":"success","message":"Event processed",
 *   "dedup_key"}; 400 {"status":"invalid event","message":"Event object is invalid","errors":[...]}.
 * - Generic webhook: JSON AlertNotice; 200 {"ok":true}.
 * - SMTP (smtp-server): collects messages; subject and text decoded from the raw message.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type ReceiverName = "slack" | "pagerduty" | "webhook" | "email";
type Mode = "up" | "down" | "hang";

export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
}

export interface RejectedRequest {
  receiver: ReceiverName;
  status: number;
  reason: string;
}

export interface LocalReceivers {
  slackUrl: string;
  pagerdutyUrl: string;
  /** A valid 32-character routing key this PagerDuty receiver accepts. */
  pagerdutyRoutingKey: string;
  webhookUrl: string;
  smtp: { host: string; port: number; user?: string; pass?: string };
  received: {
    slack: any[];
    pagerduty: any[];
    webhook: any[];
    email: ReceivedEmail[];
  };
  /** Requests a receiver refused as malformed (a bug in a channel, never expected in tests). */
  rejected: RejectedRequest[];
  /** Down: HTTP receivers answer 503, SMTP answers 421 at connect. */
  setDown(name: ReceiverName, down: boolean): void;
  /** Hanging: accepts the connection and never answers (to prove timeouts). */
  setHanging(name: ReceiverName, hanging: boolean): void;
  close(): Promise<void>;
}

export interface LocalReceiversOptions {
  /** Require SMTP AUTH with these credentials (without them any client is accepted). */
  smtpAuth?: { user: string; pass: string };
  /** Called with each accepted payload (slack/pagerduty/webhook: the JSON body; email: ReceivedEmail), to print it as it comes. */
  onReceive?: (receiver: ReceiverName, item: any) => void;
  /** Called with each request refused as malformed. */
  onReject?: (r: RejectedRequest) => void;
}

const MAX_BODY_BYTES = 512 * 1024;

function token(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

export async function startLocalReceivers(opts: LocalReceiversOptions = {}): Promise<LocalReceivers> {
  const modes: Record<ReceiverName, Mode> = { slack: "up", pagerduty: "up", webhook: "up", email: "up" };
  const received: LocalReceivers["received"] = { slack: [], pagerduty: [], webhook: [], email: [] };
  const rejected: RejectedRequest[] = [];
  const accept = (receiver: ReceiverName, item: any) => {
    (received[receiver] as any[]).push(item);
    opts.onReceive?.(receiver, item);
  };
  const slackPath = `/services/T0LOCAL00/B0LOCAL00/${token(12)}`;
  const webhookPath = `/hooks/${token(16)}`;
  const routingKey = token(16); // 32 hex characters, like an integration key

  const reject = (res: ServerResponse, receiver: ReceiverName, status: number, reason: string, body: string, type = "text/plain") => {
    rejected.push({ receiver, status, reason });
    opts.onReject?.({ receiver, status, reason });
    res.writeHead(status, { "content-type": type }).end(body);
  };

  const slack = await listen(
    httpReceiver("slack", modes, async (req, res) => {
      if (req.method !== "POST") return reject(res, "slack", 405, "method", "invalid_method");
      if (req.url !== slackPath) return reject(res, "slack", 404, "no_service", "no_service");
      const body = await readBody(req);
      const payload = parseSlackBody(req.headers["content-type"], body);
      if (payload === undefined) return reject(res, "slack", 400, "invalid_payload", "invalid_payload");
      const problem = validateSlackPayload(payload);
      if (problem) return reject(res, "slack", 400, problem, problem.split(":")[0]!);
      accept("slack", payload);
      res.writeHead(200, { "content-type": "text/html" }).end("ok");
    }),
  );

  const pagerduty = await listen(
    httpReceiver("pagerduty", modes, async (req, res) => {
      if (req.method !== "POST" || req.url !== "/v2/enqueue") {
        return reject(res, "pagerduty", 404, "not found", JSON.stringify({ status: "not found" }), "application/json");
      }
      const body = await readBody(req);
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        event = undefined;
      }
      const errors = validatePagerDutyEvent(event, routingKey);
      if (errors.length > 0) {
        return reject(
          res,
          "pagerduty",
          400,
          errors.join("; "),
          JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors }),
          "application/json",
        );
      }
      const ev = event as { dedup_key?: string };
      accept("pagerduty", event);
      res
        .writeHead(202, { "content-type": "application/json" })
        .end(JSON.stringify({ status: "success", message: "Event processed", dedup_key: ev.dedup_key ?? randomUUID().replace(/-/g, "") }));
    }),
  );

  const webhook = await listen(
    httpReceiver("webhook", modes, async (req, res) => {
      if (req.method !== "POST" || req.url !== webhookPath) return reject(res, "webhook", 404, "not found", "not found");
      const body = await readBody(req);
      let notice: any;
      try {
        notice = JSON.parse(body);
      } catch {
        return reject(res, "webhook", 400, "invalid JSON", "invalid JSON");
      }
      for (const field of ["dedupKey", "kind", "severity", "title", "ts"]) {
        if (typeof notice?.[field] !== "string") return reject(res, "webhook", 400, `missing ${field}`, `missing ${field}`);
      }
      accept("webhook", notice);
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    }),
  );

  const smtpAuth = opts.smtpAuth;
  const smtp = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (no certificate to trust), AUTH allowed without TLS.
    disabledCommands: smtpAuth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !smtpAuth,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 1_000,
    onConnect(_session, callback) {
      if (modes.email === "hang") return; // never greets
      if (modes.email === "down") {
        const err = Object.assign(new Error("Service not available, try again later"), { responseCode: 421 });
        return callback(err);
      }
      callback();
    },
    onAuth(auth, _session, callback) {
      if (smtpAuth && auth.username === smtpAuth.user && auth.password === smtpAuth.pass) {
        return callback(null, { user: auth.username });
      }
      callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const parsed = parseMessage(Buffer.concat(chunks).toString("utf8"));
        const mailFrom = session.envelope.mailFrom;
        accept("email", {
          from: mailFrom ? mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: parsed.headers["subject"] ?? "",
          text: parsed.text,
          headers: parsed.headers,
        } satisfies ReceivedEmail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once("error", reject);
    smtp.listen(0, "127.0.0.1", () => resolve());
  });
  smtp.on("error", () => {});
  const smtpPort = ((smtp as unknown as { server: Server }).server.address() as AddressInfo).port;

  return {
    slackUrl: `${slack.base}${slackPath}`,
    pagerdutyUrl: `${pagerduty.base}/v2/enqueue`,
    pagerdutyRoutingKey: routingKey,
    webhookUrl: `${webhook.base}${webhookPath}`,
    smtp: { host: "127.0.0.1", port: smtpPort, ...(smtpAuth ? { user: smtpAuth.user, pass: smtpAuth.pass } : {}) },
    received,
    rejected,
    setDown(name, down) {
      modes[name] = down ? "down" : "up";
    },
    setHanging(name, hanging) {
      modes[name] = hanging ? "hang" : "up";
    },
    async close() {
      await Promise.all([slack.close(), pagerduty.close(), webhook.close(), new Promise<void>((r) => smtp.close(() => r()))]);
    },
  };
}

function httpReceiver(
  name: ReceiverName,
  modes: Record<ReceiverName, Mode>,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Server {
  return createServer((req, res) => {
    if (modes[name] === "hang") return; // keep the socket open, never answer
    if (modes[name] === "down") {
      req.resume();
      res.writeHead(503, { "content-type": "text/plain" }).end("service unavailable");
      return;
    }
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(err instanceof PayloadTooLarge ? 413 : 500).end(String((err as Error).message));
    });
  });
}

async function listen(server: Server): Promise<{ base: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class PayloadTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLarge("payload too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseSlackBody(contentType: string | undefined, body: string): unknown {
  try {
    if (contentType?.startsWith("application/x-www-form-urlencoded")) {
      const payload = new URLSearchParams(body).get("payload");
      return payload === null ? undefined : JSON.parse(payload);
    }
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const TEXT_TYPES = new Set(["plain_text", "mrkdwn"]);

function textObjectProblem(t: any, max: number, allowed = TEXT_TYPES): string | undefined {
  if (typeof t !== "object" || t === null) return "text object missing";
  if (!allowed.has(t.type)) return `text type ${String(t.type)} not allowed`;
  if (typeof t.text !== "string" || t.text.length < 1) return "empty text";
  if (t.text.length > max) return `text longer than ${max}`;
  return undefined;
}

/** Checks the Block Kit limits Slack documents; returns "<error>: <detail>" or undefined. */
export function validateSlackPayload(p: any): string | undefined {
  const hasText = typeof p.text === "string" && p.text.length > 0;
  const hasBlocks = Array.isArray(p.blocks) && p.blocks.length > 0;
  const hasAttachments = Array.isArray(p.attachments) && p.attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return "no_text: text or blocks required";
  if (p.blocks === undefined) return undefined;
  if (!Array.isArray(p.blocks) || p.blocks.length > 50) return "invalid_blocks: blocks must be an array of at most 50";
  for (const [i, b] of (p.blocks as any[]).entries()) {
    const problem = blockProblem(b);
    if (problem) return `invalid_blocks: block ${i} (${String(b?.type)}): ${problem}`;
  }
  return undefined;
}

function blockProblem(b: any): string | undefined {
  if (typeof b !== "object" || b === null || typeof b.type !== "string") return "not a block";
  switch (b.type) {
    case "header":
      return textObjectProblem(b.text, 150, new Set(["plain_text"]));
    case "section": {
      if (b.text === undefined && b.fields === undefined) return "text or fields required";
      if (b.text !== undefined) {
        const p = textObjectProblem(b.text, 3000);
        if (p) return p;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length < 1 || b.fields.length > 10) return "fields must be 1 to 10";
        for (const f of b.fields) {
          const p = textObjectProblem(f, 2000);
          if (p) return `field: ${p}`;
        }
      }
      return undefined;
    }
    case "context": {
      if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) return "elements must be 1 to 10";
      for (const e of b.elements) {
        if (e?.type === "image") continue;
        const p = textObjectProblem(e, 3000);
        if (p) return `element: ${p}`;
      }
      return undefined;
    }
    case "divider":
      return undefined;
    case "actions":
      return Array.isArray(b.elements) && b.elements.length >= 1 && b.elements.length <= 25 ? undefined : "elements must be 1 to 25";
    case "image":
    case "rich_text":
    case "markdown":
    case "file":
    case "video":
    case "input":
      return undefined;
    default:
      return `unknown block type ${b.type}`;
  }
}

const PD_ACTIONS = new Set(["trigger", "acknowledge", "resolve"]);
const PD_SEVERITIES = new Set(["critical", "error", "warning", "info"]);

/** The Events API v2 rules; the messages mimic PagerDuty's `errors` list. */
export function validatePagerDutyEvent(e: any, expectedRoutingKey: string): string[] {
  const errors: string[] = [];
  if (typeof e !== "object" || e === null || Array.isArray(e)) return ["Event object is not a JSON object"];
  if (typeof e.routing_key !== "string") errors.push("'routing_key' is missing or blank");
  else if (e.routing_key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  else if (e.routing_key !== expectedRoutingKey) errors.push("Invalid routing key");
  if (!PD_ACTIONS.has(e.event_action)) errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== "string" || e.dedup_key.length > 255)) {
    errors.push("'dedup_key' must be a string of at most 255 characters");
  }
  if ((e.event_action === "acknowledge" || e.event_action === "resolve") && typeof e.dedup_key !== "string") {
    errors.push("'dedup_key' is required for acknowledge and resolve events");
  }
  if (e.event_action === "trigger") {
    const p = e.payload;
    if (typeof p !== "object" || p === null) errors.push("'payload' is missing");
    else {
      if (typeof p.summary !== "string" || p.summary.trim() === "") errors.push("'payload.summary' is missing or blank");
      else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
      if (typeof p.source !== "string" || p.source.trim() === "") errors.push("'payload.source' is missing or blank");
      if (!PD_SEVERITIES.has(p.severity)) errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      if (p.timestamp !== undefined && (typeof p.timestamp !== "string" || Number.isNaN(Date.parse(p.timestamp)))) {
        errors.push("'payload.timestamp' is not a valid ISO 8601 timestamp");
      }
      if (p.custom_details !== undefined && (typeof p.custom_details !== "object" || p.custom_details === null)) {
        errors.push("'payload.custom_details' must be an object");
      }
    }
    if (e.links !== undefined && (!Array.isArray(e.links) || e.links.some((l: any) => typeof l?.href !== "string"))) {
      errors.push("'links' must be an array of objects with 'href'");
    }
    if (e.images !== undefined && (!Array.isArray(e.images) || e.images.some((i: any) => typeof i?.src !== "string" || !i.src.startsWith("https://")))) {
      errors.push("'images' must be an array of objects with an https 'src'");
    }
  }
  return errors;
}

/** A small RFC 5322 reader: unfolded headers, encoded words, QP/base64 bodies, the first text/plain part. */
export function parseMessage(raw: string): { headers: Record<string, string>; text: string } {
  const { headers, body } = splitHeaders(raw);
  return { headers, text: bodyText(headers, body) };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const normalized = raw.replace(/\r\n/g, "\n");
  const cut = normalized.indexOf("\n\n");
  const head = cut === -1 ? normalized : normalized.slice(0, cut);
  const body = cut === -1 ? "" : normalized.slice(cut + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function bodyText(headers: Record<string, string>, body: string): string {
  const type = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith("multipart/") && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith("--")) break;
      const p = splitHeaders(part.replace(/^\n/, ""));
      const t = bodyText(p.headers, p.body);
      if ((p.headers["content-type"] ?? "text/plain").toLowerCase().startsWith("text/plain")) return t;
    }
    return "";
  }
  return decodeTransfer(body, headers["content-transfer-encoding"]).replace(/\n$/, "");
}

function decodeTransfer(body: string, encoding: string | undefined): string {
  switch ((encoding ?? "7bit").toLowerCase()) {
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    default:
      return body;
  }
}

function decodeQuotedPrintable(s: string): string {
  const joined = s.replace(/=\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i]!;
    const hex = joined.slice(i + 1, i + 3);
    if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= and =?UTF-8?B?...?=); adjacent words join without a space. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : decodeQuotedPrintable(text.replace(/_/g, " ")),
    );
}
