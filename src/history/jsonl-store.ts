import { appendFile, open, readFile } from "node:fs/promises";
import { withFileLock, type FileLockOptions } from "../state/file-lock.ts";
import type { CheckpointStore, ReadResult, SkippedLine } from "./store.ts";

export interface JsonlStoreOptions<T> {
  /** Validates and types one parsed line; throw to skip the line (the message becomes the reason). */
  parse?: (value: unknown) => T;
  lock?: FileLockOptions;
}

/**
 * Append-only JSON Lines (the default `reports/checkpoints.jsonl`): one whole
 * record per line, written with a single appendFile while holding a
 * cross-process lock, so two checkpoints started at once cannot interleave.
 * The reader skips and reports a torn or corrupt line instead of failing.
 */
export class JsonlCheckpointStore<T extends object = Record<string, unknown>> implements CheckpointStore<T> {
  constructor(
    readonly path: string,
    private readonly options: JsonlStoreOptions<T> = {},
  ) {}

  async append(record: T): Promise<void> {
    const line = JSON.stringify(record);
    if (line === undefined || !line.startsWith("{")) {
      throw new TypeError(`${this.path}: a checkpoint record must be a JSON object`);
    }
    await withFileLock(
      this.path,
      async () => {
        // A torn last line (a writer died mid-line) must not swallow this record: start on a new line.
        const prefix = (await endsWithoutNewline(this.path)) ? "\n" : "";
        await appendFile(this.path, `${prefix}${line}\n`, "utf8");
      },
      this.options.lock,
    );
  }

  async readAll(): Promise<ReadResult<T>> {
    let text: string;
    try {
      text = await withFileLock(this.path, () => readFile(this.path, "utf8"), this.options.lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { records: [], skipped: [] };
      throw err;
    }
    const lines = text.split("\n");
    const records: T[] = [];
    const skipped: SkippedLine[] = [];
    lines.forEach((raw, i) => {
      const isLast = i === lines.length - 1;
      if (raw.trim() === "") return;
      const line = i + 1;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        const reason = isLast ? "torn last line (no newline, not valid JSON)" : `invalid JSON: ${(err as Error).message}`;
        skipped.push({ line, reason });
        return;
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        skipped.push({ line, reason: "not a JSON object" });
        return;
      }
      if (!this.options.parse) {
        records.push(value as T);
        return;
      }
      try {
        records.push(this.options.parse(value));
      } catch (err) {
        skipped.push({ line, reason: `invalid record: ${(err as Error).message.split("\n")[0]}` });
      }
    });
    return { records, skipped };
  }

  async latest(filter?: (record: T) => boolean): Promise<T | undefined> {
    const { records } = await this.readAll();
    for (let i = records.length - 1; i >= 0; i--) {
      if (!filter || filter(records[i]!)) return records[i];
    }
    return undefined;
  }
}

async function endsWithoutNewline(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, size - 1);
    return buf[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}
