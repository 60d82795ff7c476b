/** One pipeline run: ingestion -> transformation -> calculation -> output. */
import fs from "node:fs";
import path from "node:path";
import type { AuditEvent, KpiResult, LoanTape } from "../kpi/types.ts";
import { TAPE_COLUMNS } from "../kpi/types.ts";
import { calculateKpisV1 } from "../kpi/v1-engine.ts";
import { calculateKpisV2 } from "../kpi/v2-engine.ts";
import { parseTapeCsv, rowsFromTape } from "../tape/parse.ts";
import { generateCsv } from "../tape/generate.ts";
import type { AuditStore } from "../audit/store.ts";
import { evenHit, type FaultRuntime } from "../faults/faults.ts";
import {
  DEFAULT_INPUT_ROWS,
  DEFAULT_INPUT_SEED,
  errMsg,
  sha256,
  writeFileAtomic,
  writeJsonAtomic,
  type Logger,
  type Paths,
  type Version,
} from "./common.ts";

export const PHASES = ["ingestion", "transformation", "calculation", "output"] as const;
export type PhaseName = (typeof PHASES)[number];

export interface RunSummary {
  run_id: string;
  version: Version;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  result: "success" | "failure";
  error?: string;
  phases: { name: PhaseName; status: "success" | "failure" | "skipped"; duration_ms: number }[];
  rows_in: number;
  rows_out: number;
}

export interface RunContext {
  p: Paths;
  log: Logger;
  version: Version;
  input: string;
  faults?: FaultRuntime;
  /** The audit store (V2); undefined when it cannot be opened. */
  audit?: () => AuditStore | undefined;
  onAuditWritten?: (n: number) => void;
  seq: number;
}

export function makeRunId(seq: number, d = new Date()): string {
  const c = d.toISOString().replace(/[-:.]/g, ""); // 20240101T123456789Z
  return `run_${c}_${seq}`;
}

/** Generate the default 10k tape (seed 42) once into the state dir. */
export function ensureDefaultInput(p: Paths, input: string): void {
  if (input !== p.defaultInput || fs.existsSync(input)) return;
  const csv = generateCsv({ rows: DEFAULT_INPUT_ROWS, seed: DEFAULT_INPUT_SEED });
  writeFileAtomic(input, csv);
}

export const PROCESSED_COLUMNS = [...TAPE_COLUMNS, "par30_usd"] as const;

/**
 * The processed rows as CSV, with the data faults applied:
 * nulls -> the hit rows get an empty total_receivable_usd; duplicates -> the hit rows are written
 * again (the clean row), so exactly floor(rows*p/100) null rows and floor(rows*q/100) repeated loan_ids.
 */
export function processedCsv(tape: LoanTape, nullsPercent = 0, duplicatesPercent = 0): { csv: string; rowsOut: number } {
  const c = tape.columns;
  const lines: string[] = [PROCESSED_COLUMNS.join(",")];
  for (let i = 0; i < tape.rows; i++) {
    const par30 = c.dpd_30_60_usd[i]! + c.dpd_60_90_usd[i]! + c.dpd_90_plus_usd[i]!;
    const nul = nullsPercent > 0 && evenHit(i + 1, nullsPercent);
    const fields = [
      csvField(tape.loanIds[i]!),
      String(c.total_receivable_usd[i]),
      String(c.dpd_0_7_usd[i]),
      String(c.dpd_7_30_usd[i]),
      String(c.dpd_30_60_usd[i]),
      String(c.dpd_60_90_usd[i]),
      String(c.dpd_90_plus_usd[i]),
      String(c.cash_available_usd[i]),
      String(c.total_eligible_usd[i]),
      String(Math.round(par30 * 100) / 100),
    ];
    const clean = fields.join(",");
    if (nul) fields[1] = "";
    lines.push(nul ? fields.join(",") : clean);
    // the duplicate is the clean row again, so null and duplicate counts stay independent
    if (duplicatesPercent > 0 && evenHit(i + 1, duplicatesPercent)) lines.push(clean);
  }
  return { csv: lines.join("\n") + "\n", rowsOut: lines.length - 1 };
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function kpiValues(k: KpiResult): Record<string, number> {
  return {
    PAR30: k.PAR30.value,
    PAR90: k.PAR90.value,
    CollectionRate: k.CollectionRate.value,
    PortfolioHealth: k.PortfolioHealth.value,
  };
}

class PhaseFailure extends Error {
  constructor(
    public phase: PhaseName,
    message: string,
  ) {
    super(message);
  }
}

export function runOnce(ctx: RunContext): RunSummary {
  const { p, log, version, faults } = ctx;
  const f = faults?.active ?? {};
  const started = new Date();
  const runId = makeRunId(ctx.seq, started);
  const summary: RunSummary = {
    run_id: runId,
    version,
    started_at: started.toISOString(),
    finished_at: "",
    duration_ms: 0,
    result: "success",
    phases: [],
    rows_in: 0,
    rows_out: 0,
  };
  const runDir = path.join(p.runs, runId);
  log.info("run", "run started", { run_id: runId, version, input: ctx.input });

  let tape: LoanTape | undefined;
  let inputText = "";
  let processed = "";
  let kpis: KpiResult | undefined;
  const outputs: { path: string; sha256: string; bytes: number }[] = [];

  const phase = (name: PhaseName, fn: () => "success" | "skipped" | void) => {
    const t0 = performance.now();
    let status: "success" | "skipped" = "success";
    try {
      status = fn() ?? "success";
    } catch (e) {
      const ms = Math.round((performance.now() - t0) * 1000) / 1000;
      summary.phases.push({ name, status: "failure", duration_ms: ms });
      log.error("run", `phase ${name} failed`, { run_id: runId, phase: name, duration_ms: ms, error: errMsg(e) });
      throw new PhaseFailure(name, errMsg(e));
    }
    const ms = Math.round((performance.now() - t0) * 1000) / 1000;
    summary.phases.push({ name, status, duration_ms: ms });
    log.info("run", `phase ${name} ${status === "skipped" ? "skipped" : "ok"}`, { run_id: runId, phase: name, duration_ms: ms });
  };

  try {
    phase("ingestion", () => {
      if (!fs.existsSync(ctx.input)) throw new Error(`input tape not found: ${ctx.input}`);
      inputText = fs.readFileSync(ctx.input, "utf8");
      try {
        tape = parseTapeCsv(inputText);
      } catch (e) {
        throw new Error(`malformed input tape ${ctx.input}: ${errMsg(e)}`);
      }
      summary.rows_in = tape.rows;
    });
    phase("transformation", () => {
      const r = processedCsv(tape!, f.nullsPercent, f.duplicatesPercent);
      processed = r.csv;
      summary.rows_out = r.rowsOut;
    });
    phase("calculation", () => {
      if (faults?.nextRunFails()) throw new Error(`injected failure (fault errors:${f.errorsPercent})`);
      if (version === "v1") {
        kpis = calculateKpisV1(rowsFromTape(tape!));
      } else {
        const events: AuditEvent[] = [];
        kpis = calculateKpisV2(tape!, { audit: (ev) => events.push(...ev), runId, actor: "pipeline-service" });
        if (!f.auditOff) {
          const store = ctx.audit?.();
          if (!store) throw new Error("audit trail unavailable");
          store.write(events);
          ctx.onAuditWritten?.(events.length);
        }
      }
    });
    phase("output", () => {
      if (f.outputsOff) throw new Error(`output channel unavailable: cannot write ${p.outputs} (fault outputs:off)`);
      if (f.staleOutputs) return "skipped";
      const kpiDoc = {
        run_id: runId,
        version,
        generated_at: new Date().toISOString(),
        rows: tape!.rows,
        kpis: kpiValues(kpis!),
      };
      const kpiText = JSON.stringify(kpiDoc, null, 2) + "\n";
      writeFileAtomic(p.processed, processed);
      writeFileAtomic(p.kpis, kpiText);
      outputs.push(
        { path: "outputs/kpis.json", sha256: sha256(kpiText), bytes: Buffer.byteLength(kpiText) },
        { path: "outputs/loans_processed.csv", sha256: sha256(processed), bytes: Buffer.byteLength(processed) },
      );
    });
    // stale-outputs hides itself in the summary, as a silently stuck writer would.
    for (const ph of summary.phases) if (ph.status === "skipped") ph.status = "success";
  } catch (e) {
    summary.result = "failure";
    summary.error = e instanceof PhaseFailure ? `${e.phase}: ${e.message}` : errMsg(e);
  }

  const finished = new Date();
  summary.finished_at = finished.toISOString();
  summary.duration_ms = finished.getTime() - started.getTime();
  try {
    writeJsonAtomic(path.join(runDir, "summary.json"), summary);
    if (version === "v2") {
      writeJsonAtomic(path.join(runDir, "manifest.json"), {
        run_id: runId,
        input: { path: ctx.input, sha256: sha256(inputText), rows: summary.rows_in },
        outputs,
      });
    }
  } catch (e) {
    log.error("run", "could not write run summary", { run_id: runId, error: errMsg(e) });
  }
  if (summary.result === "success")
    log.info("run", "run finished", { run_id: runId, version, duration_ms: summary.duration_ms, rows_in: summary.rows_in, rows_out: summary.rows_out });
  else log.error("run", "run failed", { run_id: runId, version, duration_ms: summary.duration_ms, error: summary.error });
  return summary;
}
