import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { MonitorUserError } from "../errors.ts";

export interface FileLockOptions {
  /** How long to keep retrying before giving up, ms (default 15 000). */
  timeoutMs?: number;
  /** A lock older than this is considered left behind by a dead process, ms (default 10 000). */
  staleMs?: number;
}

/** The one cross-process lock of the monitor (state files, the history, the alert outbox). */
export class FileLockError extends MonitorUserError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("E_LOCKED", message, options);
    this.name = "FileLockError";
  }
}

/**
 * Runs `fn` while holding a cross-process lock on `file` (proper-lockfile:
 * an atomic mkdir of `<file>.lock`, refreshed while held, taken over when stale).
 * The file itself need not exist yet; its folder is created.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 10_000;
  await mkdir(dirname(file), { recursive: true });
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: staleMs,
      // Many short waits with jitter: appends hold the lock for a few milliseconds.
      retries: { retries: Math.max(1, Math.ceil(timeoutMs / 50)), factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ELOCKED" ? `still locked by another process after ${timeoutMs} ms (lock ${file}.lock)` : `cannot lock: ${(err as Error).message}`;
    throw new FileLockError(file, `${file}: ${why}`, { cause: err });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
    if (compromised) throw new FileLockError(file, `${file}: the lock was lost while held (${compromised.message})`, { cause: compromised });
  }
}
