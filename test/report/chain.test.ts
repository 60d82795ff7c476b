/** The hash chain every store keeps (issue 10 §2 "tamper-evident"): each line names the hash of the one before it. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonlCheckpointStore } from "../../src/history/jsonl-store.ts";
import { ChainVerifier, lineHash } from "../../src/history/store.ts";
import { EventsLog } from "../../src/report/events-log.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "chain-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l.trim());

/** Changes one byte of line `n` (1-based) in place, keeping it valid JSON: a digit of its `seq`. */
function changeOneByte(file: string, n: number, from: string, to: string) {
  const all = readFileSync(file, "utf8").split("\n");
  expect(all[n - 1]).toContain(from);
  all[n - 1] = all[n - 1]!.replace(from, to);
  writeFileSync(file, all.join("\n"));
}

describe("the history store's chain", () => {
  it("each appended line carries the hash of the line before it; readers never see the field", async () => {
    const store = new JsonlCheckpointStore<{ seq: number }>(join(dir, "h.jsonl"));
    for (let i = 0; i < 5; i++) await store.append({ seq: i });
    const l = lines(store.path);
    expect(JSON.parse(l[0]!).prev).toBeNull();
    for (let i = 1; i < 5; i++) expect(JSON.parse(l[i]!).prev).toBe(lineHash(l[i - 1]!));
    const { records } = await store.readAll();
    expect(records).toEqual([0, 1, 2, 3, 4].map((seq) => ({ seq })));
    expect(await store.latest()).toEqual({ seq: 4 });
    expect(await store.chain()).toEqual({ records: 5, head: lineHash(l[4]!), unchained: 0 });
  });

  it("one changed byte in a middle record names that record", async () => {
    const store = new JsonlCheckpointStore<{ seq: number; v: number }>(join(dir, "h.jsonl"));
    for (let i = 0; i < 6; i++) await store.append({ seq: i, v: 100 + i });
    changeOneByte(store.path, 3, '"v":102', '"v":109');
    const chain = await store.chain();
    expect(chain.broken).toMatchObject({ line: 3 });
    expect(chain.broken!.reason).toMatch(/^line 3 changed/);
  });

  it("a record's own prev field changed names that record, not the one before", async () => {
    const store = new JsonlCheckpointStore<{ seq: number }>(join(dir, "h.jsonl"));
    for (let i = 0; i < 4; i++) await store.append({ seq: i });
    const l = lines(store.path);
    const prev = JSON.parse(l[2]!).prev as string;
    changeOneByte(store.path, 3, prev, prev.replace(/^./, prev[0] === "a" ? "b" : "a"));
    expect((await store.chain()).broken).toMatchObject({ line: 3 });
  });

  it("a removed line is named where the chain breaks", async () => {
    const store = new JsonlCheckpointStore<{ seq: number }>(join(dir, "h.jsonl"));
    for (let i = 0; i < 5; i++) await store.append({ seq: i });
    const l = lines(store.path);
    writeFileSync(store.path, [l[0], l[1], l[3], l[4]].join("\n") + "\n");
    expect((await store.chain()).broken).toMatchObject({ line: 2 });
  });

  it("lines written before the chain existed are counted, and the chain continues after them", async () => {
    const file = join(dir, "h.jsonl");
    writeFileSync(file, `${JSON.stringify({ seq: 0 })}\n${JSON.stringify({ seq: 1 })}\n`);
    const store = new JsonlCheckpointStore<{ seq: number }>(file);
    await store.append({ seq: 2 });
    await store.append({ seq: 3 });
    const chain = await store.chain();
    expect(chain).toMatchObject({ records: 4, unchained: 2 });
    expect(chain.broken).toBeUndefined();
    expect((await store.readAll()).records.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
  });

  it("two processes appending at once keep one unbroken chain", async () => {
    const worker = fileURLToPath(new URL("../history/fixtures/append-worker.ts", import.meta.url));
    const file = join(dir, "h.jsonl");
    await Promise.all(["p1", "p2"].map((w) => execa(process.execPath, ["--import", "tsx", worker, file, w, "30"], { timeout: 50_000 })));
    const chain = await new JsonlCheckpointStore(file).chain();
    expect(chain).toMatchObject({ records: 60, unchained: 0 });
    expect(chain.broken).toBeUndefined();
  });

  it("the verifier alone: a line that is not JSON inside the chain is named", () => {
    const v = new ChainVerifier();
    const a = JSON.stringify({ seq: 0, prev: null });
    v.push(a, 1);
    v.push("{not json", 2);
    v.push(JSON.stringify({ seq: 2, prev: lineHash("{not json") }), 3);
    expect(v.result().broken).toMatchObject({ line: 2 });
  });
});

describe("monitoring_events.log's chain", () => {
  it("every event names the hash of the event before it, and the store reads the chain", async () => {
    const log = new EventsLog(join(dir, "monitoring_events.log"));
    for (let i = 0; i < 4; i++) log.write({ type: "decision", severity: "NONE", n: i });
    const l = lines(log.file);
    expect(JSON.parse(l[0]!).prev).toBeNull();
    for (let i = 1; i < 4; i++) expect(JSON.parse(l[i]!).prev).toBe(lineHash(l[i - 1]!));
    expect(await log.store().chain()).toEqual({ records: 4, head: lineHash(l[3]!), unchained: 0 });
    const { records } = await log.store().readAll();
    expect(records.map((r) => r.n)).toEqual([0, 1, 2, 3]);
    expect(records.every((r) => !("prev" in r))).toBe(true);
  });

  it("a torn last line left by a killed writer is moved aside; the next event chains to the last whole line", async () => {
    const log = new EventsLog(join(dir, "monitoring_events.log"));
    log.write({ type: "decision", n: 0 });
    appendFileSync(log.file, '{"ts":"2026-01-01T00:00:00Z","type":"dec');
    log.write({ type: "decision", n: 1 });
    const l = lines(log.file);
    expect(l).toHaveLength(2);
    expect(JSON.parse(l[1]!).prev).toBe(lineHash(l[0]!));
    expect(readFileSync(`${log.file}.torn`, "utf8")).toContain('"type":"dec');
    expect((await log.store().chain()).broken).toBeUndefined();
  });

  it("the history store and the events log can share a file's lock: concurrent writers keep one chain", async () => {
    const file = join(dir, "shared.jsonl");
    const log = new EventsLog(file);
    const store = new JsonlCheckpointStore<Record<string, unknown>>(file);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store.append({ type: "checkpoint", n: i }) : Promise.resolve(log.write({ type: "decision", n: i })))));
    const chain = await store.chain();
    expect(chain.records).toBe(20);
    expect(chain.broken).toBeUndefined();
  });
});
