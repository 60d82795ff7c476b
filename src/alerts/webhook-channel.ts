/** Generic webhook: POSTs the AlertNotice itself as JSON; any 2xx is an acceptance. */
import { createHash } from "node:crypto";
import { DEFAULT_TIMEOUT_MS, postJson } from "./http-post.ts";
import { urlSecrets } from "./redact.ts";
import type { AlertChannel, AlertNotice } from "./types.ts";

export interface WebhookChannelOptions {
  url: string;
  name?: string;
  timeoutMs?: number;
}

/** Same notice -> same key, so a receiver can drop a repeat after a crash between send and record. */
export function idempotencyKey(n: AlertNotice): string {
  return createHash("sha256").update(`${n.dedupKey}\u0000${n.kind}\u0000${n.ts}`).digest("hex");
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
    await postJson({
      channel: this.name,
      url: this.#url,
      body: n,
      signal,
      timeoutMs: this.#timeoutMs,
      secrets: this.#secrets,
      headers: { "idempotency-key": idempotencyKey(n), "user-agent": "cutover-monitor" },
    });
  }
}
