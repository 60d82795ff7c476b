/**
 * A record is appended whole or not at all: a full disk (simulated through the store's io seam,
 * not by filling one) leaves the history exactly as it was and says which file could not grow.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HistoryWriteError, JsonlCheckpointStore, type HistoryIo } from "../../src/history/jsonl-store.ts";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "atomic-append-"));
  path = join(dir, "reports", "checkpoints.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const enospc = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" });

/** A disk that takes `room` more bytes, then refuses: it writes what fits (a short write), then fails with ENOSPC. */
function fullDiskAfter(room: number): { io: Partial<HistoryIo>; calls: number[] } {
  const calls: number[] = [];
  let left = room;
  return {
    calls,
    io: {
      async write(handle: FileHandle, buffer: Buffer, offset: number, length: number) {
        calls.push(length);
        if (left <= 0) throw enospc();
        const n = Math.min(left, length);
        left -= n;
        const { bytesWritten } = await handle.write(buffer, offset, n);
        return bytesWritten;
      },
    },
  };
}

const record = (i: number) => ({ timestamp: new Date(Date.UTC(2025, 11, 26, 1, 30 * i)).toISOString(), seq: i, evidence: { text: "z".repeat(3000) } });

async function seed(n: number): Promise<Buffer> {
  const store = new JsonlCheckpointStore(path);
  for (let i = 0; i < n; i++) await store.append(record(i));
  return readFile(path);
}

function expectEveryLineParses(text: string) {
  const lines = text.split("\n");
  expect(lines.at(-1)).toBe("");
  for (const l of lines.slice(0, -1)) expect(() => JSON.parse(l)).not.toThrow();
}

describe("append: the whole record or nothing", () => {
  it("a short write then ENOSPC: the history is exactly as before, and the error names the file", async () => {
    const before = await seed(3);
    const disk = fullDiskAfter(1000); // 1000 of the ~3 KB record fit
    const store = new JsonlCheckpointStore(path, { io: disk.io });
    const err = await store.append(record(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryWriteError);
    expect((err as Error).message).toBe(`cannot append to ${path}: no space left on device (ENOSPC); the history is unchanged`);
    expect((err as Error).message.split("\n")).toHaveLength(1);
    expect(disk.calls.length).toBeGreaterThanOrEqual(2); // it did write part of the record first
    const after = await readFile(path);
    expect(after.equals(before)).toBe(true);
    expectEveryLineParses(after.toString("utf8"));

    // Space again: the next record is appended whole, on its own line.
    await new JsonlCheckpointStore(path).append(record(4));
    const { records, skipped } = await new JsonlCheckpointStore<{ seq: number }>(path).readAll();
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 4]);
  });

  it("a write that fails half way with another error also leaves the history unchanged and says why", async () => {
    const before = await seed(2);
    let first = true;
    const io: Partial<HistoryIo> = {
      async write(handle, buffer, offset, length) {
        if (!first) throw Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" });
        first = false;
        return (await handle.write(buffer, offset, Math.floor(length / 2))).bytesWritten;
      },
    };
    const err = await new JsonlCheckpointStore(path, { io }).append(record(2)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`cannot append to ${path}: EIO: i/o error, write; the history is unchanged`);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it("a torn last line left by a crash stays as it was when the append fails (the reader skips it as before)", async () => {
    await seed(2);
    await writeFile(path, `${(await readFile(path, "utf8"))}{"timestamp":"2025-12-26T`, { flag: "w" });
    const before = await readFile(path);
    const err = await new JsonlCheckpointStore(path, { io: fullDiskAfter(10).io }).append(record(2)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no space left on device \(ENOSPC\); the history is unchanged$/);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it("refuses before writing when the file system has less room than the record and a margin", async () => {
    const before = await seed(1);
    const disk = fullDiskAfter(Number.MAX_SAFE_INTEGER);
    const store = new JsonlCheckpointStore(path, { io: { ...disk.io, statfs: async () => ({ bavail: 37, bsize: 4096 }) } });
    const err = await store.append(record(1)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`^cannot append to ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: no space left on device \\(ENOSPC\\); the history is unchanged \\(151552 bytes free, the record needs \\d+ bytes and a margin of \\d+\\)$`));
    expect(disk.calls).toEqual([]);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it("a first record that does not fit leaves no history file behind", async () => {
    const err = await new JsonlCheckpointStore(path, { io: fullDiskAfter(100).io }).append(record(0)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^cannot append to .*checkpoints\.jsonl: no space left on device \(ENOSPC\)/);
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await new JsonlCheckpointStore(path).readAll()).toEqual({ records: [], skipped: [] });
  });
});
