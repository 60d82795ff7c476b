/**
 * How long the dataQuality probe may take: scaled to what it reads, not the probes' common
 * watchdog (2 requests + 15 s), which a million rows per channel on a busy machine outlast. The
 * probe stops at this deadline with an ERROR naming what it was still reading (data-quality.ts);
 * collect.ts's watchdog adds its slack on top, so the probe's own message is the one seen.
 *   - the local rows file: up to LOCAL_ATTEMPTS reads (a read that raced with a write is read
 *     again) at MIN_BYTES_PER_S, and the wait between them;
 *   - the input file: one read at MIN_BYTES_PER_S;
 *   - each remote channel (read side by side, so the longest counts): connect, latest run, look-up,
 *     read and a read of its latest instead, each within its own timeoutMs, plus the settle wait;
 *     the same again once if the local channel was rewritten while read (reconciled again);
 *   - 2 x requestTimeoutMs for the rest (worker start, manifests, KPI files).
 */
import fs from "node:fs";
import path from "node:path";
import type { TargetConfig } from "../../config/target.js";
import { resolveTargetPath } from "../../config/target.js";

/** The slowest file reading the deadline allows for: 10 MB/s (CSV checked on a loaded 2-core machine). */
export const MIN_BYTES_PER_S = 10 * 1024 * 1024;
/** readLocal's attempts (local.ts) and the wait for the writer between two of them. */
export const LOCAL_ATTEMPTS = 3;
const LOCAL_RETRY_WAIT_MS = 1000;

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export interface DataQualityBudget {
  deadlineMs: number;
  /** What it was scaled to, for the timeout's message. */
  basis: string;
}

export function dataQualityBudget(target: TargetConfig): DataQualityBudget {
  const o = target.outputs;
  const rowsBytes = o.local.enabled ? sizeOf(path.resolve(resolveTargetPath(target, o.local.dir), o.local.rowsFile)) : 0;
  const inputBytes = o.local.inputFile ? sizeOf(resolveTargetPath(target, o.local.inputFile)) : 0;
  const fileMs = (bytes: number) => (bytes / MIN_BYTES_PER_S) * 1000;
  const local = o.local.enabled ? LOCAL_ATTEMPTS * fileMs(rowsBytes) + (LOCAL_ATTEMPTS - 1) * LOCAL_RETRY_WAIT_MS : 0;
  const remotes = [o.azure, o.supabase].filter((c): c is NonNullable<typeof c> => c !== null);
  const remote = Math.max(0, ...remotes.map((c) => 2 * (5 * c.timeoutMs + o.settleMs)));
  const deadlineMs = Math.ceil(2 * target.requestTimeoutMs + local + fileMs(inputBytes) + remote);
  const mb = (b: number) => `${Math.round((b / 1048576) * 10) / 10} MB`;
  return { deadlineMs, basis: `${mb(rowsBytes + inputBytes)} of local files at ${MIN_BYTES_PER_S / 1048576} MB/s${remotes.length ? ", the remote channels' timeoutMs and settleMs" : ""}` };
}

/** The probe's deadline, ms (collect.ts's watchdog waits this long plus its slack). */
export function dataQualityDeadlineMs(target: TargetConfig): number {
  return dataQualityBudget(target).deadlineMs;
}
