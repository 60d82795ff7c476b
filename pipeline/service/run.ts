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
import type { ChannelResult, RemoteChannels } from "../outputs/channels.ts";
import { buildOutput, forChannel, toCsv } from "../outputs/publish.ts";
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
  /** What each output channel got (local always; azure, supabase when configured). */
  channels?: Record<string, ChannelResult>;
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
  /** Azure Blob Storage and Supabase, when configured (pipeline/outputs/). */
  channels?: RemoteChannels;
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
 * The processed rows, with the data faults applied:
 * nulls -> the hit rows get an empty total_receivable_usd; duplicates -> the hit rows are written
 * again (the clean row), so exactly floor(rows*p/100) null rows and floor(rows*q/100) repeated loan_ids.
 */
export function processedRows(tape: LoanTape, nullsPercent = 0, duplicatesPercent = 0): string[][] {
  const c = tape.columns;
  const rows: string[][] = [];
  for (let i = 0; i < tape.rows; i++) {
    const par30 = c.dpd_30_60_usd[i]! + c.dpd_60_90_usd[i]! + c.dpd_90_plus_usd[i]!;
    const nul = nullsPercent > 0 && evenHit(i + 1, nullsPercent);
    const fields = [
      tape.loanIds[i]!,
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
    rows.push(nul ? [fields[0]!, "", ...fields.slice(2)] : fields);
    // the duplicate is the clean row again, so null and duplicate counts stay independent
    if (duplicatesPercent > 0 && evenHit(i + 1, duplicatesPercent)) rows.push(fields);
  }
  return rows;
}

/** The processed rows as CSV (see processedRows). */
export function processedCsv(tape: LoanTape, nullsPercent = 0, duplicatesPercent = 0): { csv: string; rowsOut: number } {
  const rows = processedRows(tape, nullsPercent, duplicatesPercent);
  return { csv: toCsv(PROCESSED_COLUMNS, rows), rowsOut: rows.length };
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

export async function runOnce(ctx: RunContext): Promise<RunSummary> {
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
  let processed: string[][] = [];
  let kpis: KpiResult | undefined;
  const outputs: { path: string; sha256: string; bytes: number }[] = [];
  let manifestWritten = false;

  const phase = async (name: PhaseName, fn: () => "success" | "skipped" | void | Promise<"success" | "skipped" | void>) => {
    const t0 = performance.now();
    let status: "success" | "skipped" = "success";
    try {
      status = (await fn()) ?? "success";
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
    await phase("ingestion", () => {
      if (!fs.existsSync(ctx.input)) throw new Error(`input tape not found: ${ctx.input}`);
      inputText = fs.readFileSync(ctx.input, "utf8");
      try {
        tape = parseTapeCsv(inputText);
      } catch (e) {
        throw new Error(`malformed input tape ${ctx.input}: ${errMsg(e)}`);
      }
      summary.rows_in = tape.rows;
    });
    await phase("transformation", () => {
      processed = processedRows(tape!, f.nullsPercent, f.duplicatesPercent);
      summary.rows_out = processed.length;
    });
    await phase("calculation", () => {
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
    await phase("output", async () => {
      if (f.outputsOff) throw new Error(`output channel unavailable: cannot write ${p.outputs} (fault outputs:off)`);
      if (f.staleOutputs) return "skipped";
      const out = buildOutput({
        runId,
        version,
        generatedAt: new Date().toISOString(),
        header: PROCESSED_COLUMNS,
        rows: processed,
        inputRows: tape!.rows,
        kpis: kpiValues(kpis!),
        input: { path: ctx.input, sha256: sha256(inputText), rows: summary.rows_in },
      });
      outputs.push(...out.manifest.outputs.map((o) => ({ path: o.path, sha256: o.sha256, bytes: o.bytes })));
      // V2: the manifest first, so a reader that finds the run's KPI file finds its manifest too.
      if (version === "v2") {
        writeJsonAtomic(path.join(runDir, "manifest.json"), out.manifest);
        manifestWritten = true;
      }
      const channels: Record<string, ChannelResult> = {};
      const lf = f.channels?.local;
      if (lf === "down") {
        channels.local = "failed: local output channel unavailable (fault local:down)";
        log.warn("output", "local output channel write failed", { run_id: runId, channel: "local", error: "unavailable (fault local:down)" });
      } else if (lf === "stale") channels.local = "skipped";
      else {
        const d = forChannel(out, lf);
        writeFileAtomic(p.processed, d.rowsCsv);
        writeFileAtomic(p.kpis, d.kpiText);
        channels.local = "written";
      }
      if (ctx.channels) Object.assign(channels, await ctx.channels.publish(out, f.channels, log));
      summary.channels = channels;
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
    if (version === "v2" && !manifestWritten) {
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
