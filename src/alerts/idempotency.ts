/**
 * What "the same notice" is, for the dispatcher (delivered at most once per channel) and for the
 * receivers (an idempotency key they can drop a repeat by): a send that timed out may still have
 * been accepted, so the retry must carry the same key as the first attempt.
 */
import { createHash } from "node:crypto";
import type { AlertNotice } from "./types.ts";

/**
 * A trigger and a resolve happen once per incident; reminders and escalations repeat, and are
 * told apart by their time.
 */
export function deliveryId(n: Pick<AlertNotice, "dedupKey" | "kind" | "ts">): string {
  return n.kind === "trigger" || n.kind === "resolve" ? `${n.dedupKey}#${n.kind}` : `${n.dedupKey}#${n.kind}@${n.ts}`;
}

/** Same notice -> same key, on every attempt and after a restart (never per attempt). */
export function idempotencyKey(n: Pick<AlertNotice, "dedupKey" | "kind" | "ts">): string {
  return createHash("sha256").update(deliveryId(n)).digest("hex");
}
