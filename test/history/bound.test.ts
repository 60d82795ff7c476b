/** Every stored record is bounded: long strings, sample lines, huge structures are cut with a note of what was cut. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { boundForStorage, MAX_STORED_STRING_BYTES, storeOnce } from "../../src/history/bound.ts";
import { JsonlCheckpointStore } from "../../src/history/jsonl-store.ts";

const MB = 1024 * 1024;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bound-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A checkpoint-like record with one check whose evidence carries `evidence`. */
const recordWith = (measured: string, evidence: Record<string, unknown>) => ({
  timestamp: "2025-12-26T01:30:00.000Z",
  checks: [{ id: "log-scan", verdict: "FAIL", measured, evidence }],
});

describe("the history store bounds what it stores", () => {
  it("a 10 MB string in a record is stored cut to 4 KB with a note, wherever it is", async () => {
    const huge = "E".repeat(10 * MB);
    const store = new JsonlCheckpointStore(join(dir, "checkpoints.jsonl"));
    const record = recordWith(`1 ERROR line: e.g. "${huge}"`, { samples: { error: [{ level: "ERROR", offset: 0, line: huge }] } });
    await store.append(record);
    const text = await readFile(store.path, "utf8");
    expect(text.length).toBeLessThan(16 * 1024);
    const stored = JSON.parse(text);
    expect(stored.checks[0].evidence.samples.error[0].line).toBe(`${"E".repeat(4096)}…[cut ${10 * MB - 4096} bytes]`);
    expect(stored.checks[0].measured).toMatch(/^1 ERROR line: e\.g\. "E+…\[cut \d+ bytes\]$/);
    // The caller's record is not changed (the dashboard prints it after the append).
    expect(record.checks[0]!.evidence.samples).toEqual({ error: [{ level: "ERROR", offset: 0, line: huge }] });
  });

  it("keeps at most 20 sample lines per list and says how many it left out", async () => {
    const store = new JsonlCheckpointStore(join(dir, "checkpoints.jsonl"));
    const lines = Array.from({ length: 500 }, (_, i) => ({ level: "ERROR", offset: i * 10, line: `line ${i}` }));
    await store.append(recordWith("500 ERROR lines", { samples: { error: lines }, tail: lines.map((l) => l.line) }));
    const stored = JSON.parse(await readFile(store.path, "utf8"));
    const error = stored.checks[0].evidence.samples.error;
    expect(error).toHaveLength(21);
    expect(error.slice(0, 20)).toEqual(lines.slice(0, 20));
    expect(error[20]).toEqual({ line: "…[cut 480 more lines]" });
    expect(stored.checks[0].evidence.tail).toEqual([...lines.slice(0, 20).map((l) => l.line), "…[cut 480 more lines]"]);
  });

  it("the same evidence is stored once: a later copy points at the first", async () => {
    const store = new JsonlCheckpointStore(join(dir, "checkpoints.jsonl"));
    const output = Array.from({ length: 12 }, (_, i) => ({ stream: "stdout", line: `2026-12-02T07:06:53.742Z [PHASE ${i}/5] something happened here` }));
    const window = { fromMs: 1, toMs: 2, from: "2026-12-02T07:07:02.342Z", to: "2026-12-02T07:07:07.031Z", requests: 31, failedRequests: 6, reason: "since previous checkpoint, a long enough reason" };
    await store.append({
      timestamp: "2025-12-26T01:30:00.000Z",
      checks: [
        { id: "cutover-executed", evidence: { output } },
        { id: "cutover-output", evidence: { output } },
        { id: "error-rate", evidence: { window, failures: 6 } },
      ],
      metrics: { error_rate_window: window, memory_samples: [{ t: 1, mb: 2 }] },
    });
    const stored = JSON.parse(await readFile(store.path, "utf8"));
    expect(stored.checks[0].evidence).toEqual({ output });
    expect(stored.checks[1].evidence).toEqual({ sameAs: "checks.0.evidence" });
    expect(stored.checks[2].evidence.window).toEqual(window);
    expect(stored.metrics.error_rate_window).toEqual({ sameAs: "checks.2.evidence.window" });
    expect(stored.metrics.memory_samples).toEqual([{ t: 1, mb: 2 }]);
  });

  it("a record still over 256 KB once bounded is bounded again, harder, and stays whole JSON", async () => {
    const store = new JsonlCheckpointStore(join(dir, "checkpoints.jsonl"));
    const checks = Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, verdict: "PASS", measured: `${i}`.padEnd(3000, "m") }));
    await store.append({ timestamp: "2025-12-26T01:30:00.000Z", checks });
    const text = await readFile(store.path, "utf8");
    expect(text.length).toBeLessThan(256 * 1024);
    const stored = JSON.parse(text);
    expect(stored.checks).toHaveLength(101);
    expect(stored.checks[100]).toBe("…[cut 200 items]");
    expect(stored.checks[0].measured).toMatch(/^0m{511}…\[cut 2488 bytes\]$/);
  });
});

describe("boundForStorage", () => {
  it("leaves a small record as it is", () => {
    const r = { a: "x".repeat(MAX_STORED_STRING_BYTES), n: 1, b: null, c: [1, 2, 3], d: { e: true } };
    expect(boundForStorage(r)).toEqual(r);
  });

  it("cuts on a character boundary and counts bytes", () => {
    const s = "é".repeat(3000); // 6000 bytes
    const cut = boundForStorage(s, { maxString: 4097 });
    expect(cut).toBe(`${"é".repeat(2048)}…[cut ${6000 - 4096} bytes]`);
  });

  it("caps long arrays, objects with many keys and deep nesting, each with a note", () => {
    const many = Array.from({ length: 5000 }, (_, i) => i);
    const wide = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
    let deep: unknown = "bottom";
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const out = boundForStorage({ many, wide, deep }) as { many: unknown[]; wide: Record<string, unknown>; deep: unknown };
    expect(out.many).toHaveLength(1001);
    expect(out.many[1000]).toBe("…[cut 4000 items]");
    expect(Object.keys(out.wide)).toHaveLength(1001);
    expect(out.wide["…"]).toBe("[cut 2000 keys]");
    expect(JSON.stringify(out.deep)).toMatch(/"…\[cut: nested deeper than 16\]"/);
  });

  it("stores a Date as JSON would", () => {
    expect(boundForStorage({ at: new Date(0) })).toEqual({ at: "1970-01-01T00:00:00.000Z" });
  });

  it("storeOnce does not touch fields other code reads back (memory samples, timings)", () => {
    const samples = Array.from({ length: 30 }, (_, i) => ({ t: i, mb: 100 }));
    const r = { checks: [{ id: "memory-growth", evidence: { samples } }], metrics: { memory_samples: samples, timings_ms: { a: 1 } } };
    expect(storeOnce(structuredClone(r))).toEqual(r);
  });
});
