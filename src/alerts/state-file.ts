/** Durable JSON state for the dispatcher: atomic writes (temp file + rename) under a cross-process lock. */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";

export class AlertStateError extends Error {
  override readonly name = "AlertStateError";
  readonly code = "ALERT_STATE_INVALID";
}

/** Reads a JSON state file; a missing file is `empty`, an unreadable one is a clear error naming the file. */
export function readJsonState<T>(path: string, empty: () => T, isValid: (v: unknown) => v is T): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return empty();
    throw new AlertStateError(`${path}: cannot read alert state (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AlertStateError(
      `${path}: not valid JSON (${(err as Error).message}); move the file aside to continue, nothing else was changed`,
    );
  }
  if (!isValid(parsed)) {
    throw new AlertStateError(`${path}: unexpected shape of alert state; move the file aside to continue`);
  }
  return parsed;
}

/** Writes the whole file to a temp file in the same folder, fsyncs it, then renames it over the target. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Runs `fn` while holding a lock on `path` (a `<path>.lock` directory), shared across processes. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const release = await lockfile.lock(path, {
    realpath: false,
    stale: 30_000,
    update: 5_000,
    retries: { retries: 400, factor: 1.2, minTimeout: 20, maxTimeout: 250 },
    // Losing the lock must not crash the monitor; the next write is still atomic.
    onCompromised: () => {},
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
