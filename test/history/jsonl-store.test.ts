import { execFile } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonlCheckpointStore } from "../../src/history/jsonl-store.ts";
import { checkpointRecordSchema, type CheckpointRecord } from "../../src/history/record.ts";
import type { CheckpointStore } from "../../src/history/store.ts";

const run = promisify(execFile);
const worker = fileURLToPath(new URL("./fixtures/append-worker.ts", import.meta.url));

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "jsonl-store-"));
  path = join(dir, "reports", "checkpoints.jsonl");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (i: number, extra: object = {}): CheckpointRecord => ({
  timestamp: new Date(Date.UTC(2025, 11, 26, 1, 30 * i)).toISOString(),
  kpi_latency_ms: 1.1 + i / 100,
  error_rate_percent: 0,
  memory_mb: 105 + i,
  cpu_percent: 12,
  pipeline_status: "operational",
  audit_trail_events: 6,
  validation_status: "PASS",
  ...extra,
});

/** Every writer's sequence is complete and in order, and every line is one whole record. */
function expectIntact(records: { writer?: unknown; seq?: unknown }[], writers: string[], count: number) {
  for (const w of writers) {
    expect(records.filter((r) => r.writer === w).map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i));
  }
  expect(records).toHaveLength(writers.length * count);
}

describe("JsonlCheckpointStore", () => {
  it("appends whole records, one per line, and reads them back in order", async () => {
    const store: CheckpointStore<CheckpointRecord> = new JsonlCheckpointStore(path, { parse: (v) => checkpointRecordSchema.parse(v) });
    expect(await store.readAll()).toEqual({ records: [], skipped: [] });
    expect(await store.latest()).toBeUndefined();
    await store.append(record(0, { phase: "stability" }));
    await store.append(record(1, { phase: "stability", checks: [{ id: "latency", verdict: "PASS" }] }));
    await store.append(record(2, { phase: "extended" }));
    const text = await readFile(path, "utf8");
    expect(text.split("\n")).toHaveLength(4); // three lines and the final newline
    const { records, skipped } = await store.readAll();
    expect(skipped).toEqual([]);
    expect(records.map((r) => r.memory_mb)).toEqual([105, 106, 107]);
    expect(records[1]!.checks).toEqual([{ id: "latency", verdict: "PASS" }]); // extra fields pass through
    expect((await store.latest())!.phase).toBe("extended");
    expect((await store.latest((r) => r.phase === "stability"))!.memory_mb).toBe(106);
  });

  it("rejects a record that is not an object", async () => {
    await expect(new JsonlCheckpointStore(path).append([] as never)).rejects.toThrow(/must be a JSON object/);
  });

  it("two store instances appending at once do not interleave", async () => {
    const a = new JsonlCheckpointStore(path);
    const b = new JsonlCheckpointStore(path);
    // Lines over 8 KB (strings are stored up to 4 KB each: two of them).
    const padding = ["y".repeat(4096), "z".repeat(4096)];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => [a.append({ writer: "a", seq: i, padding }), b.append({ writer: "b", seq: i, padding })]).flat(),
    );
    const { records, skipped } = await a.readAll();
    expect(skipped).toEqual([]);
    // Appends from one instance may complete out of order under contention; all must be present and whole.
    for (const w of ["a", "b"]) {
      expect(
        records
          .filter((r) => r.writer === w)
          .map((r) => r.seq as number)
          .sort((x, y) => x - y),
      ).toEqual(Array.from({ length: 60 }, (_, i) => i));
    }
    expect(records.every((r) => JSON.stringify(r.padding) === JSON.stringify(padding))).toBe(true);
  });

  it("two checkpoint processes started at once: all records intact", async () => {
    const count = 40;
    await Promise.all(["p1", "p2"].map((w) => run(process.execPath, ["--import", "tsx", worker, path, w, String(count)], { timeout: 50_000 })));
    const { records, skipped } = await new JsonlCheckpointStore<{ writer: string; seq: number }>(path).readAll();
    expect(skipped).toEqual([]);
    expectIntact(records, ["p1", "p2"], count);
    expect(new Set(records.map((r) => (r as unknown as { pid: number }).pid)).size).toBe(2);
  });

  it("skips and reports a torn last line instead of failing; the next append moves it to .torn so every line is a whole record", async () => {
    const store = new JsonlCheckpointStore(path, { parse: (v) => checkpointRecordSchema.parse(v) });
    await store.append(record(0));
    await store.append(record(1));
    await appendFile(path, JSON.stringify(record(2)).slice(0, 40)); // a writer died mid-line
    let result = await store.readAll();
    expect(result.records).toHaveLength(2);
    expect(result.skipped).toEqual([{ line: 3, reason: expect.stringMatching(/torn last line/) }]);

    await store.append(record(3));
    result = await store.readAll();
    expect(result.records.map((r) => r.memory_mb)).toEqual([105, 106, 108]);
    expect(result.skipped).toEqual([]);
    expect(await readFile(`${path}.torn`, "utf8")).toBe(`${JSON.stringify(record(2)).slice(0, 40)}\n`);
  });

  it.each([
    ["garbage", "not json at all", /invalid JSON/],
    ["a non-object", "[1,2,3]", /not a JSON object/],
    ["a record that fails validation", JSON.stringify({ timestamp: "yesterday" }), /invalid record/],
  ])("skips %s in the middle and names its line", async (_name, line, reason) => {
    const store = new JsonlCheckpointStore(path, { parse: (v) => checkpointRecordSchema.parse(v) });
    await store.append(record(0));
    await appendFile(path, `${line}\n`);
    await store.append(record(1));
    const { records, skipped } = await store.readAll();
    expect(records).toHaveLength(2);
    expect(skipped).toEqual([{ line: 2, reason: expect.stringMatching(reason) }]);
  });

  it("blank lines are not errors", async () => {
    const store = new JsonlCheckpointStore(join(dir, "checkpoints.jsonl"));
    await writeFile(store.path, `${JSON.stringify(record(0))}\n\n${JSON.stringify(record(1))}\n`);
    expect(await store.readAll()).toMatchObject({ records: [{}, {}], skipped: [] });
  });
});
