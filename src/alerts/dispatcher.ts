/**
 * Delivers alert notices to channels, Gatus style: a notice counts as sent to a channel only once
 * that channel accepted it; a failed send waits in a durable outbox and is retried at the next
 * checkpoint; each (notice, channel) is delivered at most once; a resolve goes only where the alert
 * went. State lives in two JSON files changed under one cross-process lock.
 */
import { basename, dirname, extname, join } from "node:path";
import { DeliveryError } from "./delivery-error.ts";
import { deliveryId } from "./idempotency.ts";
import { redactDeep } from "../secrets.ts";
import { withFileLock } from "../state/file-lock.ts";
import { readJsonFile, writeJsonAtomic } from "../state/state-file.ts";
import type { AlertChannel, AlertNotice, AlertNoticeKind, AlertRouting, AlertSeverity } from "./types.ts";

export const DEFAULT_DISPATCH_TIMEOUT_MS = 15_000;

export type AlertDeliveryEventType =
  | "alert_delivered"
  | "alert_delivery_failed"
  | "alert_queued"
  | "alert_delivery_cancelled";

export interface AlertDeliveryEvent {
  type: AlertDeliveryEventType;
  channel: string;
  dedupKey: string;
  kind: AlertNoticeKind;
  severity: AlertSeverity;
  /** Redacted one-line reason; never contains a webhook URL, routing key or password. */
  error?: string;
  retryable?: boolean;
  status?: number;
  attempts?: number;
  ts: string;
}

export type DeliveryStatus =
  | "delivered" // the channel accepted it now
  | "queued" // not accepted; waiting in the outbox for the next retry
  | "failed" // not accepted and not queued (test notices)
  | "already_delivered" // accepted before: not sent again
  | "cancelled" // a queued alert whose incident resolved before any delivery
  | "unrouted"; // no configured channel for it

export interface DeliveryReport {
  channel: string;
  dedupKey: string;
  kind: AlertNoticeKind;
  severity: AlertSeverity;
  status: DeliveryStatus;
  attempts?: number;
  error?: string;
  retryable?: boolean;
}

export interface OutboxEntry {
  /** deliveryId + channel */
  id: string;
  channel: string;
  notice: AlertNotice;
  attempts: number;
  queuedAt: string;
  lastAttemptAt: string;
  lastError: string;
  lastStatus?: number;
  retryable: boolean;
}

export interface DeliveryRecord {
  id: string;
  channel: string;
  dedupKey: string;
  kind: AlertNoticeKind;
  ts: string;
  deliveredAt: string;
  attempts: number;
}

export interface OutboxFile {
  version: 1;
  entries: OutboxEntry[];
}

export interface SentLogFile {
  version: 1;
  deliveries: DeliveryRecord[];
}

/**
 * Where the outbox and the delivery log live when not in the two JSON files (a shared database,
 * src/storage/): a cross-process lock and the two documents, read and written under it.
 */
export interface OutboxStore {
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  read(): Promise<{ outbox: OutboxFile; sent: SentLogFile }>;
  /** The delivery log first, then the outbox: a crash between the two repeats nothing. */
  write(state: { outbox: OutboxFile; sent: SentLogFile }): Promise<void>;
}

export interface AlertDispatcherOptions {
  channels: AlertChannel[];
  routing: AlertRouting;
  outboxPath: string;
  /** The outbox's store; default: the JSON files at outboxPath and sentLogPath. */
  store?: OutboxStore;
  /** Accepted deliveries; defaults to "<outbox>.delivered.json" beside the outbox. */
  sentLogPath?: string;
  onEvent?: (e: AlertDeliveryEvent) => void;
  /** Outer bound on one send, on top of each channel's own request timeout. */
  timeoutMs?: number;
  now?: () => Date;
}

export { deliveryId } from "./idempotency.ts";

function isOutboxFile(v: unknown): v is OutboxFile {
  return typeof v === "object" && v !== null && Array.isArray((v as OutboxFile).entries);
}

function isSentLogFile(v: unknown): v is SentLogFile {
  return typeof v === "object" && v !== null && Array.isArray((v as SentLogFile).deliveries);
}

function defaultSentLogPath(outboxPath: string): string {
  const ext = extname(outboxPath);
  return join(dirname(outboxPath), `${basename(outboxPath, ext)}.delivered${ext || ".json"}`);
}

interface State {
  outbox: OutboxFile;
  sent: SentLogFile;
}

interface Attempt {
  ok: boolean;
  error?: DeliveryError;
}

export class AlertDispatcher {
  readonly #channels: Map<string, AlertChannel>;
  readonly #routing: AlertRouting;
  readonly #outboxPath: string;
  readonly #sentLogPath: string;
  readonly #onEvent: (e: AlertDeliveryEvent) => void;
  readonly #timeoutMs: number;
  readonly #now: () => Date;
  #writes: Promise<void> = Promise.resolve();
  readonly #store: OutboxStore;

  constructor(opts: AlertDispatcherOptions) {
    this.#channels = new Map(opts.channels.map((c) => [c.name, c]));
    this.#routing = opts.routing;
    this.#outboxPath = opts.outboxPath;
    this.#sentLogPath = opts.sentLogPath ?? defaultSentLogPath(opts.outboxPath);
    this.#store = opts.store ?? {
      withLock: (fn) => withFileLock(this.#outboxPath, fn),
      read: async () => this.#readState(),
      write: async (state) => {
        await writeJsonAtomic(this.#sentLogPath, redactDeep(state.sent));
        await writeJsonAtomic(this.#outboxPath, redactDeep(state.outbox));
      },
    };
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS;
    this.#now = opts.now ?? (() => new Date());
    const onEvent = opts.onEvent;
    // A broken event sink must not stop deliveries; it never receives a secret (monitoring_events.log).
    this.#onEvent = (e) => {
      try {
        onEvent?.(redactDeep(e));
      } catch {
        /* ignored */
      }
    };
  }

  get outboxPath(): string {
    return this.#outboxPath;
  }

  get sentLogPath(): string {
    return this.#sentLogPath;
  }

  /** The notices waiting for a retry, oldest first. */
  pending(): OutboxEntry[] {
    return this.#readOutbox().entries;
  }

  /** Every accepted delivery. */
  delivered(): DeliveryRecord[] {
    return this.#readSent().deliveries;
  }

  /** Sends each notice to its channels, in order; what a channel does not accept goes to the outbox. */
  async dispatch(notices: AlertNotice[]): Promise<DeliveryReport[]> {
    const reports: DeliveryReport[] = [];
    await this.#store.withLock(async () => {
      const state = await this.#store.read();
      // What is sent and what waits in the outbox carry no secret, whatever the evidence held.
      for (const n of notices.map(redactDeep)) {
        if (n.kind === "test") reports.push(...(await this.#sendTest(n)));
        else if (n.kind === "resolve") reports.push(...(await this.#dispatchResolve(n, state)));
        else reports.push(...(await this.#dispatchRouted(n, state)));
        await this.#writeState(state);
      }
    });
    return reports;
  }

  /** Retries every queued notice, oldest first; a channel that is still down is skipped after its first failure. */
  async retryOutbox(): Promise<DeliveryReport[]> {
    const reports: DeliveryReport[] = [];
    await this.#store.withLock(async () => {
      const state = await this.#store.read();
      const byChannel = new Map<string, OutboxEntry[]>();
      for (const e of state.outbox.entries) {
        const list = byChannel.get(e.channel) ?? [];
        list.push(e);
        byChannel.set(e.channel, list);
      }
      await Promise.all(
        [...byChannel.entries()].map(async ([channelName, entries]) => {
          let down = false;
          for (const entry of entries) {
            const n = entry.notice;
            const base = { channel: channelName, dedupKey: n.dedupKey, kind: n.kind, severity: n.severity };
            if (this.#isDelivered(state, entry.id)) {
              this.#removeEntry(state, entry.id);
              reports.push({ ...base, status: "already_delivered" });
              continue;
            }
            const channel = this.#channels.get(channelName);
            if (down || !channel) {
              const error = channel
                ? `${channelName}: not retried, the channel failed earlier in this retry`
                : `${channelName}: channel is not configured in this process; kept in the outbox`;
              reports.push({ ...base, status: "queued", attempts: entry.attempts, error, retryable: true });
              continue;
            }
            const attempt = await this.#attempt(channel, n);
            if (attempt.ok) {
              this.#removeEntry(state, entry.id);
              this.#recordDelivery(state, entry.id, channelName, n, entry.attempts + 1);
              reports.push({ ...base, status: "delivered", attempts: entry.attempts + 1 });
            } else {
              const err = attempt.error!;
              this.#updateEntry(entry, err);
              this.#emit("alert_delivery_failed", channelName, n, err, entry.attempts);
              reports.push({ ...base, status: "queued", attempts: entry.attempts, error: err.message, retryable: err.retryable });
              if (err.retryable) down = true;
            }
            await this.#writeState(state);
          }
        }),
      );
      await this.#writeState(state);
    });
    return reports;
  }

  /** Sends a test notice to every configured channel (the pre-cutover "alert channels tested and active"). */
  async testChannels(at: Date = this.#now()): Promise<Array<{ channel: string; ok: boolean; error?: string }>> {
    const ts = at.toISOString();
    const notice: AlertNotice = {
      dedupKey: `cutover-monitor/channel-test/${ts}`,
      kind: "test",
      severity: "info",
      ruleId: "channel-test",
      title: "Alert channel test",
      summary: "Test notification from cutover-monitor: this channel is configured and accepts alerts. No action needed.",
      evidence: { checkpoint: "pre-cutover", phase: "pre-cutover" },
      ts,
    };
    const reports = await this.#sendTest(notice);
    return reports.map((r) => ({ channel: r.channel, ok: r.status === "delivered", ...(r.error ? { error: r.error } : {}) }));
  }

  async #sendTest(n: AlertNotice): Promise<DeliveryReport[]> {
    return Promise.all(
      [...this.#channels.values()].map(async (channel) => {
        const base = { channel: channel.name, dedupKey: n.dedupKey, kind: n.kind, severity: n.severity };
        const attempt = await this.#attempt(channel, n);
        if (attempt.ok) return { ...base, status: "delivered" as const, attempts: 1 };
        this.#emit("alert_delivery_failed", channel.name, n, attempt.error!, 1);
        return { ...base, status: "failed" as const, attempts: 1, error: attempt.error!.message, retryable: attempt.error!.retryable };
      }),
    );
  }

  async #dispatchRouted(n: AlertNotice, state: State): Promise<DeliveryReport[]> {
    const routed = this.#routing[n.severity] ?? [];
    const targets = routed.map((name) => this.#channels.get(name)).filter((c): c is AlertChannel => c !== undefined);
    if (targets.length === 0) {
      const error = `no configured channel for severity ${n.severity} (routing: ${routed.join(", ") || "none"})`;
      this.#onEvent({ type: "alert_delivery_failed", channel: "none", dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, error, retryable: false, ts: this.#ts() });
      return [{ channel: "none", dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, status: "unrouted", error }];
    }
    return Promise.all(targets.map((c) => this.#deliverOnce(c, n, state)));
  }

  async #dispatchResolve(n: AlertNotice, state: State): Promise<DeliveryReport[]> {
    const reports: DeliveryReport[] = [];
    // Alerts of this incident that never reached their channel are dropped: the incident is over.
    for (const entry of [...state.outbox.entries]) {
      if (entry.notice.dedupKey !== n.dedupKey || entry.notice.kind === "resolve") continue;
      this.#removeEntry(state, entry.id);
      this.#onEvent({
        type: "alert_delivery_cancelled",
        channel: entry.channel,
        dedupKey: n.dedupKey,
        kind: entry.notice.kind,
        severity: entry.notice.severity,
        attempts: entry.attempts,
        ts: this.#ts(),
      });
      reports.push({ channel: entry.channel, dedupKey: n.dedupKey, kind: entry.notice.kind, severity: entry.notice.severity, status: "cancelled", attempts: entry.attempts });
    }
    // The resolve goes where the alert went: channels that accepted a trigger, reminder or escalation.
    const alerted = new Set(
      state.sent.deliveries.filter((d) => d.dedupKey === n.dedupKey && d.kind !== "resolve" && d.kind !== "test").map((d) => d.channel),
    );
    const targets = [...alerted].map((name) => this.#channels.get(name));
    for (const [i, name] of [...alerted].entries()) {
      if (targets[i]) continue;
      // The channel was removed from the config since: keep the resolve queued for when it is back.
      reports.push(this.#queue(state, name, n, new DeliveryError({ channel: name, code: "ALERT_CHANNEL_MISSING", retryable: true, message: "channel is not configured in this process" })));
    }
    reports.push(...(await Promise.all(targets.filter((c): c is AlertChannel => !!c).map((c) => this.#deliverOnce(c, n, state)))));
    return reports;
  }

  async #deliverOnce(channel: AlertChannel, n: AlertNotice, state: State): Promise<DeliveryReport> {
    const id = `${deliveryId(n)}->${channel.name}`;
    const base = { channel: channel.name, dedupKey: n.dedupKey, kind: n.kind, severity: n.severity };
    if (this.#isDelivered(state, id)) return { ...base, status: "already_delivered" };
    const queued = state.outbox.entries.find((e) => e.id === id);
    const attempts = (queued?.attempts ?? 0) + 1;
    const attempt = await this.#attempt(channel, n);
    if (attempt.ok) {
      if (queued) this.#removeEntry(state, id);
      this.#recordDelivery(state, id, channel.name, n, attempts);
      return { ...base, status: "delivered", attempts };
    }
    if (queued) {
      this.#updateEntry(queued, attempt.error!);
      this.#emit("alert_delivery_failed", channel.name, n, attempt.error!, queued.attempts);
      return { ...base, status: "queued", attempts: queued.attempts, error: attempt.error!.message, retryable: attempt.error!.retryable };
    }
    return this.#queue(state, channel.name, n, attempt.error!);
  }

  #queue(state: State, channelName: string, n: AlertNotice, err: DeliveryError): DeliveryReport {
    const id = `${deliveryId(n)}->${channelName}`;
    const now = this.#ts();
    const entry: OutboxEntry = {
      id,
      channel: channelName,
      notice: n,
      attempts: 1,
      queuedAt: now,
      lastAttemptAt: now,
      lastError: err.message,
      ...(err.status !== undefined ? { lastStatus: err.status } : {}),
      retryable: err.retryable,
    };
    state.outbox.entries.push(entry);
    this.#emit("alert_delivery_failed", channelName, n, err, 1);
    this.#emit("alert_queued", channelName, n, err, 1);
    return { channel: channelName, dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, status: "queued", attempts: 1, error: err.message, retryable: err.retryable };
  }

  /** One send bounded by the dispatcher's timeout, even for a channel that ignores its signal. */
  async #attempt(channel: AlertChannel, n: AlertNotice): Promise<Attempt> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let onAbort: (() => void) | undefined;
    try {
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      await Promise.race([channel.send(n, signal), aborted]);
      this.#onEvent({ type: "alert_delivered", channel: channel.name, dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, ts: this.#ts() });
      return { ok: true };
    } catch (err) {
      return { ok: false, error: toDeliveryError(channel.name, err, signal, this.#timeoutMs) };
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  #emit(type: AlertDeliveryEventType, channel: string, n: AlertNotice, err: DeliveryError, attempts: number): void {
    this.#onEvent({
      type,
      channel,
      dedupKey: n.dedupKey,
      kind: n.kind,
      severity: n.severity,
      error: err.message,
      retryable: err.retryable,
      ...(err.status !== undefined ? { status: err.status } : {}),
      attempts,
      ts: this.#ts(),
    });
  }

  #updateEntry(entry: OutboxEntry, err: DeliveryError): void {
    entry.attempts += 1;
    entry.lastAttemptAt = this.#ts();
    entry.lastError = err.message;
    entry.retryable = err.retryable;
    if (err.status !== undefined) entry.lastStatus = err.status;
    else delete entry.lastStatus;
  }

  #isDelivered(state: State, id: string): boolean {
    return state.sent.deliveries.some((d) => d.id === id);
  }

  #removeEntry(state: State, id: string): void {
    state.outbox.entries = state.outbox.entries.filter((e) => e.id !== id);
  }

  #recordDelivery(state: State, id: string, channel: string, n: AlertNotice, attempts: number): void {
    state.sent.deliveries.push({ id, channel, dedupKey: n.dedupKey, kind: n.kind, ts: n.ts, deliveredAt: this.#ts(), attempts });
  }

  #ts(): string {
    return this.#now().toISOString();
  }

  #readOutbox(): OutboxFile {
    return readJsonFile(this.#outboxPath, () => ({ version: 1, entries: [] }), isOutboxFile);
  }

  #readSent(): SentLogFile {
    return readJsonFile(this.#sentLogPath, () => ({ version: 1, deliveries: [] }), isSentLogFile);
  }

  #readState(): State {
    return { outbox: this.#readOutbox(), sent: this.#readSent() };
  }

  /** Writes one after another, each a snapshot taken when its turn comes, so the last write is the newest. */
  #writeState(state: State): Promise<void> {
    // The delivery record first: a crash between the two writes repeats nothing.
    const write = () => this.#store.write(state);
    const next = this.#writes.then(write, write);
    this.#writes = next.catch(() => {});
    return next;
  }
}

function toDeliveryError(channel: string, err: unknown, signal: AbortSignal, timeoutMs: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (signal.aborted) {
    return new DeliveryError({ channel, code: "ALERT_TIMEOUT", retryable: true, message: `not accepted within ${timeoutMs} ms`, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError({ channel, code: "ALERT_NETWORK", retryable: true, message: message.replace(/\s+/g, " "), cause: err });
}
