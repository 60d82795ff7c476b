import { appendFileSync, closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { redactDeep } from "../secrets.js";
import path from "node:path";
import lockfile from "proper-lockfile";
import { boundForStorage } from "../history/bound.js";
import { chainLine, type CheckpointStore } from "../history/store.js";
import { JsonlCheckpointStore } from "../history/jsonl-store.js";
import { MonitorUserError } from "../errors.js";

/** One line of reports/monitoring_events.log: what a log shipper ingests. */
export interface MonitoringEvent {
  ts: string;
  type:
    | "checkpoint"
    | "alert_fired"
    | "alert_resolved"
    | "alert_reminder"
    | "alert_escalated"
    | "alert_muted"
    | "alert_delivered"
    | "alert_delivery_failed"
    | "alert_queued"
    | "decision"
    | "rollback"
    | "cutover_recorded"
    | "attestation"
    | "signoff"
    | "silence"
    // the watch (src/monitor/)
    | "watch_started"
    | "watch_stopped"
    | "watch_finished"
    | "monitoring_gap"
    | "checkpoint_missed"
    | "checkpoint_late"
    | "checkpoint_abandoned"
    | "scenario_fault"
    | "monitor_down";
  severity?: string;
  [key: string]: unknown;
}

/** How long a writer waits for another to finish its line before giving up (ms). */
const LOCK_TIMEOUT_MS = 15_000;
const LOCK_STALE_MS = 10_000;

/**
 * Appends whole JSON lines, each bounded like the history (src/history/bound.ts): a shipper's
 * line is never 10 MB. Each line carries the hash of the one before it (`"prev"`, the chain of
 * src/history/store.ts), so the line is written under the same cross-process lock the history
 * store uses (`<file>.lock`): the previous line is read and the new one appended by one writer at
 * a time. Writing stays synchronous, as its callers expect.
 */
export class EventsLog {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  write(event: Omit<MonitoringEvent, "ts"> & { ts?: string }): void {
    const json = eventJson(event);
    try {
      withSyncLock(this.file, () => {
        const prev = cutTornTailAndHashLast(this.file);
        appendFileSync(this.file, chainLine(json, prev) + "\n");
      });
    } catch (err) {
      if (err instanceof MonitorUserError) throw err;
      const e = err as NodeJS.ErrnoException;
      const why = e.code === "ENOSPC" ? "no space left on device (ENOSPC)" : `${e.message}`.split("\n")[0];
      throw new MonitorUserError("E_EVENTS_WRITE", `cannot append to ${this.file}: ${why}`, { cause: err });
    }
  }

  /** The log read back (chained lines, skipped lines reported) through the history store. */
  store(): CheckpointStore<MonitoringEvent> {
    return new JsonlCheckpointStore<MonitoringEvent>(this.file);
  }

  /** Waits for lines still being written (a database-backed log, src/storage/); a file's lines are written at once. */
  async flush(): Promise<void> {}
}

/** One event as stored (without its chain field): stamped, bounded, redacted, one line of JSON. */
export function eventJson(event: Omit<MonitoringEvent, "ts"> & { ts?: string }): string {
  return JSON.stringify(redactDeep(boundForStorage({ ts: event.ts ?? new Date().toISOString(), ...event })));
}

/** Runs `fn` holding `<file>.lock` (proper-lockfile's protocol, shared with the async store); waits while another holds it. */
function withSyncLock<T>(file: string, fn: () => T): T {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let release: (() => void) | undefined;
  for (;;) {
    try {
      release = lockfile.lockSync(file, { realpath: false, stale: LOCK_STALE_MS, onCompromised: () => undefined });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      if (Date.now() > deadline) throw new MonitorUserError("E_LOCKED", `${file}: still locked by another process after ${LOCK_TIMEOUT_MS} ms (lock ${file}.lock)`);
      // A writer holds it for a millisecond or two: wait a little without spinning the CPU.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.floor(Math.random() * 10));
    }
  }
  try {
    return fn();
  } finally {
    try {
      release();
    } catch {
      // Already released (stale and taken over): the line was written whole before that.
    }
  }
}

/**
 * Under the lock: a torn last line (a writer killed mid-line) is moved to `<file>.torn`, so the
 * next line starts on a line of its own; then the hash of the last non-blank line, or null when
 * there is none (an empty or new log).
 */
function cutTornTailAndHashLast(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    let size = fstatSync(fd).size;
    if (size === 0) return null;
    const lastNewline = (end: number): number => {
      const chunk = 64 * 1024;
      for (let pos = end; pos > 0; ) {
        const from = Math.max(0, pos - chunk);
        const buf = Buffer.alloc(pos - from);
        readSync(fd, buf, 0, buf.length, from);
        const i = buf.lastIndexOf(0x0a);
        if (i !== -1) return from + i;
        pos = from;
      }
      return -1;
    };
    const one = Buffer.alloc(1);
    readSync(fd, one, 0, 1, size - 1);
    if (one[0] !== 0x0a) {
      const at = lastNewline(size) + 1;
      const torn = Buffer.alloc(size - at);
      readSync(fd, torn, 0, torn.length, at);
      appendFileSync(`${file}.torn`, Buffer.concat([torn, Buffer.from("\n")]));
      ftruncateSync(fd, at);
      size = at;
    }
    // The last non-blank line: skip the final newline and blank lines.
    let end = size;
    while (end > 0) {
      readSync(fd, one, 0, 1, end - 1);
      if (one[0] !== 0x0a && one[0] !== 0x0d && one[0] !== 0x20) break;
      end--;
    }
    if (end === 0) return null;
    const start = lastNewline(end) + 1;
    let stop = end;
    while (stop < size) {
      readSync(fd, one, 0, 1, stop);
      if (one[0] === 0x0a) break;
      stop++;
    }
    const hash = createHash("sha256");
    for (let at = start; at < stop; at += 64 * 1024) {
      const buf = Buffer.alloc(Math.min(64 * 1024, stop - at));
      readSync(fd, buf, 0, buf.length, at);
      hash.update(buf);
    }
    return hash.digest("hex");
  } finally {
    closeSync(fd);
  }
}
