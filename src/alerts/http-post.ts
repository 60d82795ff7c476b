/** One JSON POST with a timeout, mapped to DeliveryError; shared by the HTTP channels. */
import { deliveryErrorFromFailure, deliveryErrorFromStatus } from "./delivery-error.ts";
import { describeEndpoint } from "./redact.ts";

import { DEFAULT_TIMEOUT_MS } from "./config-schema.ts";
export { DEFAULT_TIMEOUT_MS };
const MAX_RESPONSE_CHARS = 2_000;

export interface PostJsonOptions {
  channel: string;
  url: string;
  body: unknown;
  signal: AbortSignal;
  timeoutMs?: number;
  secrets: readonly string[];
  headers?: Record<string, string>;
}

export interface PostJsonResult {
  status: number;
  text: string;
}

/** Resolves on any 2xx; otherwise throws a DeliveryError whose message has no secret in it. */
export async function postJson(opts: PostJsonOptions): Promise<PostJsonResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]);
  const endpoint = describeEndpoint(opts.url);
  let status: number;
  let text: string;
  try {
    const res = await fetch(opts.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...opts.headers },
      body: JSON.stringify(opts.body),
      signal,
      redirect: "error",
    });
    status = res.status;
    text = (await res.text()).slice(0, MAX_RESPONSE_CHARS);
  } catch (err) {
    throw deliveryErrorFromFailure(opts.channel, err, signal, timeoutMs, opts.secrets, endpoint);
  }
  if (status < 200 || status > 299) {
    throw deliveryErrorFromStatus(opts.channel, status, text, opts.secrets, endpoint);
  }
  return { status, text };
}
