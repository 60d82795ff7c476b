/**
 * Generic webhook: POSTs the AlertNotice as JSON with its `idempotency_key`, the same key in an
 * `Idempotency-Key` header; any 2xx is an acceptance. A send that timed out may have been accepted:
 * the retry carries the same key, so the receiver can drop the repeat.
 */
import { DEFAULT_TIMEOUT_MS, postJson } from "./http-post.ts";
import { idempotencyKey } from "./idempotency.ts";
import { urlSecrets } from "./redact.ts";
import type { AlertChannel, AlertNotice } from "./types.ts";

export interface WebhookChannelOptions {
  url: string;
  name?: string;
  timeoutMs?: number;
}

export { idempotencyKey };

/** The body: the notice itself plus its idempotency key. */
export function webhookPayload(n: AlertNotice): AlertNotice & { idempotency_key: string } {
  return { ...n, idempotency_key: idempotencyKey(n) };
}

export class WebhookChannel implements AlertChannel {
  readonly type = "webhook" as const;
  readonly name: string;
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #secrets: string[];

  constructor(opts: WebhookChannelOptions) {
    this.name = opts.name ?? "webhook";
    this.#url = opts.url;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#secrets = urlSecrets(opts.url);
  }

  async send(n: AlertNotice, signal: AbortSignal): Promise<void> {
    const body = webhookPayload(n);
    await postJson({
      channel: this.name,
      url: this.#url,
      body,
      signal,
      timeoutMs: this.#timeoutMs,
      secrets: this.#secrets,
      headers: { "idempotency-key": body.idempotency_key, "user-agent": "cutover-monitor" },
    });
  }
}
