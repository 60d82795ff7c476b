/**
 * The pieces of the output checks on hand-made data: the streaming CSV reader, the row rules
 * with their counts and offending rows, the order-independent fingerprints reconciliation relies
 * on, the KPI definitions, and the evaluators' N/A, "measured nothing" and reconciliation verdicts.
 */
import { describe, expect, it } from "vitest";
import { RowChecker, checkerSink, csvScanner, parseDecimal, scanCsv, streamCsv, type RowRulesConfig } from "../../src/probes/outputs/rows.js";
import { parseFormula } from "../../src/probes/outputs/formula.js";
import { recomputeKpis } from "../../src/probes/outputs/kpis.js";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { channelDataQuality, outputChannel, outputReconciliation } from "../../src/checks/outputs.js";
import { rowRules, type ChannelMeasurement, type ChannelName, type RunRead } from "../../src/probes/outputs/channel.js";
import type { CheckpointContext } from "../../src/checkpoint/context.js";

const config = monitorConfigSchema.parse({});
const RULES: RowRulesConfig = rowRules(config.target);
const HEADER = ["loan_id", "total_receivable_usd", "dpd_0_7_usd", "dpd_7_30_usd", "dpd_30_60_usd", "dpd_60_90_usd", "dpd_90_plus_usd", "cash_available_usd", "total_eligible_usd", "par30_usd"];
const row = (id: string, rec = 100, d30 = 0) => [id, String(rec), String(rec - d30), "0", String(d30), "0", "0", "2", String(rec - d30), String(d30)];

function scan(rows: string[][], header = HEADER) {
  const c = new RowChecker(header, RULES);
  for (const r of rows) c.check(r);
  return c.result();
}

async function* chunks(text: string, size: number) {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe("streamCsv", () => {
  it.each([1, 3, 64 * 1024])("reads quotes, doubled quotes, line breaks in quotes, CRLF, a BOM and blank lines (chunks of %i bytes)", async (size) => {
    const text = '\ufeffa,b,c\r\n1,"x,y",3\r\n\r\n"multi\nline","say ""hi""",6\n7,8,9';
    const rows: string[][] = [];
    const r = await streamCsv(chunks(text, size), ",", (cells) => rows.push(cells));
    expect(rows).toEqual([["a", "b", "c"], ["1", "x,y", "3"], ["multi\nline", 'say "hi"', "6"], ["7", "8", "9"]]);
    expect(r).toEqual({ bytes: Buffer.byteLength(text), rows: 3 });
  });
  it("an unterminated quote is an error, not a silent row", async () => {
    await expect(streamCsv(chunks('a,b\n1,"open\n', 4), ",", () => {})).rejects.toThrow(/unterminated/);
  });
});

describe("the byte-level CSV reader (local files, Azure blobs, PostgreSQL COPY)", () => {
  const csv = [
    "\ufeffloan_id,total_receivable_usd,dpd_0_7_usd,dpd_7_30_usd,dpd_30_60_usd,dpd_60_90_usd,dpd_90_plus_usd,cash_available_usd,total_eligible_usd,par30_usd",
    "L1,100,100,0,0,0,0,2,100,0",
    "\"L,2\",200.50,150.5,0,50,0,0,3,150.5,50",
    "L3,,100,0,0,0,0,2,100,0\r",
    "",
    "Lé4,100,-1,0,0,0,0,2,100,0",
    "\"L\"\"5\"\"\nnext\",abc,100,0,0,0,0,2,100,0",
    "L1,100,100,0,0,0,0,2,100,0",
    "L6,1e2,100,0,0,0,0,2,100",
  ].join("\n");
  const viaStrings = async () => {
    const c = checkerSink(RULES, () => 16);
    let first = true;
    await streamCsv(chunks(csv, 1 << 16), ",", (cells) => (first ? ((first = false), c.header(cells)) : c.strings(cells)));
    return c.checker().result();
  };
  it.each([1, 2, 7, 64, 1 << 16])("gives exactly what the string reader gives, in chunks of %i bytes", async (size) => {
    const want = await viaStrings();
    const sink = checkerSink(RULES, () => 16);
    const r = await scanCsv(chunks(csv, size), ",", sink);
    const got = sink.checker().result();
    expect(got).toEqual(want);
    expect(r.rows).toBe(7);
    expect(got).toMatchObject({ rowsChecked: 7, duplicateRows: 1, totalNulls: 2 });
    expect(got.rules["not-null"].samples[0]).toMatchObject({ row: 3, key: "L3", column: "total_receivable_usd" });
    expect(got.rules["non-negative"].samples[0]).toMatchObject({ row: 4, key: "Lé4", column: "dpd_0_7_usd", value: "-1" });
    expect(got.rules.type.samples[0]).toMatchObject({ row: 5, key: 'L"5"\nnext', value: "abc" });
  });
  it("COPY rows (one message a row, no header line) through the same scanner", () => {
    const want = new RowChecker(HEADER, RULES);
    const got = checkerSink(RULES, () => 16);
    const scanner = csvScanner(",", got, HEADER);
    for (const r of [row("L1"), row("L2", 200, 50), ["L3", "", ...row("L3").slice(2)]]) {
      want.check(r);
      scanner.push(Buffer.from(r.join(",") + "\n"));
    }
    scanner.end();
    expect(got.checker().result()).toEqual(want.result());
  });
  it.each([["1234.50", 1234.5], ["-0.07", -0.07], ["12", 12], [".5", 0.5], ["1e3", 1000], [" 7 ", 7], ["0x10", NaN], ["1,5", NaN], ["", NaN], ["Infinity", NaN], ["1.2.3", NaN]])("parseDecimal(%j) = %d, as Number() for plain decimals", (text, want) => {
    expect(parseDecimal(text as string)).toBe(want);
  });
});

describe("row rules", () => {
  it("a clean set: every row passes, nothing flagged", () => {
    const s = scan([row("L1"), row("L2", 200, 50), row("L3")]);
    expect(s).toMatchObject({ rowsChecked: 3, rowsFailing: 0, totalNulls: 0, duplicateRows: 0, distinctKeys: 3, missingColumns: [], missingRuleColumns: [] });
    for (const t of Object.values(s.rules)) expect(t.rows).toBe(0);
  });

  it("each rule counts the rows it fails and keeps the offending rows (row, key, column, value); a row failing two rules counts once", () => {
    const bad = row("L4");
    bad[2] = "-101"; // negative, and the buckets no longer add up
    const s = scan([row("L1"), [...row("L2").slice(0, 1), "", ...row("L2").slice(2)], row("L1"), ["L3", "abc", ...row("L3").slice(2)], bad]);
    expect(s.rowsChecked).toBe(5);
    expect(s.rowsFailing).toBe(4);
    expect(s.rules["not-null"]).toMatchObject({ rows: 1, byColumn: { total_receivable_usd: 1 }, samples: [{ row: 2, key: "L2", column: "total_receivable_usd", value: null }] });
    expect(s.rules["unique-key"]).toMatchObject({ rows: 1, samples: [{ row: 3, key: "L1" }] });
    expect(s.rules.type).toMatchObject({ rows: 1, samples: [{ row: 4, column: "total_receivable_usd", value: "abc" }] });
    expect(s.rules["non-negative"]).toMatchObject({ rows: 1, samples: [{ row: 5, key: "L4", column: "dpd_0_7_usd", value: "-101" }] });
    expect(s.rules.sum.rows).toBe(1);
    expect(s.rules.sum.samples[0]!.detail).toMatch(/total_receivable_usd = dpd_0_7_usd \+ .*off by 201/);
    expect(s.duplicateKeyExamples).toEqual(["L1"]);
  });

  it("missing required columns and columns the rules need are reported, not skipped silently", () => {
    const s = scan([["A", "1"]], ["loan_id", "total_receivable_usd"]);
    expect(s.missingColumns).toContain("par30_usd");
    const t = scan([["A", "1"]], ["id", "amount"]);
    expect(t.missingColumns).toEqual(HEADER);
  });

  it("fingerprints: the same rows in another order and another number spelling are equal; one changed value or key is not", () => {
    const rows = [row("L1"), row("L2", 200, 50), row("L3", 300, 10)];
    const a = scan(rows);
    const b = scan([rows[2]!, rows[0]!, rows[1]!].map((r) => r.map((x) => (/^\d+$/.test(x) ? `${x}.00` : x))));
    expect(b.keySet).toBe(a.keySet);
    expect(b.checksums).toEqual(a.checksums);
    const changed = rows.map((r) => [...r]);
    changed[1]![7] = "3";
    const c = scan(changed);
    expect(c.checksums.cash_available_usd).not.toBe(a.checksums.cash_available_usd);
    expect(Object.entries(c.checksums).filter(([k, v]) => a.checksums[k] !== v).map(([k]) => k)).toEqual(["cash_available_usd"]);
    const swapped = rows.map((r) => [...r]);
    swapped[0]![0] = "L9";
    expect(scan(swapped).keySet).not.toBe(a.keySet);
    // moving a value to another key changes the column checksum though the column's sum is the same
    const moved = [row("L1", 200, 50), row("L2"), row("L3", 300, 10)];
    expect(scan(moved).sums.total_receivable_usd).toBe(a.sums.total_receivable_usd);
    expect(scan(moved).checksums.total_receivable_usd).not.toBe(a.checksums.total_receivable_usd);
  });

  it("finds every repeated key among 200 000 (the hash set grows)", () => {
    const c = new RowChecker(HEADER, RULES, 16);
    for (let i = 0; i < 200_000; i++) c.check(row(`L${i % 150_000}`));
    expect(c.result()).toMatchObject({ rowsChecked: 200_000, distinctKeys: 150_000, duplicateRows: 50_000 });
  });
});

describe("KPI definitions", () => {
  it("the formula language: precedence, functions, errors", () => {
    expect(parseFormula("1 + 2 * 3").evaluate({})).toBe(7);
    expect(parseFormula("clamp(0, 10, max(0, 10 - A / 10) * B / 10)").evaluate({ A: 20, B: 5 })).toBe(4);
    expect(parseFormula("round(-x, 2)").evaluate({ x: 1.234 })).toBe(-1.23);
    expect(parseFormula("min(A, B) + abs(C)").names.sort()).toEqual(["A", "B", "C"]);
    expect(() => parseFormula("eval(1)")).toThrow(/unknown function eval/);
    expect(() => parseFormula("1 +")).toThrow();
    expect(() => parseFormula("A; B")).toThrow(/cannot read/);
  });
  it("a formula that does not parse is refused when the config loads, naming the field", () => {
    const r = monitorConfigSchema.safeParse({ target: { outputs: { kpis: { definitions: { X: { formula: "A +" } } } } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join(".")).join(" ")).toMatch(/^target\.outputs\.kpis\.definitions\.X/);
  });
  it("the reference KPIs from column totals; a zero denominator gives 0, and 0 for what is computed from it", () => {
    const k = config.target.outputs.kpis!;
    const sums = { dpd_30_60_usd: 3, dpd_60_90_usd: 1, dpd_90_plus_usd: 1, total_receivable_usd: 100, cash_available_usd: 3, total_eligible_usd: 97 };
    const v = recomputeKpis(k, sums);
    expect(v.PAR30).toBeCloseTo(5, 12);
    expect(v.PAR90).toBeCloseTo(1, 12);
    expect(v.CollectionRate).toBe(3.09);
    expect(v.PortfolioHealth).toBe(Number((9.5 * 0.309).toFixed(2)));
    expect(recomputeKpis(k, { ...sums, total_receivable_usd: 0 })).toMatchObject({ PAR30: 0, PAR90: 0, PortfolioHealth: 0 });
    expect(recomputeKpis(k, { total_receivable_usd: 1 }).PAR30).toBeNull();
  });
});

/** A channel holding one clean run of `rows` rows (run "r1"), as the probe would measure it. */
function held(ch: ChannelName, rows = [row("L1"), row("L2", 200, 50)], over: Partial<RunRead> = {}): ChannelMeasurement {
  const s = scan(rows);
  const kpis = recomputeKpis(config.target.outputs.kpis!, s.sums);
  return {
    channel: ch,
    configured: true,
    reachable: true,
    location: ch,
    head: { runId: "r1", writtenAt: new Date().toISOString(), ageSeconds: 1, source: "test" },
    fresh: true,
    maxAgeSeconds: 120,
    readBecause: "its latest run",
    run: {
      runId: "r1",
      version: "v2",
      manifest: { location: "m", found: true, required: true, runId: "r1", rows: rows.length, rejected: 0, rowsSha256: null, kpiSha256: null },
      rows: { location: `${ch}-rows`, sha256: null, bytes: null, scan: s },
      kpis: { location: "k", readable: true, runId: "r1", values: kpis },
      recomputed: kpis,
      schemaProblems: [],
      attempts: 1,
      notes: [],
      ...over,
    },
  };
}
const off = (ch: ChannelName): ChannelMeasurement => ({ channel: ch, configured: false, reason: `not configured (outputs.${ch} is null)` });
function ctx(channels: Partial<Record<ChannelName, ChannelMeasurement>>): CheckpointContext {
  const data = { input: { file: "in.csv", readable: true, rows: 2, rejected: 0, rejectedSamples: [], sha256: null, columns: [] }, channels: { local: off("local"), azure: off("azure"), supabase: off("supabase"), ...channels }, reconciliation: { runId: "r1", basis: "test" } };
  return { config, measurements: { dataQuality: { ok: true, data, durationMs: 1 } } } as unknown as CheckpointContext;
}

describe("evaluators", () => {
  it("a channel that is not configured is N/A (WARN 'not configured'), never PASS", () => {
    const c = ctx({ local: held("local") });
    for (const j of [outputChannel(c, "azure"), channelDataQuality(c, "azure"), outputChannel(c, "supabase")]) {
      expect(j).toMatchObject({ verdict: "WARN", value: "N/A" });
      expect(j.measured).toMatch(/^N\/A: the (Azure|Supabase) output channel is not configured/);
    }
    expect(outputReconciliation(c)).toMatchObject({ verdict: "WARN", value: "N/A" });
    expect(channelDataQuality(c, "local")).toMatchObject({ verdict: "PASS", value: 100 });
  });

  it("zero rows measured nothing: FAIL", () => {
    const j = channelDataQuality(ctx({ local: held("local", []) }), "local");
    expect(j.verdict).toBe("FAIL");
    expect(j.measured).toMatch(/no rows: measured nothing/);
    expect(j.value).toBeNull();
  });

  it("the pipeline's word on rejected rows is checked against the input", () => {
    const m = held("azure");
    if (m.configured && m.reachable && m.run?.manifest) m.run.manifest.rejected = 3;
    const j = channelDataQuality(ctx({ azure: m }), "azure");
    expect(j.measured).toMatch(/complete: the pipeline says it rejected 3 rows; recomputed from the input: 0/);
  });

  it("three channels, one of them holding one different value: reconciliation FAILs and names it; two agreeing channels PASS", () => {
    const rows = [row("L1"), row("L2", 200, 50)];
    const other = rows.map((r) => [...r]);
    other[0]![7] = "2.5"; // one cash amount differs; every rule of its own still passes
    const c = ctx({ local: held("local", rows), azure: held("azure", rows), supabase: held("supabase", other) });
    expect(channelDataQuality(c, "supabase").verdict).toBe("PASS");
    const j = outputReconciliation(c);
    expect(j.verdict).toBe("FAIL");
    expect(j.measured).toMatch(/supabase vs local: column cash_available_usd checksum differs/);
    expect(j.measured).toMatch(/supabase disagrees with local/);
    expect(outputReconciliation(ctx({ local: held("local", rows), azure: held("azure", rows) }))).toMatchObject({ verdict: "PASS" });
  });

  it("a channel at another run is left out of the reconciliation, with the reason", () => {
    const az = held("azure");
    if (az.configured && az.reachable && az.run) az.run.runId = "r0";
    const j = outputReconciliation(ctx({ local: held("local"), azure: az, supabase: held("supabase") }));
    expect(j.verdict).toBe("PASS");
    expect(j.measured).toMatch(/left out: azure: holds run r0, not r1/);
  });
});
