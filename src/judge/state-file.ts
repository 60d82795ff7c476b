import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { withFileLock, type FileLockOptions } from "../history/file-lock.ts";
import { alertStateSchema, emptyAlertState } from "./alert-rules.ts";
import { baselineRecordSchema } from "./baseline.ts";
import { silenceSchema } from "./silences.ts";

/**
 * A JSON state file that outlives a checkpoint process (each run may be a
 * fresh process, as in a scheduled CI job): written atomically (temp file +
 * rename) under a cross-process lock. A missing file is the initial state; a
 * corrupt one is a clear one-line error naming the file, never a silent reset.
 */

export class StateFileError extends Error {
  readonly code = "STATE_FILE_INVALID";
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StateFileError";
  }
}

export interface StateFile<T> {
  readonly path: string;
  /** The current value (the initial value when the file does not exist). */
  load(): Promise<T>;
  /** Replaces the value atomically. */
  save(value: T): Promise<void>;
  /** Read-modify-write under one lock, so concurrent checkpoints do not lose each other's changes. */
  update(change: (current: T) => T | Promise<T>): Promise<T>;
}

export function stateFile<S extends z.ZodType>(
  path: string,
  schema: S,
  initial: () => z.infer<S>,
  lock?: FileLockOptions,
): StateFile<z.infer<S>> {
  type T = z.infer<S>;

  async function read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return initial();
      throw new StateFileError(path, `${path}: cannot read state file: ${(err as Error).message}`, { cause: err });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new StateFileError(path, `${path}: corrupt state file, not valid JSON (${(err as Error).message}); fix or move it aside, it is never reset silently`, {
        cause: err,
      });
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? issue.path.join(".") : "(root)";
      throw new StateFileError(path, `${path}: invalid state file at ${field}: ${issue.message}; fix or move it aside, it is never reset silently`, {
        cause: parsed.error,
      });
    }
    return parsed.data as T;
  }

  async function write(value: T): Promise<void> {
    const checked = schema.safeParse(value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new StateFileError(path, `${path}: refusing to save invalid state at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { encoding: "utf8", flush: true });
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  return {
    path,
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

/** Everything the judge keeps between checkpoints: alert state, silences, recorded baselines. */
export const judgeStateSchema = z.object({
  version: z.literal(1),
  alerts: alertStateSchema,
  silences: z.array(silenceSchema),
  /** Recorded baselines by name, e.g. "hour1". */
  baselines: z.record(z.string(), baselineRecordSchema),
});
export type JudgeState = z.infer<typeof judgeStateSchema>;

export function emptyJudgeState(): JudgeState {
  return { version: 1, alerts: emptyAlertState(), silences: [], baselines: {} };
}

/** The judge's state file, e.g. `reports/judge-state.json`. */
export function judgeStateFile(path: string, lock?: FileLockOptions): StateFile<JudgeState> {
  return stateFile(path, judgeStateSchema, emptyJudgeState, lock);
}
