/** cutover -> validation -> pipeline test -> rollback, through the checklist-named scripts. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { ROOT, runCli, startPipeline, waitFor, writeTape, type StartedPipeline } from "../support/pipeline-harness.ts";

const sha = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");
const script = (name: string, args: string[]) =>
  execa(path.join(ROOT, "pipeline", "scripts", name), args, { reject: false, timeout: 60_000, env: { NO_COLOR: "1" } });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-scripts-"));

describe("cutover, validation, rollback", () => {
  let pl: StartedPipeline;
  let rollbackDir: string;
  let checksums: Record<string, string>;
  beforeAll(async () => {
    // One run at start only (long interval), so nothing rewrites outputs behind the test's back.
    const input = await writeTape(path.join(tmp, "in.csv"), 2000, 9);
    pl = await startPipeline({ version: "v1", interval: 3600, input, allowFaults: false });
  });
  afterAll(async () => {
    await pl?.stop();
  });

  it("the cutover fails at preflight when the service is not running", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "nosvc-"));
    const r = await runCli(["cutover", "--dir", dir, "--port", "1"]);
    expect(r.exitCode).toBe(1);
    const log = fs.readFileSync(path.join(dir, "logs", fs.readdirSync(path.join(dir, "logs")).find((f) => f.startsWith("cutover_"))!), "utf8");
    expect(log).toMatch(/\[PHASE 1\/5\] preflight: FAILED service not running/);
    expect(log).toMatch(/CUTOVER FAILED phase=preflight/);
    expect(String(r.stdout)).toMatch(/CUTOVER FAILED phase=preflight/);
  });

  it("the rollback fails (exit 1) when no cutover prepared a rollback directory", async () => {
    const r = await pl.cli(["rollback"]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toMatch(/ROLLBACK FAILED step=locate/);
  });

  it("production_cutover.sh: 5 phases logged, V2 active, rollback dir with config, snapshot and checksums", async () => {
    const t0 = Date.now();
    const r = await script("production_cutover.sh", ["--dir", pl.dir, "--port", String(pl.port)]);
    expect(r.exitCode, String(r.stdout)).toBe(0);
    const logs = fs.readdirSync(path.join(pl.dir, "logs")).filter((f) => /^cutover_\d{8}_\d{6}\.log$/.test(f));
    expect(logs).toHaveLength(1);
    const log = fs.readFileSync(path.join(pl.dir, "logs", logs[0]!), "utf8");
    for (const [i, ph] of ["preflight", "backup", "deploy", "activate", "verify"].entries()) {
      expect(log).toContain(`[PHASE ${i + 1}/5] ${ph}: START`);
      expect(log).toContain(`[PHASE ${i + 1}/5] ${ph}: SUCCESS`);
    }
    const done = /CUTOVER COMPLETE duration_ms=(\d+)/.exec(log);
    expect(done).not.toBeNull();
    console.info(`cutover: script duration_ms=${done![1]}, end to end ${Date.now() - t0} ms`);
    expect((await pl.health()).version).toBe("v2");
    const rb = fs.readdirSync(path.join(pl.dir, "rollback"));
    expect(rb).toHaveLength(1);
    rollbackDir = path.join(pl.dir, "rollback", rb[0]!);
    expect(JSON.parse(fs.readFileSync(path.join(rollbackDir, "v1-config.json"), "utf8")).version).toBe("v1");
    checksums = JSON.parse(fs.readFileSync(path.join(rollbackDir, "checksums.json"), "utf8"));
    expect(Object.keys(checksums).sort()).toEqual(["outputs/kpis.json", "outputs/loans_processed.csv"]);
    for (const [f, sum] of Object.entries(checksums)) {
      expect(sha(path.join(rollbackDir, f))).toBe(sum);
      expect(sha(path.join(pl.dir, f))).toBe(sum); // taken at that moment
    }
  });

  it("a second cutover warns that V2 is already active and still succeeds", async () => {
    // Cutover log names have 1 s resolution: wait until the clock is past the first cutover's
    // second (a condition on the newest log's time, not a fixed sleep).
    const logs = path.join(pl.dir, "logs");
    const newest = Math.max(...fs.readdirSync(logs).filter((f) => f.startsWith("cutover_")).map((f) => fs.statSync(path.join(logs, f)).mtimeMs));
    await waitFor(() => Math.floor(Date.now() / 1000) > Math.floor(newest / 1000), 10_000, "the next second on the clock", 20);
    const r = await pl.cli(["cutover"]);
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toMatch(/WARNING: V2 already active/);
    // keep the first cutover's rollback point as the one to restore
    for (const d of fs.readdirSync(path.join(pl.dir, "rollback"))) if (path.join(pl.dir, "rollback", d) !== rollbackDir) fs.rmSync(path.join(pl.dir, "rollback", d), { recursive: true });
  });

  it("a V2 run writes new outputs, a manifest and audit events", async () => {
    const r = await pl.cli(["run-once"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const k = JSON.parse(fs.readFileSync(path.join(pl.dir, "outputs", "kpis.json"), "utf8"));
    expect(k.version).toBe("v2");
    expect(fs.existsSync(path.join(pl.dir, "logs", "runs", k.run_id, "manifest.json"))).toBe(true);
    expect(sha(path.join(pl.dir, "outputs", "kpis.json"))).not.toBe(checksums["outputs/kpis.json"]);
  });

  it("production_validation: report with 5 real checks, all PASS", async () => {
    const r = await script("production_validation", ["--dir", pl.dir, "--port", String(pl.port)]);
    expect(r.exitCode, String(r.stdout).slice(0, 2000)).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(pl.dir, "production_validation_report.json"), "utf8"));
    expect(report.status).toBe("PASS");
    expect(Object.keys(report.checks).sort()).toEqual(["audit_trail", "data_integrity", "error_handling", "kpi_calculations", "performance"]);
    for (const c of Object.values(report.checks) as { status: string }[]) expect(c.status).toBe("PASS");
    expect(report.checks.performance.latency_ms).toBeGreaterThan(0);
    expect(report.checks.performance.throughput_rows_per_sec).toBeGreaterThan(0);
    expect(report.checks.audit_trail.event_count).toBeGreaterThanOrEqual(12);
    expect(report.checks.data_integrity).toMatchObject({ null_rows: 0, duplicate_rows: 0, rows: 2000 });
    expect(report.checks.error_handling.service_statuses).toMatchObject({ empty: 400, missing_column: 400, non_numeric: 400 });
    expect(fs.readdirSync(path.join(pl.dir, "logs")).some((f) => /^validation_\d{8}_\d{6}\.json$/.test(f))).toBe(true);
  });

  it("validation FAILs data_integrity on corrupted outputs", async () => {
    const f = path.join(pl.dir, "outputs", "loans_processed.csv");
    const orig = fs.readFileSync(f);
    const lines = orig.toString().split("\n");
    lines[1] = lines[1]!.replace(/^([^,]+),[^,]+,/, "$1,,");
    lines.splice(2, 0, lines[3]!);
    fs.writeFileSync(f, lines.join("\n"));
    try {
      const r = await pl.cli(["validate"]);
      expect(r.exitCode).toBe(1);
      const report = JSON.parse(fs.readFileSync(path.join(pl.dir, "production_validation_report.json"), "utf8"));
      expect(report.checks.data_integrity).toMatchObject({ status: "FAIL", null_rows: 1, duplicate_rows: 1 });
    } finally {
      fs.writeFileSync(f, orig);
    }
  });

  it("pipeline test: the pipeline's own suite passes 29/29 with JUnit XML", async () => {
    const r = await pl.cli(["test"], { timeout: 90_000 });
    expect(r.exitCode, String(r.stdout).slice(-1500)).toBe(0);
    expect(String(r.stdout)).toMatch(/29\/29 passing/);
    const xml = fs.readFileSync(path.join(pl.dir, "reports", "junit.xml"), "utf8");
    expect(xml).toMatch(/<testsuites [^>]*tests="29" failures="0" errors="0"/);
  });

  it("rollback_to_v1.sh: V1 active, outputs byte-identical to the cutover checksums, V2 outputs kept aside", async () => {
    const t0 = Date.now();
    const r = await script("rollback_to_v1.sh", ["--dir", pl.dir, "--port", String(pl.port)]);
    const ms = Date.now() - t0;
    expect(r.exitCode, String(r.stdout)).toBe(0);
    console.info(`rollback: end to end ${ms} ms`);
    expect(ms).toBeLessThan(5 * 60_000);
    expect((await pl.health()).version).toBe("v1");
    expect(JSON.parse(fs.readFileSync(path.join(pl.dir, "config", "active.json"), "utf8")).version).toBe("v1");
    for (const [f, sum] of Object.entries(checksums)) expect(sha(path.join(pl.dir, f)), f).toBe(sum);
    const kept = path.join(rollbackDir, "v2-outputs-kept", "kpis.json");
    expect(JSON.parse(fs.readFileSync(kept, "utf8")).version).toBe("v2");
    expect(String(r.stdout)).toMatch(/kept \(not deleted\).*v2-outputs-kept/);
    expect(String(r.stdout)).toMatch(/ROLLBACK COMPLETE/);
  });
});
