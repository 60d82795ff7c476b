/**
 * Email over SMTP (nodemailer), with connection, greeting and socket timeouts. Each notice has a
 * stable Message-ID (the same on every attempt), so a retry after a send that timed out but was
 * delivered is the same message to the receiving server and mail clients, which drop duplicates.
 */
import { DeliveryError, deliveryErrorFromFailure } from "./delivery-error.ts";
import { DEFAULT_TIMEOUT_MS } from "./http-post.ts";
import { idempotencyKey } from "./idempotency.ts";
import { smtpAuthSecrets } from "./redact.ts";
import { noticeHeadline, noticePlainText } from "./notice-text.ts";
import type { AlertChannel, AlertNotice } from "./types.ts";

export interface EmailChannelOptions {
  host: string;
  port: number;
  /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
  secure: boolean;
  requireTLS?: boolean;
  user?: string;
  pass?: string;
  from: string;
  to: string[];
  name?: string;
  timeoutMs?: number;
}

/** SMTP 4xx and connection failures may pass later; 5xx replies and authentication failures will not. */
const RETRYABLE_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "EPROTOCOL"]);

/** The right-hand side of Message-IDs: the sender's domain ("localhost" for "a@localhost"). */
function messageIdDomain(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? "cutover-monitor";
}

/** "<sha256 of the notice's identity@domain>": the same notice always gets the same Message-ID. */
export function emailMessageId(n: Pick<AlertNotice, "dedupKey" | "kind" | "ts">, from: string): string {
  return `<${idempotencyKey(n)}@${messageIdDomain(from)}>`;
}

export function emailMessage(n: AlertNotice, from: string, to: string[]) {
  const text = noticePlainText(n);
  // Reminders, escalations and the resolve thread under the incident's first mail.
  const trigger = n.kind === "trigger" || n.kind === "test" ? undefined : emailMessageId({ dedupKey: n.dedupKey, kind: "trigger", ts: n.ts }, from);
  return {
    from,
    to,
    subject: noticeHeadline(n),
    text,
    messageId: emailMessageId(n, from),
    ...(trigger ? { inReplyTo: trigger, references: [trigger] } : {}),
    headers: {
      "X-Cutover-Monitor-Incident": n.dedupKey,
      "X-Cutover-Monitor-Kind": n.kind,
      "X-Cutover-Monitor-Severity": n.severity,
    },
  };
}

export class EmailChannel implements AlertChannel {
  readonly type = "email" as const;
  readonly name: string;
  readonly #opts: EmailChannelOptions;
  readonly #timeoutMs: number;
  readonly #secrets: string[];

  constructor(opts: EmailChannelOptions) {
    this.name = opts.name ?? "email";
    this.#opts = opts;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // The password, and the base64 AUTH PLAIN / LOGIN blobs an echoing server would show.
    this.#secrets = smtpAuthSecrets(opts.user, opts.pass);
  }

  async send(n: AlertNotice, signal: AbortSignal): Promise<void> {
    const o = this.#opts;
    // Loaded on first send: a checkpoint without alerts does not pay for it.
    const { default: nodemailer } = await import("nodemailer");
    const transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure,
      requireTLS: o.requireTLS ?? false,
      ...(o.user ? { auth: { user: o.user, pass: o.pass ?? "" } } : {}),
      connectionTimeout: this.#timeoutMs,
      greetingTimeout: this.#timeoutMs,
      socketTimeout: this.#timeoutMs,
      dnsTimeout: this.#timeoutMs,
    });
    // Each SMTP phase has its own timeout; the whole exchange (connect, greet, auth, data) gets two.
    const timeout = AbortSignal.timeout(this.#timeoutMs * 2);
    const all = AbortSignal.any([signal, timeout]);
    let onAbort: (() => void) | undefined;
    try {
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(all.reason);
        if (all.aborted) onAbort();
        else all.addEventListener("abort", onAbort, { once: true });
      });
      const info = await Promise.race([transport.sendMail(emailMessage(n, o.from, o.to)), aborted]);
      const accepted = (info.accepted ?? []).length;
      if (accepted === 0) {
        throw new DeliveryError({
          channel: this.name,
          code: "ALERT_REJECTED",
          retryable: false,
          message: `the SMTP server accepted none of the recipients (${(info.rejected ?? []).length} rejected)`,
          secrets: this.#secrets,
        });
      }
    } catch (err) {
      throw this.#toDeliveryError(err, all);
    } finally {
      if (onAbort) all.removeEventListener("abort", onAbort);
      transport.close();
    }
  }

  #toDeliveryError(err: unknown, signal: AbortSignal): DeliveryError {
    if (err instanceof DeliveryError) return err;
    if (signal.aborted) {
      return deliveryErrorFromFailure(this.name, err, signal, this.#timeoutMs * 2, this.#secrets, `${this.#opts.host}:${this.#opts.port}`);
    }
    const e = err as { code?: string; responseCode?: number; message?: string };
    const responseCode = typeof e.responseCode === "number" ? e.responseCode : undefined;
    const retryable =
      responseCode !== undefined ? responseCode >= 400 && responseCode < 500 : RETRYABLE_CODES.has(e.code ?? "");
    return new DeliveryError({
      channel: this.name,
      code: e.code === "ETIMEDOUT" ? "ALERT_TIMEOUT" : "ALERT_SMTP",
      retryable,
      ...(responseCode !== undefined ? { status: responseCode } : {}),
      message: `SMTP ${this.#opts.host}:${this.#opts.port} ${e.code ?? "error"}${responseCode ? ` ${responseCode}` : ""}: ${(e.message ?? String(err)).replace(/\s+/g, " ")}`,
      cause: err,
      secrets: this.#secrets,
    });
  }
}
