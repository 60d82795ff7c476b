import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { StateFileError } from "../errors.ts";
import { redactDeep } from "../secrets.ts";
import { pidAlive } from "./pid.ts";
import { withFileLock, type FileLockOptions } from "./file-lock.ts";

export { StateFileError };

/**
 * A JSON state file that outlives a checkpoint process (each run may be a
 * fresh process, as in a scheduled CI job): written atomically (temp file +
 * rename) under a cross-process lock. A missing file is the initial state; a
 * corrupt one is a clear one-line error naming the file, never a silent reset.
 * The one atomic writer and the one lock of the monitor: the alert outbox uses them too.
 */

/** Writes the whole file to a temp file in the same folder (flushed to disk), then renames it over the target. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(redactDeep(value), null, 2)}\n`, { encoding: "utf8", flush: true });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await removeDeadTemps(path);
}

/** Temp files of this state file left by writers killed mid-write (their pid is gone). */
async function removeDeadTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length - 1)) : null;
    if (!m) continue;
    if (!pidAlive(Number(m[1]))) await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}

/** The parsed JSON of a state file; missing is `undefined`, unreadable or malformed a StateFileError naming the file. */
function parseJsonFile(path: string, text: () => string): unknown {
  let raw: string;
  try {
    raw = text();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateFileError(path, `cannot read state file: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new StateFileError(path, `corrupt state file, not valid JSON (${(err as Error).message}); fix or move it aside, it is never reset silently`);
  }
}

/** Reads a JSON file checked by `isValid` (synchronously); missing is `empty()`. */
export function readJsonFile<T>(path: string, empty: () => T, isValid: (v: unknown) => v is T): T {
  const parsed = parseJsonFile(path, () => readFileSync(path, "utf8"));
  if (parsed === undefined) return empty();
  if (!isValid(parsed)) throw new StateFileError(path, "unexpected shape; fix or move it aside, it is never reset silently");
  return parsed;
}

export interface StateFile<T> {
  readonly path: string;
  /** The current value (the initial value when the file does not exist). */
  load(): Promise<T>;
  /** Replaces the value atomically. */
  save(value: T): Promise<void>;
  /** Read-modify-write under one lock, so concurrent checkpoints do not lose each other's changes. */
  update(change: (current: T) => T | Promise<T>): Promise<T>;
  /** Whether it was ever written (load() gives the initial value either way). */
  exists(): Promise<boolean>;
}

export function stateFile<S extends z.ZodType>(
  path: string,
  schema: S,
  initial: () => z.infer<S>,
  lock?: FileLockOptions,
): StateFile<z.infer<S>> {
  type T = z.infer<S>;

  async function read(): Promise<T> {
    let text: string | undefined;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new StateFileError(path, `cannot read state file: ${(err as Error).message}`);
    }
    if (text === undefined) return initial();
    const raw = parseJsonFile(path, () => text!);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? issue.path.join(".") : "(root)";
      throw new StateFileError(path, `invalid state file at ${field}: ${issue.message}; fix or move it aside, it is never reset silently`);
    }
    return parsed.data as T;
  }

  async function write(value: T): Promise<void> {
    const checked = schema.safeParse(value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new StateFileError(path, `refusing to save invalid state at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    await writeJsonAtomic(path, value);
  }

  return {
    path,
    exists: () => access(path).then(() => true, () => false),
    load: () => withFileLock(path, read, lock),
    save: (value) => withFileLock(path, () => write(value), lock),
    update: (change) =>
      withFileLock(
        path,
        async () => {
          const next = await change(await read());
          await write(next);
          return next;
        },
        lock,
      ),
  };
}

