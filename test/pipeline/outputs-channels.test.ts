/**
 * The reference pipeline's output channels (pipeline/outputs/): without channel flags it writes
 * its local files only, as before; with them, every run also goes to Azure Blob Storage (Azurite,
 * really running) under runs/<run_id>/ with a latest.json pointer, and to Supabase's PostgreSQL
 * tables (a real PostgreSQL 15 server) in one transaction; the same rows, KPIs and manifest in
 * every channel; the newest --keep-runs runs kept; a channel that fails does not fail the run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import pg from "pg";
import { BlobServiceClient } from "@azure/storage-blob";
import { runCli } from "../support/pipeline-harness.js";
import { startServices, writeInput, type Services } from "../channels/support.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const runOnce = async (dir: string, args: string[], env: Record<string, string> = {}) => {
  const r = await runCli(["run-once", "--dir", dir, "--version", "v2", ...args], { timeout: 90_000, env });
  const out = String(r.stdout);
  const start = out.indexOf("{\n");
  return { exitCode: r.exitCode, stderr: String(r.stderr), summary: start >= 0 ? (JSON.parse(out.slice(start)) as Record<string, any>) : null };
};

describe("pipeline output channel flags", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "outputs-flags-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    [["--azure-env", "X"], /--azure-env needs --azure-container/],
    [["--azure-container", "Bad_Name"], /invalid --azure-container "Bad_Name"/],
    [["--supabase-tables", "runs=a"], /--supabase-tables needs --supabase-schema/],
    [["--supabase-schema", "s", "--supabase-tables", "runs=a;drop"], /invalid --supabase-tables/],
    [["--supabase-schema", "x-y"], /invalid --supabase-schema/],
    [["--azure-container", "outs", "--keep-runs", "0"], /invalid --keep-runs/],
    [["--fault", "azure:bogus"], /invalid fault "azure:bogus": expected azure:down\|stale\|partial\|drift\|corrupt/],
  ])("%j is a usage error (exit 2)", async (args, msg) => {
    const r = await runOnce(dir, args as string[]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(msg);
  });

  it("a channel whose secret is not in the environment: start refuses (exit 2) naming the variable, nothing starts", async () => {
    const r = await runCli(["start", "--dir", dir, "--port", "1", "--azure-container", "outs"], { timeout: 30_000, env: { AZURE_STORAGE_CONNECTION_STRING: "" } });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--azure-container needs the connection string in AZURE_STORAGE_CONNECTION_STRING/);
    expect(fs.existsSync(path.join(dir, "pipeline.pid"))).toBe(false);
  });

  it("without channel flags: the local files only, as before (no Azure or PostgreSQL needed)", async () => {
    const r = await runOnce(dir, ["--input", writeInput(dir, 100)], { AZURE_STORAGE_CONNECTION_STRING: "", SUPABASE_DB_URL: "" });
    expect(r.exitCode).toBe(0);
    expect(r.summary!.channels).toEqual({ local: "written" });
    expect(fs.readdirSync(path.join(dir, "outputs")).sort()).toEqual(["kpis.json", "loans_processed.csv"]);
    const m = JSON.parse(fs.readFileSync(path.join(dir, "logs", "runs", r.summary!.run_id, "manifest.json"), "utf8"));
    expect(m).toMatchObject({ run_id: r.summary!.run_id, rows_out: 100, rejected: 0, input: { rows: 100 } });
    expect(m.outputs).toHaveLength(2);
  });

  it("--help lists the channel flags", async () => {
    const r = await runCli(["--help"]);
    expect(String(r.stdout)).toMatch(/--azure-container NAME/);
    expect(String(r.stdout)).toMatch(/--supabase-schema NAME/);
    expect(String(r.stdout)).toMatch(/local\|azure\|supabase:down\|stale\|partial\|drift\|corrupt/);
  });
});

describe("pipeline writes every run to local files, Azure Blob Storage and Supabase", () => {
  let s: Services;
  let dir: string;
  let input: string;
  let db: pg.Client;
  const args = () => ["--input", input, "--azure-container", "pipeline-outputs", "--supabase-schema", "channels_test", "--keep-runs", "2"];
  const container = () => BlobServiceClient.fromConnectionString(s.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient("pipeline-outputs");
  const blobText = async (name: string) => (await container().getBlobClient(name).downloadToBuffer()).toString("utf8");

  beforeAll(async () => {
    s = await startServices();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "outputs-channels-"));
    input = writeInput(dir, 2000);
    db = new pg.Client({ connectionString: s.pgUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await s?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("three runs: the same rows, KPIs and manifest in every channel; the newest 2 runs kept in Azure and Supabase", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runOnce(dir, args(), s.env);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.summary!.channels).toEqual({ local: "written", azure: "written", supabase: "written" });
      ids.push(r.summary!.run_id);
    }
    const last = ids[2]!;
    // Azure: latest.json points at the last run; two runs kept, three files each
    const latest = JSON.parse(await blobText("latest.json"));
    expect(latest).toMatchObject({ run_id: last, prefix: `runs/${last}/` });
    const names: string[] = [];
    for await (const b of container().listBlobsFlat({ prefix: "runs/" })) names.push(b.name);
    expect(names.sort()).toEqual([ids[1]!, last].flatMap((id) => ["kpis.json", "loans_processed.csv", "manifest.json"].map((f) => `runs/${id}/${f}`)).sort());
    const local = fs.readFileSync(path.join(dir, "outputs", "loans_processed.csv"), "utf8");
    expect(await blobText(`runs/${last}/loans_processed.csv`)).toBe(local);
    expect(await blobText(`runs/${last}/kpis.json`)).toBe(fs.readFileSync(path.join(dir, "outputs", "kpis.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "logs", "runs", last, "manifest.json"), "utf8"));
    expect(JSON.parse(await blobText(`runs/${last}/manifest.json`))).toEqual(manifest);
    // Supabase: two runs kept, with the same manifest, rows and KPIs
    const runs = (await db.query("SELECT run_id, rows_out, rejected, manifest FROM channels_test.runs ORDER BY run_id")).rows;
    expect(runs.map((r) => r.run_id)).toEqual([ids[1], last]);
    expect(runs[1]!.manifest).toEqual(manifest);
    expect(runs[1]).toMatchObject({ rows_out: 2000, rejected: 0 });
    const counts = (await db.query("SELECT run_id, count(*)::int AS n FROM channels_test.loans_processed GROUP BY run_id ORDER BY run_id")).rows;
    expect(counts).toEqual([{ run_id: ids[1], n: 2000 }, { run_id: last, n: 2000 }]);
    const sums = (await db.query("SELECT sum(total_receivable_usd)::text AS rec, sum(dpd_90_plus_usd)::text AS d90 FROM channels_test.loans_processed WHERE run_id = $1", [last])).rows[0];
    const csv = local.trim().split("\n").slice(1).map((l) => l.split(","));
    const cents = (col: number) => csv.reduce((a, r) => a + Math.round(Number(r[col]) * 100), 0);
    expect(Math.round(Number(sums.rec) * 100)).toBe(cents(1));
    expect(Math.round(Number(sums.d90) * 100)).toBe(cents(6));
    const kpis = JSON.parse(fs.readFileSync(path.join(dir, "outputs", "kpis.json"), "utf8")).kpis as Record<string, number>;
    const dbKpis = Object.fromEntries((await db.query("SELECT kpi, value FROM channels_test.kpi_results WHERE run_id = $1", [last])).rows.map((r) => [r.kpi, r.value]));
    expect(dbKpis).toEqual(kpis);
  });

  it("one transaction per run: a run the database refuses leaves nothing of it behind, and the other channels and the run go on", async () => {
    await db.query("ALTER TABLE channels_test.loans_processed ALTER COLUMN total_receivable_usd SET NOT NULL");
    try {
      const r = await runOnce(dir, [...args(), "--fault", "nulls:5"], s.env);
      expect(r.exitCode).toBe(0);
      expect(r.summary!.result).toBe("success");
      expect(r.summary!.channels.supabase).toMatch(/^failed: .*null value/);
      expect(r.summary!.channels).toMatchObject({ local: "written", azure: "written" });
      expect((await db.query("SELECT count(*)::int AS n FROM channels_test.runs WHERE run_id = $1", [r.summary!.run_id])).rows[0].n).toBe(0);
      expect((await db.query("SELECT count(*)::int AS n FROM channels_test.loans_processed WHERE run_id = $1", [r.summary!.run_id])).rows[0].n).toBe(0);
      const log = fs.readFileSync(path.join(dir, "logs", "pipeline.log"), "utf8");
      expect(log).toMatch(new RegExp(`\\[WARN\\] output: supabase output channel write failed run_id=${r.summary!.run_id} channel=supabase`));
      expect(log).not.toContain(new URL(s.pgUrl).password || "\u0000");
    } finally {
      await db.query("ALTER TABLE channels_test.loans_processed ALTER COLUMN total_receivable_usd DROP NOT NULL");
    }
  });

  it("channel faults change only that channel: azure:partial writes half the rows there, the manifest stays the run's", async () => {
    const r = await runOnce(dir, [...args(), "--fault", "azure:partial", "--fault", "supabase:down"], s.env);
    expect(r.exitCode).toBe(0);
    expect(r.summary!.channels).toMatchObject({ local: "written", azure: "written", supabase: "failed: Supabase output channel unavailable (fault supabase:down)" });
    const id = r.summary!.run_id;
    expect((await blobText(`runs/${id}/loans_processed.csv`)).trim().split("\n")).toHaveLength(1001);
    expect(JSON.parse(await blobText(`runs/${id}/manifest.json`))).toMatchObject({ rows_out: 2000 });
    expect(fs.readFileSync(path.join(dir, "outputs", "loans_processed.csv"), "utf8").trim().split("\n")).toHaveLength(2001);
  });
});
