/**
 * deploy/ci/cutover.config.ts: the config of a runner away from the pipeline's host. Loaded as
 * the monitor loads it; its header classifies every check (covered, N/A, not run) and so does
 * docs/deploy.md; what it declares N/A is N/A when probed, and memory and CPU come from the
 * process metrics of a real 127.0.0.1 endpoint.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { CATALOGUE } from "../../src/catalogue/catalogue.js";
import { assess } from "../../src/catalogue/check.js";
import { probeResources } from "../../src/probes/resources.js";
import { probeLogs } from "../../src/probes/logs.js";
import { probeValidation } from "../../src/probes/validation.js";
import { probeDataQuality } from "../../src/probes/data-quality.js";
import { ROOT } from "../support/pipeline-harness.js";
import { checkpointContext } from "../support/checkpoint-context.js";
// Type-checked with the project (tsc): the config is a defineConfig() object.
import type ciConfig from "../../deploy/ci/cutover.config.js";
import type { MonitorConfigInput } from "../../src/config/schema.js";
const typed: (c: typeof ciConfig) => MonitorConfigInput = (c) => c;
void typed;

const FILE = path.join("deploy", "ci", "cutover.config.ts");
const source = fs.readFileSync(path.join(ROOT, FILE), "utf8");
const header = source.slice(0, source.indexOf("*/"));

/** Set environment variables for the duration of fn (restored after). */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
}

/** The RSS the endpoint serves: a pipeline's, not this worker's (which other test files in the worker grow). */
const SERVED_RSS_MB = 120;

describe("the CI runner's config", () => {
  let server: http.Server;
  let baseUrl = "";
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const cpu = process.cpuUsage();
      res.writeHead(req.url === "/metrics" ? 200 : 404, { "content-type": "text/plain" }).end(
        req.url === "/metrics" ? `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}\nprocess_resident_memory_bytes ${SERVED_RSS_MB * 1024 * 1024}\nprocess_start_time_seconds ${Math.round(Date.now() / 1000 - process.uptime())}\n` : "",
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const load = () => withEnv({ CUTOVER_TARGET_URL: baseUrl, GITHUB_RUN_ID: "42", GITHUB_SERVER_URL: "https://github.example", GITHUB_REPOSITORY: "team/pipeline" }, () => loadConfig({ file: FILE, cwd: ROOT }));

  it("loads as the monitor loads it: PostgreSQL history, no pidfile, logs, validation and local outputs N/A, no rollback from here", async () => {
    const { config, source: src } = await load();
    expect(src).toBe(FILE);
    expect(config.history).toEqual({ kind: "postgres", connectionStringEnv: "CUTOVER_HISTORY_DATABASE_URL" });
    expect(config.target.baseUrl).toBe(baseUrl);
    expect(config.target.process.pidFile).toBeNull();
    expect(config.target.metrics.path).toBe("/metrics");
    expect(config.target.logs.enabled).toBe(false);
    expect(config.target.validation.enabled).toBe(false);
    expect(config.target.outputs.local.enabled).toBe(false);
    expect(config.target.audit.source).toMatchObject({ kind: "postgres", connectionStringEnv: "AUDIT_DATABASE_URL" });
    expect(config.target.audit.runSummaries).toBeNull();
    expect(config.rollback.auto).toBe(false);
    expect(config.reportUrl).toBe("https://github.example/team/pipeline/actions/runs/42");
    expect(config.target.cutover.command.join(" ")).toContain("process.exit(2)");
  });

  it("without CUTOVER_TARGET_URL it does not run: one line naming the variable and the file", async () => {
    const err = await withEnv({ CUTOVER_TARGET_URL: undefined }, () => loadConfig({ file: FILE, cwd: ROOT })).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe(`${FILE}: cannot be loaded: environment variable CUTOVER_TARGET_URL is not set (deploy/ci/cutover.config.ts): the pipeline's base URL as this runner reaches it`);
  });

  it("its header and docs/deploy.md place every check of the catalogue (covered, N/A or not run)", () => {
    const docs = fs.readFileSync(path.join(ROOT, "docs", "deploy.md"), "utf8");
    const ids = CATALOGUE.filter((d) => d.dashboard !== "criteria" && !d.personal).map((d) => d.id);
    expect(ids.length).toBeGreaterThan(30);
    const cutoverIds = ids.filter((id) => id.startsWith("cutover-"));
    for (const id of ids) {
      expect(header, id).toMatch(new RegExp(`\\b${id}\\b`));
      if (!cutoverIds.includes(id)) expect(docs, id).toContain(`\`${id}\``);
    }
    expect(docs).toContain("`cutover-*`");
    // each N/A line of the header names the key that makes it so, and the code sets that key
    for (const [key, code] of [
      ["`logs.enabled: false`", "logs: { enabled: false }"],
      ["`validation.enabled: false`", "validation: { enabled: false }"],
      ["`outputs.local.enabled: false`", "local: { enabled: false }"],
      ["`process.pidFile: null`", "process: { pidFile: null }"],
    ]) {
      expect(header).toContain(key);
      expect(source).toContain(code);
    }
  });

  it("what it declares N/A is N/A when probed; memory and CPU come from the metrics endpoint", async () => {
    const { config } = await load();
    const t = config.target;
    const measurements = await withEnv({ AZURE_STORAGE_CONNECTION_STRING: "", SUPABASE_DB_URL: "" }, async () => ({
      logs: await probeLogs(t, { now: Date.now }),
      validation: await probeValidation(t, { now: Date.now }),
      dataQuality: await probeDataQuality(t, { now: Date.now }),
      resources: await probeResources(t, { now: Date.now }),
      errorRate: { ok: false as const, failure: "target" as const, message: "not probed here", durationMs: 0 },
    }));
    const c = checkpointContext(measurements, {});
    c.config = config;
    const na = ["logs-streaming", "log-scan", "log-errors-since-cutover", "log-critical", "validation-ran", "validation-report", "validation-checks", "data-quality", "output-local"];
    const records = assess(c, CATALOGUE.filter((d) => [...na, "memory", "cpu"].includes(d.id)), () => "phase");
    for (const r of records.filter((x) => na.includes(x.id))) {
      expect(r.notApplicable, `${r.id}: ${r.verdict} ${r.measured}`).toBe(true);
      expect(r.measured, r.id).toMatch(/^N\/A: /);
    }
    const memory = records.find((r) => r.id === "memory")!;
    expect(memory.verdict, memory.measured).toBe("PASS");
    expect(memory.measured).toMatch(new RegExp(`\\b${SERVED_RSS_MB}(\\.0)? MB`));
    expect(memory.evidence).toMatchObject({ source: "metrics", pid: null });
    expect(records.find((r) => r.id === "cpu")!.evidence).toMatchObject({ source: "metrics" });
    // a channel configured here whose secret is not set is an ERROR naming the variable, never N/A
    const azure = assess(c, CATALOGUE.filter((d) => d.id === "output-azure"), () => "phase")[0]!;
    expect(azure.notApplicable).toBeUndefined();
    expect(azure.measured).toContain("AZURE_STORAGE_CONNECTION_STRING is not set");
  });
});
