/**
 * The fast paths of the output channels' checks give exactly what the plain paths give:
 * - KeySet (hash.ts: sorted runs of keys, a hash set only when the order does not help) answers
 *   as a HashSet64 of the keys' hashes, in any order;
 * - RowChecker.checkLine (split and parse in one pass) as the string reader, on awkward CSV;
 * - a scan in a worker thread (scan.ts) as the same scan in this thread, for a file and for a
 *   stream fed chunk by chunk; errors come back as the in-thread scan throws them; a stream fed
 *   faster than its worker scans makes its writer wait (flow control), with the same result.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { rowRules } from "../../src/probes/outputs/channel.js";
import { HashSet64, KeySet, hashUtf8 } from "../../src/probes/outputs/hash.js";
import { checkerSink, scanCsv, streamCsv, type RowRulesConfig } from "../../src/probes/outputs/rows.js";
import { MIN_WORKER_BYTES, openScanStream, scanFile, scanThreadProblem, useScanThreads, type ScanJob } from "../../src/probes/outputs/scan.js";
import { generateCsv } from "../../pipeline/tape/generate.ts";
import { prng } from "../judge/prng.js";

const RULES: RowRulesConfig = rowRules(monitorConfigSchema.parse({}).target);

function keySetAgainstHashSet(keys: string[], viaString: (i: number) => boolean = () => false): void {
  const ks = new KeySet(16);
  const hs = new HashSet64(16);
  const h = new Uint32Array(2);
  for (let i = 0; i < keys.length; i++) {
    const b = Buffer.from(keys[i]!);
    hashUtf8(b, 0, b.length, h);
    const want = hs.add(h[0]!, h[1]!);
    const got = viaString(i) ? ks.add(h[0]!, h[1]!) : ks.addBytes(b, 0, b.length, h[0]!, h[1]!);
    if (got !== want) throw new Error(`key ${i} ${JSON.stringify(keys[i])}: KeySet says ${got}, HashSet64 ${want}`);
  }
  expect(ks.size).toBe(hs.size);
}

describe("KeySet answers as a HashSet64, in any order", () => {
  const rand = prng(11);
  const id = (i: number) => `L${String(i).padStart(7, "0")}`;
  const sorted = Array.from({ length: 20_000 }, (_, i) => id(i + 1));
  const withDups = (keys: string[], every: number) => keys.flatMap((k, i) => (i % every === 0 ? [k, keys[Math.floor(rand() * (i + 1))]!] : [k]));
  const shuffled = (keys: string[]) => {
    const a = [...keys];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  /** A table's physical order: blocks of rows placed after later ones. */
  const displaced = (keys: string[], blocks: number) => {
    const a = [...keys];
    for (let b = 0; b < blocks; b++) {
      const at = Math.floor(rand() * (a.length - 100));
      const block = a.splice(at, 1 + Math.floor(rand() * 80));
      a.splice(Math.min(a.length, at + Math.floor(rand() * 5000)), 0, ...block);
    }
    return a;
  };
  it.each([
    ["sorted", sorted],
    ["sorted, with repeats", withDups(sorted, 97)],
    ["a repeat right after itself", ["A", "B", "B", "C", "C", "C", "D"]],
    ["prefixes and empty text", ["", "L", "L1", "L10", "L1", "L100", "L2", "", "L10"]],
    ["non-ASCII", ["a", "é", "z", "ä", "é", "日本", "ab", "日本"]],
    ["nearly sorted (blocks displaced), with repeats", withDups(displaced(sorted, 60), 131)],
    ["reversed", [...sorted].reverse()],
    ["shuffled, with repeats", withDups(shuffled(sorted), 53)],
    ["more runs than it keeps", displaced(sorted, 600)],
  ])("%s", (_what, keys) => keySetAgainstHashSet(keys));
  it("a key given as a hash alone (a quoted row) moves every key so far into the hash set", () => {
    keySetAgainstHashSet(withDups(displaced(sorted, 20), 89), (i) => i === 7_000);
  });
});

/** Awkward CSV: quotes (also multi-line), CRLF, blank lines, spaces, signs, exponents, non-ASCII, short and long rows. */
function awkwardCsv(rows: number, seed: number): string {
  const rand = prng(seed);
  const header = "loan_id,total_receivable_usd,dpd_0_7_usd,dpd_7_30_usd,dpd_30_60_usd,dpd_60_90_usd,dpd_90_plus_usd,cash_available_usd,total_eligible_usd,par30_usd";
  const num = () => {
    const r = rand();
    if (r < 0.75) return (Math.round(rand() * 1e6) / 100).toString();
    const odd = ["", " ", "-1.5", "1e3", " 7 ", "abc", "1.2.3", ".5", "5.", "-", "0012.50", "-0", "+3", "1234567890123456", "\"4.5\"", "\"1,5\""];
    return odd[Math.floor(rand() * odd.length)]!;
  };
  const key = (i: number) => {
    const r = rand();
    if (r < 0.9) return `L${i}`;
    const odd = [` L${i} `, `"L,${i}"`, `"L""${i}"""`, `"L${i}\nnext"`, `Lé${i}`, "", `L${Math.max(1, i - 3)}`];
    return odd[Math.floor(rand() * odd.length)]!;
  };
  const lines = [header];
  for (let i = 1; i <= rows; i++) {
    let cells = [key(i), ...Array.from({ length: 9 }, num)];
    const r = rand();
    if (r < 0.02) cells = cells.slice(0, 1 + Math.floor(rand() * 9));
    else if (r < 0.04) cells.push("extra", "\"q\"");
    lines.push(cells.join(",") + (rand() < 0.05 ? "\r" : ""));
    if (rand() < 0.01) lines.push("");
  }
  return lines.join("\n") + (rand() < 0.5 ? "\n" : "");
}

async function* chunked(text: string | Buffer, size: number) {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe("the one-pass line checker", () => {
  it.each([[1, 1], [2, 7], [3, 64], [4, 4096], [5, 1 << 20]])("gives what the string reader gives (seed %i, chunks of %i bytes)", async (seed, size) => {
    const csv = awkwardCsv(3000, seed);
    const want = checkerSink(RULES, () => 16);
    let first = true;
    await streamCsv(chunked(csv, 1 << 16), ",", (cells) => (first ? ((first = false), want.header(cells)) : want.strings(cells)));
    const got = checkerSink(RULES, () => 16);
    await scanCsv(chunked(csv, size), ",", got);
    expect(got.checker().result()).toEqual(want.checker().result());
  });
});

describe("scans in worker threads", () => {
  let dir: string;
  let file: string;
  let bad: string;
  const job: ScanJob = { kind: "rows", rules: RULES, expectedRows: 1024, delimiter: ",", sha256: true };
  const inputJob: ScanJob = { kind: "input", rules: RULES, rejectOn: ["not-null", "type", "non-negative"], delimiter: ",", sha256: true };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "scan-threads-"));
    file = path.join(dir, "rows.csv");
    // a healthy tape and some awkward rows
    fs.writeFileSync(file, generateCsv({ rows: 30_000, seed: 3 }) + awkwardCsv(2000, 9).split("\n").slice(1).join("\n"));
    bad = path.join(dir, "bad.csv");
    fs.writeFileSync(bad, 'a,b\n1,"open\n');
  });
  beforeAll(() => useScanThreads(true, { minBytes: 0 }));
  afterAll(() => {
    useScanThreads(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const both = async <T>(fn: () => Promise<T>): Promise<[T, T]> => {
    useScanThreads(true, { minBytes: 0 }); // small data too: a worker
    const threaded = await fn();
    useScanThreads(false);
    const here = await fn();
    useScanThreads(true, { minBytes: 0 });
    return [threaded, here];
  };

  it("a file, as the rows and as the input: the same result as in this thread", async () => {
    for (const j of [job, inputJob]) {
      const [threaded, here] = await both(() => scanFile(j, file));
      expect(scanThreadProblem()).toBeNull();
      expect(threaded).toEqual(here);
      expect(threaded.scan.rowsChecked).toBeGreaterThan(30_000);
    }
  });

  it("a stream fed in chunks of any size: the same result", async () => {
    const data = fs.readFileSync(file);
    const feed = async () => {
      const s = await openScanStream(job);
      for await (const c of chunked(data, 777)) await s.write(c);
      return { where: s.where, result: await s.end() };
    };
    const [threaded, here] = await both(feed);
    expect(threaded.where).toBe("worker");
    expect(here.where).toBe("main thread");
    expect(threaded.result).toEqual(here.result);
    expect(threaded.result).toEqual(await scanFile(job, file));
  });

  it("a writer far ahead of its worker is made to wait, and nothing is lost", async () => {
    const data = fs.readFileSync(file);
    const s = await openScanStream(job);
    let waits = 0;
    let fed = 0;
    // 12 copies of the data without yielding: the worker's acknowledgements cannot arrive meanwhile
    while (fed < 12) {
      const w = s.write(data);
      fed++;
      if (w) {
        waits++;
        await w;
      }
    }
    const r = await s.end();
    expect(waits).toBeGreaterThan(0);
    expect(r.bytes).toBe(12 * data.length);
  });

  it("a small file or stream (under MIN_WORKER_BYTES) is scanned in this thread: a worker would cost more", async () => {
    useScanThreads(true);
    try {
      const where = async (hint: number | null) => {
        const s = await openScanStream(job, hint);
        s.abort();
        return s.where;
      };
      expect(await where(MIN_WORKER_BYTES - 1)).toBe("main thread");
      expect(await where(MIN_WORKER_BYTES)).toBe("worker");
      expect(await where(null)).toBe("worker");
    } finally {
      useScanThreads(true, { minBytes: 0 });
    }
  });

  it("errors come back as the scan in this thread throws them (bad CSV; a missing file with its code)", async () => {
    const [threadedBad, hereBad] = await both(() => scanFile(job, bad).then(() => "no error", (e: Error) => e.message));
    expect(threadedBad).toMatch(/unterminated quoted field/);
    expect(threadedBad).toBe(hereBad);
    const [threadedMissing, hereMissing] = await both(() => scanFile(job, path.join(dir, "none.csv")).then(() => "no error", (e: NodeJS.ErrnoException) => e.code));
    expect(threadedMissing).toBe("ENOENT");
    expect(threadedMissing).toBe(hereMissing);
  });
});
