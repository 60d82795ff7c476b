/**
 * The one error a channel throws when it did not accept a notice. Its message and cause are
 * redacted twice: the channel's own secrets (in every form) and the process's secret registry.
 */
import { redactSecrets } from "./redact.ts";
import { redactAll } from "../secrets.ts";

export type DeliveryErrorCode =
  | "ALERT_HTTP_STATUS"
  | "ALERT_TIMEOUT"
  | "ALERT_ABORTED"
  | "ALERT_NETWORK"
  | "ALERT_SMTP"
  | "ALERT_REJECTED"
  | "ALERT_CHANNEL_MISSING";

export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  readonly channel: string;
  /** True when the same notice may succeed later (429, 5xx, network, timeout); false for a rejection. */
  readonly retryable: boolean;
  readonly status?: number;
  readonly code: DeliveryErrorCode;

  constructor(opts: {
    channel: string;
    message: string;
    retryable: boolean;
    code: DeliveryErrorCode;
    status?: number;
    cause?: unknown;
    secrets?: readonly string[];
  }) {
    const secrets = opts.secrets ?? [];
    super(redactAll(redactSecrets(`${opts.channel}: ${opts.message}`, secrets)), {
      cause: redactCause(opts.cause, secrets),
    });
    this.channel = opts.channel;
    this.retryable = opts.retryable;
    this.code = opts.code;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** A non-2xx HTTP answer; kept as the `cause` of the DeliveryError it maps to. */
export class HttpStatusError extends Error {
  override readonly name = "HttpStatusError";
  constructor(
    readonly status: number,
    readonly responseBody: string,
  ) {
    super(`HTTP ${status}${responseBody ? `: ${responseBody}` : ""}`);
  }
}

/** 429 and 5xx may succeed later; any other 4xx is a rejection that will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The single mapping of HTTP statuses to DeliveryError, keeping the original response as `cause`. */
export function deliveryErrorFromStatus(
  channel: string,
  status: number,
  responseBody: string,
  secrets: readonly string[] = [],
  endpoint = "",
): DeliveryError {
  const body = oneLine(redactAll(redactSecrets(responseBody, secrets))).slice(0, 300);
  const retryable = isRetryableStatus(status);
  const hint = retryable
    ? "kept in the outbox and retried at the next checkpoint"
    : "rejected: check the channel's configuration and payload";
  return new DeliveryError({
    channel,
    code: "ALERT_HTTP_STATUS",
    status,
    retryable,
    message: `HTTP ${status}${endpoint ? ` from ${endpoint}` : ""}${body ? ` (${body})` : ""}; ${hint}`,
    cause: new HttpStatusError(status, body),
    secrets,
  });
}

/** Maps a failed request (timeout, abort, connection refused) to a retryable DeliveryError. */
export function deliveryErrorFromFailure(
  channel: string,
  err: unknown,
  signal: AbortSignal,
  timeoutMs: number | undefined,
  secrets: readonly string[] = [],
  endpoint = "",
): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const where = endpoint ? ` from ${endpoint}` : "";
  if (signal.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    const timedOut = reason?.name === "TimeoutError";
    return new DeliveryError({
      channel,
      code: timedOut ? "ALERT_TIMEOUT" : "ALERT_ABORTED",
      retryable: true,
      message: timedOut
        ? `no answer${where} within ${timeoutMs ?? "the"} ms`
        : `send aborted before an answer${where}`,
      cause: err,
      secrets,
    });
  }
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new DeliveryError({
    channel,
    code: "ALERT_NETWORK",
    retryable: true,
    message: `request${where} failed (${oneLine(String(detail))})`,
    cause: err,
    secrets,
  });
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Keeps the original error as cause, unless its message would leak a secret. */
function redactCause(cause: unknown, secrets: readonly string[]): unknown {
  if (!(cause instanceof Error)) return cause;
  const redacted = redactAll(redactSecrets(cause.message, secrets));
  if (redacted === cause.message) return cause;
  const copy = new Error(redacted);
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (code !== undefined) (copy as { code?: unknown }).code = code;
  return copy;
}
