/**
 * Production validation: writes production_validation_report.json and
 * logs/validation_YYYYMMDD_HHMMSS.json (docs/DESIGN.md's format) with 5 checks:
 *
 * - kpi_calculations: V1 and V2 engines and the running service's POST /kpis against an
 *   independent, naive recomputation of the formulas on a known generated tape.
 * - data_integrity: the latest outputs: schema of loans_processed.csv, null (empty or
 *   non-numeric) fields, duplicate loan_ids, par30_usd consistency, row count vs kpis.json.
 * - performance: end-to-end POST /kpis latency (median of 15) and throughput on a 1k tape
 *   (in-process engine when the service is down).
 * - error_handling: bad tapes fed to the parser/engine and to POST /kpis must be rejected.
 * - audit_trail: DELIBERATELY FLAWED, like the production script the checklist was written for.
 *   It only checks that the V2 engine *emits* 6 events into an in-memory sink and reports the
 *   total row count of audit.db as `event_count`; it never checks that the running service is
 *   still *persisting* new events. So under the `audit:off` fault the report still says PASS.
 *   This is intentional: the monitor exists to catch exactly this (it counts new events itself).
 *   Do not "fix" it here.
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseCsvSync } from "csv-parse/sync";
import { countAuditEvents } from "../audit/store.ts";
import { TAPE_COLUMNS, type KpiResult, type LoanRow } from "../kpi/types.ts";
import { calculateKpisV1 } from "../kpi/v1-engine.ts";
import { calculateKpisV2, AUDIT_EVENTS_PER_CALCULATION } from "../kpi/v2-engine.ts";
import { generateCsv } from "../tape/generate.ts";
import { parseTapeCsv, rowsFromTape, tapeFromRows } from "../tape/parse.ts";
import { errMsg, fetchHealth, paths, readActive, readJson, stamp, writeJsonAtomic, type Paths } from "../service/common.ts";
import { PROCESSED_COLUMNS } from "../service/run.ts";

export type CheckStatus = "PASS" | "WARN" | "FAIL";
export interface Check {
  status: CheckStatus;
  [k: string]: unknown;
}
export interface ValidationReport {
  timestamp: string;
  status: "PASS" | "FAIL";
  issues: string[];
  checks: {
    kpi_calculations: Check;
    data_integrity: Check;
    performance: Check;
    error_handling: Check;
    audit_trail: Check;
  };
  version: string;
  duration_ms: number;
}

export const PERF_PASS_MS = 500;
export const PERF_WARN_MS = 2000;

/** Naive reference: the formulas of docs/DESIGN.md over plain CSV text, independent of the engines. */
export function referenceKpis(csv: string): Record<string, number> {
  const lines = csv.trim().split(/\r?\n/);
  const head = lines[0]!.split(",");
  const ix = (c: string) => head.indexOf(c);
  let rec = 0, p30 = 0, p90 = 0, cash = 0, elig = 0;
  for (const l of lines.slice(1)) {
    const f = l.split(",").map(Number);
    rec += f[ix("total_receivable_usd")]!;
    p30 += f[ix("dpd_30_60_usd")]! + f[ix("dpd_60_90_usd")]! + f[ix("dpd_90_plus_usd")]!;
    p90 += f[ix("dpd_90_plus_usd")]!;
    cash += f[ix("cash_available_usd")]!;
    elig += f[ix("total_eligible_usd")]!;
  }
  const PAR30 = rec ? (p30 / rec) * 100 : 0;
  const PAR90 = rec ? (p90 / rec) * 100 : 0;
  const CollectionRate = elig ? Math.round((cash / elig) * 100 * 100) / 100 : 0;
  const PortfolioHealth = Math.round(Math.min(10, Math.max(0, Math.max(0, 10 - PAR30 / 10) * (CollectionRate / 10))) * 100) / 100;
  return { PAR30, PAR90, CollectionRate, PortfolioHealth };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 0.005 + 1e-12;
function diff(name: string, got: KpiResult | Record<string, { value: number }>, ref: Record<string, number>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(ref)) {
    const g = (got as Record<string, { value: number }>)[k]?.value;
    const tight = k === "PAR30" || k === "PAR90";
    const ok = typeof g === "number" && (tight ? Math.abs(g - ref[k]!) <= 1e-9 * Math.max(1, Math.abs(ref[k]!)) : close(g, ref[k]!));
    if (!ok) out.push(`${name} ${k}=${g} expected ${ref[k]}`);
  }
  return out;
}

async function post(port: number, body: string, type = "text/csv", requestId?: string) {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/kpis`, {
    method: "POST",
    headers: { "content-type": type, ...(requestId ? { "x-request-id": requestId } : {}) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0, timing: res.headers.get("server-timing") };
}

async function kpiCalculations(port: number, up: boolean): Promise<Check> {
  const csv = generateCsv({ rows: 1000, seed: 20240601 });
  const ref = referenceKpis(csv);
  const tape = parseTapeCsv(csv);
  const problems = [...diff("v2", calculateKpisV2(tape), ref), ...diff("v1", calculateKpisV1(rowsFromTape(tape)), ref)];
  let service = "not running";
  if (up) {
    const r = await post(port, csv);
    if (r.status !== 200) problems.push(`service POST /kpis answered ${r.status}`);
    else {
      problems.push(...diff("service", (JSON.parse(r.text) as { kpis: KpiResult }).kpis, ref));
      service = "compared";
    }
  }
  return { status: problems.length ? "FAIL" : "PASS", rows: 1000, reference: ref, engines: ["v1", "v2"], service, mismatches: problems };
}

export function scanProcessed(p: Paths) {
  const issues: string[] = [];
  if (!fs.existsSync(p.processed)) return { issues: [`${path.relative(p.dir, p.processed)} missing`], rows: 0, null_rows: 0, duplicate_rows: 0 };
  const records = parseCsvSync(fs.readFileSync(p.processed), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const header = records[0] ?? [];
  if (header.join(",") !== PROCESSED_COLUMNS.join(",")) issues.push(`schema: header is "${header.join(",")}", expected "${PROCESSED_COLUMNS.join(",")}"`);
  const seen = new Set<string>();
  let nullRows = 0, dupRows = 0, badWidth = 0, par30Mismatch = 0;
  for (const r of records.slice(1)) {
    if (r.length !== PROCESSED_COLUMNS.length) badWidth++;
    const id = r[0] ?? "";
    if (seen.has(id)) dupRows++;
    seen.add(id);
    const nums = r.slice(1, PROCESSED_COLUMNS.length).map((x) => (x.trim() === "" ? NaN : Number(x)));
    if (id.trim() === "" || nums.length < PROCESSED_COLUMNS.length - 1 || nums.some((n) => !Number.isFinite(n))) nullRows++;
    else if (Math.abs(nums[4]! + nums[5]! + nums[6]! - nums[9]!) > 0.011) par30Mismatch++;
  }
  const rows = records.length - 1;
  if (badWidth) issues.push(`schema: ${badWidth} rows without ${PROCESSED_COLUMNS.length} fields`);
  if (nullRows) issues.push(`nulls: ${nullRows} rows with empty or non-numeric fields`);
  if (dupRows) issues.push(`duplicates: ${dupRows} rows repeat a loan_id`);
  if (par30Mismatch) issues.push(`par30_usd inconsistent in ${par30Mismatch} rows`);
  const k = readJson<{ rows?: number; kpis?: Record<string, unknown> }>(p.kpis);
  if (!k) issues.push("outputs/kpis.json missing or not JSON");
  else {
    for (const n of ["PAR30", "PAR90", "CollectionRate", "PortfolioHealth"])
      if (typeof k.kpis?.[n] !== "number") issues.push(`outputs/kpis.json: ${n} is not a number`);
    if (k.rows !== rows - dupRows) issues.push(`row count: kpis.json rows=${k.rows}, loans_processed.csv has ${rows - dupRows} distinct rows`);
  }
  return { issues, rows, null_rows: nullRows, duplicate_rows: dupRows, schema_ok: !header.length || header.join(",") === PROCESSED_COLUMNS.join(",") };
}

function dataIntegrity(p: Paths): Check {
  const s = scanProcessed(p);
  return { status: s.issues.length ? "FAIL" : "PASS", ...s };
}

async function performanceCheck(port: number, up: boolean): Promise<Check> {
  const csv = generateCsv({ rows: 1000, seed: 99 });
  const samples: number[] = [];
  const computes: number[] = [];
  let errors = 0;
  for (let i = 0; i < 15; i++) {
    if (up) {
      const r = await post(port, csv);
      if (r.status !== 200) errors++;
      samples.push(r.ms);
      const m = /dur=([\d.]+)/.exec(r.timing ?? "");
      if (m) computes.push(Number(m[1]));
    } else {
      const t0 = performance.now();
      calculateKpisV2(parseTapeCsv(csv));
      samples.push(performance.now() - t0);
    }
  }
  samples.sort((a, b) => a - b);
  computes.sort((a, b) => a - b);
  const latency = samples[Math.floor(samples.length / 2)]!;
  const latency_ms = Math.round(latency * 1000) / 1000;
  const status: CheckStatus = latency_ms > PERF_WARN_MS || errors === samples.length ? "FAIL" : latency_ms > PERF_PASS_MS || errors ? "WARN" : "PASS";
  return {
    status,
    latency_ms,
    throughput_rows_per_sec: Math.round(1000 / (latency / 1000)),
    compute_ms: computes.length ? computes[Math.floor(computes.length / 2)] : undefined,
    samples: samples.length,
    errors,
    rows_per_request: 1000,
    measured: up ? "service POST /kpis end to end" : "in-process engine (service down)",
    thresholds_ms: { pass: PERF_PASS_MS, warn: PERF_WARN_MS },
  };
}

const BAD_TAPES: Record<string, string> = {
  empty: "",
  missing_column: "loan_id,total_receivable_usd\nL1,100\n",
  non_numeric: `${TAPE_COLUMNS.join(",")}\nL1,abc,1,0,0,0,0,1,1\n`,
};

async function errorHandling(port: number, up: boolean): Promise<Check> {
  const accepted: string[] = [];
  const engine: Record<string, string> = {};
  for (const [name, text] of Object.entries(BAD_TAPES)) {
    try {
      parseTapeCsv(text);
      accepted.push(`parser accepted ${name}`);
    } catch (e) {
      engine[name] = errMsg(e);
    }
  }
  try {
    tapeFromRows([{ loan_id: "L1", total_receivable_usd: "x" } as unknown as LoanRow]);
    accepted.push("tapeFromRows accepted a row with missing/non-numeric fields");
  } catch (e) {
    engine.bad_json_row = errMsg(e);
  }
  const service: Record<string, number> = {};
  if (up) {
    for (const [name, text] of Object.entries(BAD_TAPES)) {
      const r = await post(port, text);
      service[name] = r.status;
      if (r.status !== 400) accepted.push(`POST /kpis ${name} -> ${r.status}, expected 400`);
    }
    const r = await post(port, "{not json", "application/json");
    service.malformed_json = r.status;
    if (r.status !== 400) accepted.push(`POST /kpis malformed JSON -> ${r.status}, expected 400`);
  }
  return { status: accepted.length ? "FAIL" : "PASS", engine_rejections: engine, service_statuses: service, accepted };
}

/** See the file comment: intentionally trusts the engine, never checks persistence. */
function auditTrail(p: Paths): Check {
  let emitted = 0;
  calculateKpisV2(parseTapeCsv(generateCsv({ rows: 50, seed: 3 })), { audit: (ev) => (emitted += ev.length), actor: "validation" });
  let event_count = 0;
  try {
    event_count = countAuditEvents(p.auditDb);
  } catch {
    event_count = 0;
  }
  return { status: emitted === AUDIT_EVENTS_PER_CALCULATION ? "PASS" : "FAIL", event_count, events_per_calculation: emitted };
}

export async function validate(o: { dir: string; port: number }): Promise<{ report: ValidationReport; file: string }> {
  const p = paths(o.dir);
  const t0 = Date.now();
  const h = await fetchHealth(o.port, 3000);
  const up = !!h;
  const run = async (name: string, fn: () => Promise<Check> | Check): Promise<Check> => {
    try {
      return await fn();
    } catch (e) {
      return { status: "FAIL", error: `${name}: ${errMsg(e)}` };
    }
  };
  const checks = {
    kpi_calculations: await run("kpi_calculations", () => kpiCalculations(o.port, up)),
    data_integrity: await run("data_integrity", () => dataIntegrity(p)),
    performance: await run("performance", () => performanceCheck(o.port, up)),
    error_handling: await run("error_handling", () => errorHandling(o.port, up)),
    audit_trail: await run("audit_trail", () => auditTrail(p)),
  };
  const issues: string[] = [];
  if (!up) issues.push(`service not reachable on port ${o.port}; service checks ran in-process`);
  for (const [name, c] of Object.entries(checks)) {
    if (c.status === "PASS") continue;
    const detail = (c.mismatches ?? c.issues ?? c.accepted ?? c.error ?? (c.latency_ms !== undefined ? [`latency_ms=${c.latency_ms}`] : [])) as string[] | string;
    issues.push(`${name}: ${c.status} ${Array.isArray(detail) ? detail.join("; ") : detail}`.trim());
  }
  const report: ValidationReport = {
    timestamp: new Date().toISOString(),
    status: Object.values(checks).some((c) => c.status === "FAIL") ? "FAIL" : "PASS",
    issues,
    checks,
    version: h?.version ?? readActive(p).version,
    duration_ms: Date.now() - t0,
  };
  fs.mkdirSync(p.logs, { recursive: true });
  const file = path.join(p.logs, `validation_${stamp()}.json`);
  writeJsonAtomic(file, report);
  writeJsonAtomic(p.validationReport, report);
  return { report, file };
}
