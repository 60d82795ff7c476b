/**
 * The dataQuality probe reads its channels' rows in worker threads (src/probes/outputs/scan.ts):
 * against Azurite and PostgreSQL really running, it measures exactly what it measures on one
 * thread — the local file and the input read by a worker, Azure's download and Supabase's COPY
 * passed on batch by batch with every writer made to wait for its worker (flow control: the
 * socket paused and resumed) — on a run whose Supabase rows are stored out of key order, with a
 * repeated key and a negative amount.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { probeDataQuality, type DataQualityMeasurement } from "../../src/probes/data-quality.js";
import { scanThreadProblem, useScanThreads } from "../../src/probes/outputs/scan.js";
import { AzureChannel } from "../../pipeline/outputs/azure.ts";
import { DEFAULT_TABLES } from "../../pipeline/outputs/options.ts";
import { buildOutput } from "../../pipeline/outputs/publish.ts";
import { SupabaseChannel } from "../../pipeline/outputs/supabase.ts";
import { calculateKpisV2 } from "../../pipeline/kpi/v2-engine.ts";
import { kpiValues, PROCESSED_COLUMNS, processedRows } from "../../pipeline/service/run.ts";
import { generateTape } from "../../pipeline/tape/generate.ts";
import { tapeToCsv } from "../../pipeline/tape/parse.ts";
import { startServices, type Services } from "./support.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** The measurement without the ages (Supabase's is read from the database's clock at each read). */
function comparable(m: DataQualityMeasurement): unknown {
  return JSON.parse(JSON.stringify(m, (k, v) => (k === "ageSeconds" ? undefined : v)));
}

describe("worker threads measure what one thread measures, against Azurite and PostgreSQL", () => {
  let s: Services;
  let dir: string;
  let config: ReturnType<typeof monitorConfigSchema.parse>;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    s = await startServices();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dq-threads-"));
    const tape = generateTape({ rows: 30_000, seed: 5 });
    const inputCsv = tapeToCsv(tape);
    const inputFile = path.join(dir, "input.csv");
    fs.writeFileSync(inputFile, inputCsv);
    const runId = "run_threads_1";
    const out = buildOutput({
      runId,
      version: "v2",
      generatedAt: new Date().toISOString(),
      header: PROCESSED_COLUMNS,
      rows: processedRows(tape),
      inputRows: tape.rows,
      kpis: kpiValues(calculateKpisV2(tape)),
      input: { path: inputFile, sha256: createHash("sha256").update(inputCsv).digest("hex"), rows: tape.rows },
    });
    fs.mkdirSync(path.join(dir, "outputs"));
    fs.mkdirSync(path.join(dir, "logs", "runs", runId), { recursive: true });
    fs.writeFileSync(path.join(dir, "logs", "runs", runId, "manifest.json"), JSON.stringify(out.manifest));
    fs.writeFileSync(path.join(dir, "outputs", "loans_processed.csv"), out.rowsCsv);
    fs.writeFileSync(path.join(dir, "outputs", "kpis.json"), out.kpiText);
    await new AzureChannel(s.env.AZURE_STORAGE_CONNECTION_STRING, "threads-outputs", 2).write(out, undefined);
    // Supabase: blocks of rows stored after later ones, a key repeated, an amount negative
    const rows = out.rows.map((r) => [...r]);
    const moved = rows.splice(1000, 300);
    rows.splice(20_000, 0, ...moved);
    rows.splice(25_000, 0, [...rows[400]!]);
    rows[7000]![2] = "-5.00";
    const sb = new SupabaseChannel(s.env.SUPABASE_DB_URL, "threads", DEFAULT_TABLES, 2);
    await sb.write({ ...out, rows }, undefined);
    await sb.close();
    config = monitorConfigSchema.parse({
      target: {
        stateDir: dir,
        outputs: {
          local: { inputFile, maxAgeSeconds: 86_400 },
          azure: { container: "threads-outputs", maxAgeSeconds: 86_400, timeoutMs: 60_000 },
          supabase: { schema: "threads", maxAgeSeconds: 86_400, timeoutMs: 60_000 },
        },
      },
    });
    for (const k of Object.keys(s.env)) saved[k] = process.env[k];
    Object.assign(process.env, s.env);
  });
  afterAll(async () => {
    // The test files of a worker share its environment (isolate: false).
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
    useScanThreads(true);
    await s?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the same measurement, channel by channel, rule by rule", async () => {
    const now = Date.now();
    // every scan in a worker, every writer held back after each batch
    useScanThreads(true, { minBytes: 0, highWater: 64 * 1024 });
    const threaded = await probeDataQuality(config.target, { now: () => now });
    expect(scanThreadProblem()).toBeNull();
    useScanThreads(false);
    const here = await probeDataQuality(config.target, { now: () => now });
    if (!threaded.ok || !here.ok) throw new Error(`probe failed: ${JSON.stringify(threaded.ok ? here : threaded)}`);
    expect(comparable(threaded.data)).toEqual(comparable(here.data));
    // and what it measured is what was written
    const sup = threaded.data.channels.supabase;
    if (!sup.configured || !sup.reachable || !sup.run) throw new Error(`supabase not read: ${JSON.stringify(sup)}`);
    const scan = sup.run.rows.scan;
    expect(scan.rowsChecked).toBe(30_001);
    expect(scan.duplicateRows).toBe(1);
    expect(scan.rules["unique-key"].samples[0]).toMatchObject({ key: "L0000401" });
    expect(scan.rules["non-negative"].samples[0]).toMatchObject({ column: "dpd_0_7_usd", value: "-5.00" });
    for (const ch of ["local", "azure"] as const) {
      const m = threaded.data.channels[ch];
      if (!m.configured || !m.reachable || !m.run) throw new Error(`${ch} not read`);
      expect(m.run.rows.scan).toMatchObject({ rowsChecked: 30_000, rowsFailing: 0, duplicateRows: 0 });
      expect(m.run.rows.sha256).toBe(m.run.manifest?.rowsSha256);
    }
    expect(threaded.data.input).toMatchObject({ readable: true, rows: 30_000, rejected: 0 });
  });
});
