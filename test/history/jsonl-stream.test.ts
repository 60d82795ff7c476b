/**
 * The history is read as a stream of fixed-size chunks, never whole: what the reader holds
 * depends on the longest line it keeps (capped), not on the size of the file. The io seam
 * counts every read, so the tests check the design, not the heap.
 */
import { appendFile, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonlCheckpointStore, type HistoryIo } from "../../src/history/jsonl-store.ts";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "jsonl-stream-"));
  path = join(dir, "checkpoints.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Records every read's length and position. */
function countingReads(): { io: Partial<HistoryIo>; reads: { length: number; position: number }[] } {
  const reads: { length: number; position: number }[] = [];
  return {
    reads,
    io: {
      async read(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number) {
        reads.push({ length, position });
        return (await handle.read(buffer, offset, length, position)).bytesRead;
      },
    },
  };
}

const rec = (i: number, extra: object = {}) => ({ timestamp: new Date(Date.UTC(2025, 11, 26, 0, i)).toISOString(), seq: i, phase: i % 5 === 0 ? "extended" : "stability", ...extra });

async function writeRecords(n: number, extra: (i: number) => object = () => ({})): Promise<void> {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(JSON.stringify(rec(i, extra(i))));
  await writeFile(path, parts.join("\n") + "\n");
}

describe("reading the history as a stream", () => {
  it("reads many records in fixed-size chunks, in order, without ever reading the file whole", async () => {
    await writeRecords(5000);
    const { size } = await stat(path);
    const seam = countingReads();
    const { records, skipped } = await new JsonlCheckpointStore<{ seq: number }>(path, { chunkBytes: 4096, io: seam.io }).readAll();
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    // Every byte came through chunked reads of at most 4 KiB, each once.
    expect(Math.max(...seam.reads.map((r) => r.length))).toBeLessThanOrEqual(4096);
    expect(seam.reads.reduce((n, r) => n + r.length, 0)).toBe(size);
    expect(seam.reads.length).toBe(Math.ceil(size / 4096));
  });

  it("readAll(keep) holds only the records it keeps", async () => {
    await writeRecords(1000);
    const { records, skipped } = await new JsonlCheckpointStore<{ seq: number; phase: string }>(path, { chunkBytes: 1024 }).readAll((r) => r.phase === "extended");
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i * 5));
  });

  it("a line longer than the chunk size is read whole across chunks (multi-byte characters split between chunks too)", async () => {
    await writeRecords(3, (i) => (i === 1 ? { note: "€uro ".repeat(5000) } : {}));
    const { records, skipped } = await new JsonlCheckpointStore<{ seq: number; note?: string }>(path, { chunkBytes: 257 }).readAll();
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(records[1]!.note).toBe("€uro ".repeat(5000));
  });

  it("a line over the line cap is skipped unread, named by its line, and the rest is read", async () => {
    await writeRecords(2);
    await appendFile(path, `${JSON.stringify({ timestamp: "2025-12-26T05:00:00.000Z", junk: "j".repeat(100_000) })}\n`);
    await appendFile(path, `${JSON.stringify(rec(7))}\n`);
    const { records, skipped } = await new JsonlCheckpointStore<{ seq: number }>(path, { chunkBytes: 1024, maxLineBytes: 16 * 1024 }).readAll();
    expect(records.map((r) => r.seq)).toEqual([0, 1, 7]);
    expect(skipped).toEqual([{ line: 3, reason: "line over 16384 bytes (100050 bytes), not read" }]);
  });

  it("keeps the torn-last-line and blank-line rules of the whole-file reader", async () => {
    await writeRecords(2);
    await appendFile(path, `\n\n${JSON.stringify(rec(2)).slice(0, 30)}`);
    const { records, skipped } = await new JsonlCheckpointStore<{ seq: number }>(path, { chunkBytes: 16 }).readAll();
    expect(records.map((r) => r.seq)).toEqual([0, 1]);
    expect(skipped).toEqual([{ line: 5, reason: "torn last line (no newline, not valid JSON)" }]);
  });

  it("latest() reads from the end: only the chunks holding the last records, whatever the file's size", async () => {
    await writeRecords(5000);
    const { size } = await stat(path);
    const seam = countingReads();
    const store = new JsonlCheckpointStore<{ seq: number; phase: string }>(path, { chunkBytes: 4096, io: seam.io });
    expect((await store.latest())!.seq).toBe(4999);
    expect(seam.reads.length).toBe(1);
    expect(seam.reads[0]).toEqual({ length: 4096, position: size - 4096 });
    seam.reads.length = 0;
    expect((await store.latest((r) => r.phase === "extended"))!.seq).toBe(4995);
    expect(seam.reads.length).toBeLessThanOrEqual(2);
    expect((await store.latest((r) => r.seq === 3))!.seq).toBe(3); // still finds an old one, chunk by chunk
    expect(await store.latest((r) => r.seq === -1)).toBeUndefined();
  });

  it("latest() skips a torn last line and corrupt lines, as readAll does", async () => {
    await writeRecords(3);
    await appendFile(path, `not json\n${JSON.stringify(rec(9)).slice(0, 20)}`);
    expect((await new JsonlCheckpointStore<{ seq: number }>(path, { chunkBytes: 64 }).latest())!.seq).toBe(2);
  });

  it("readLast(n) gives the last n records (matching a filter), oldest first, from the end of the file", async () => {
    await writeRecords(1000);
    const seam = countingReads();
    const store = new JsonlCheckpointStore<{ seq: number; phase: string }>(path, { chunkBytes: 4096, io: seam.io });
    expect((await store.readLast(3)).map((r) => r.seq)).toEqual([997, 998, 999]);
    expect((await store.readLast(2, (r) => r.phase === "extended")).map((r) => r.seq)).toEqual([990, 995]);
    expect((await store.readLast(5000)).length).toBe(1000);
    expect(await new JsonlCheckpointStore(join(dir, "none.jsonl")).readLast(2)).toEqual([]);
  });
});
