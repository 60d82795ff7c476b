/** BENCHMARKS.md from one `npm run bench` summary: machine, targets with PASS/MISS, details. */
import type { AuditWriteBench } from "./audit-writes.ts";
import type { CheckpointBench } from "./checkpoints.ts";
import type { IdleMemoryBench } from "./idle-memory.ts";
import type { LogScanBench } from "./log-scan.ts";
import type { Machine, Target } from "./util.ts";

interface Timing {
  median_ms: number;
  p95_ms: number;
  samples: number;
  batch: number;
}
interface EngineSize {
  rows: number;
  v2: Timing;
  v1: Timing;
  sqlite_aggregate: Timing;
  sqlite_insert_ms: number;
  v2_over_sqlite: number;
  v1_over_v2: number;
  v2_rows_per_s: number;
  v1_equals_v2: boolean;
  v2_matches_sqlite: boolean;
}
export interface EngineResult {
  engine: Record<string, EngineSize>;
  audit_events: { v2_1k_with_audit: Timing; events_per_s_in_memory: number };
  csv_parse: { bytes: number; rows: number; parse_tape_csv: Timing; mb_per_s: number; csv_parse_lib_bytes: number; csv_parse_lib_mb_per_s: number };
  peak_rss_mb: number;
  total_s: number;
}

export interface Summary {
  machine: Machine;
  total_s: number;
  /** Other work on the machine inflates wall times; the in-run references absorb part of it. */
  load_avg_at_end?: number[];
  engine?: EngineResult;
  audit_writes?: AuditWriteBench;
  idle_memory?: IdleMemoryBench;
  checkpoints?: CheckpointBench;
  log_scan?: LogScanBench;
  errors: Record<string, string>;
  targets: Record<string, Target & { figure: string; reference: string }>;
}

const verdict = (t: Target) => (t.pass ? "PASS" : "**MISS**");
const n = (x: number | null | undefined, unit = "") => (x == null || Number.isNaN(x) ? "n/a" : `${x.toLocaleString("en-US")}${unit}`);

export function renderMarkdown(s: Summary): string {
  const m = s.machine;
  const out: string[] = [];
  out.push("# Benchmarks");
  out.push("");
  out.push(
    "Written by `npm run bench` (scripts/bench.ts); every figure below comes from one run on the machine listed, " +
      "and every reference (SQLite, grep, a bare Node process, a no-op tsx start) was measured in that same run, so the ratios compare like with like. " +
      "Targets come from issues 2 and 3; none is asserted by a test (docs/DESIGN.md: speed and memory targets live in `npm run bench`).",
  );
  out.push("");
  out.push("## Machine");
  out.push("");
  out.push("| | |");
  out.push("|---|---|");
  out.push(`| CPU | ${m.cpu} |`);
  out.push(`| Cores | ${m.cores} |`);
  out.push(`| Memory | ${m.memory_gb} GB |`);
  out.push(`| Node | ${m.node} |`);
  out.push(`| OS | ${m.platform} |`);
  out.push(`| Date | ${m.date} |`);
  out.push(`| Load average at start (1/5/15 min) | ${m.load_avg_at_start.join(" / ")} |`);
  if (s.load_avg_at_end) out.push(`| Load average at end (1/5/15 min) | ${s.load_avg_at_end.join(" / ")} |`);
  out.push(`| Whole bench | ${s.total_s} s |`);
  out.push("");
  const peakLoad = Math.max(m.load_avg_at_start[0], s.load_avg_at_end?.[0] ?? 0);
  if (peakLoad > m.cores) {
    out.push(
      `The machine was shared with other work during this run (1-minute load up to ${peakLoad} on ${m.cores} cores): wall times, checkpoints above all, are inflated by waiting for a CPU. ` +
        "The references measured in the same run absorb part of that; a target missed by a wide margin is missed regardless.",
    );
    out.push("");
  }

  out.push("## Targets");
  out.push("");
  out.push("| Figure | Target | Measured | Reference in the same run | Result |");
  out.push("|---|---|---|---|---|");
  for (const t of Object.values(s.targets)) {
    out.push(`| ${t.figure} | ${t.op} ${t.target} ${t.unit} | ${t.actual} ${t.unit} | ${t.reference} | ${verdict(t)} |`);
  }
  out.push("");
  const misses = Object.values(s.targets).filter((t) => !t.pass);
  if (misses.length || Object.keys(s.errors).length) {
    out.push("### Misses and failures");
    out.push("");
    for (const t of misses) out.push(`- **${t.figure}**: ${t.actual} ${t.unit} against ${t.op} ${t.target} ${t.unit}.${t.note ? ` ${t.note}` : ""}`);
    for (const [part, e] of Object.entries(s.errors)) out.push(`- **${part}** did not run to completion: ${e}`);
    out.push("");
  }

  if (s.engine) {
    const e = s.engine;
    out.push("## KPI engine (issue 2)");
    out.push("");
    out.push("Engine only: tapes generated and parsed before timing (bench/engine.ts). Median and p95 per call; small inputs timed in batches.");
    out.push("");
    out.push("| Rows | V2 median (p95) | V1 median (p95) | SQLite aggregate median (p95) | V2 / SQLite | V1 / V2 | V2 rows/s | V1 = V2 | V2 = SQLite |");
    out.push("|---|---|---|---|---|---|---|---|---|");
    for (const [label, r] of Object.entries(e.engine)) {
      out.push(
        `| ${label} | ${r.v2.median_ms} ms (${r.v2.p95_ms}) | ${r.v1.median_ms} ms (${r.v1.p95_ms}) | ${r.sqlite_aggregate.median_ms} ms (${r.sqlite_aggregate.p95_ms}) | ${r.v2_over_sqlite} | ${r.v1_over_v2} | ${n(r.v2_rows_per_s)} | ${r.v1_equals_v2 ? "yes" : "NO"} | ${r.v2_matches_sqlite ? "yes" : "NO"} |`,
      );
    }
    out.push("");
    out.push(`SQLite insert time (not in the aggregate figure): ${Object.entries(e.engine).map(([l, r]) => `${l} ${r.sqlite_insert_ms} ms`).join(", ")}.`);
    out.push("");
    out.push(
      `CSV parse: \`parseTapeCsv\` ${e.csv_parse.mb_per_s} MB/s on a ${(e.csv_parse.bytes / 1048576).toFixed(1)} MB tape (${n(e.csv_parse.rows)} rows, median ${e.csv_parse.parse_tape_csv.median_ms} ms); ` +
        `reference csv-parse/sync ${e.csv_parse.csv_parse_lib_mb_per_s} MB/s on a ${(e.csv_parse.csv_parse_lib_bytes / 1048576).toFixed(1)} MB slice ` +
        `(${(e.csv_parse.mb_per_s / e.csv_parse.csv_parse_lib_mb_per_s).toFixed(1)}x).`,
    );
    out.push("");
    out.push(`V2 on 1k rows with the in-memory audit sink: ${e.audit_events.v2_1k_with_audit.median_ms} ms median, ${n(e.audit_events.events_per_s_in_memory)} audit events/s generated (no store). Engine bench peak RSS ${e.peak_rss_mb} MB, ${e.total_s} s.`);
    out.push("");
  }

  if (s.audit_writes) {
    const a = s.audit_writes;
    out.push("## Audit writes (issue 2, measured separately from the engine)");
    out.push("");
    out.push(
      `The 6 real events of one V2 calculation written to the pipeline's SQLite audit store (pipeline/audit/store.ts, journal ${a.journal_mode}, synchronous=NORMAL), ` +
        `one transaction per batch of 6 as a calculation does: **${n(a.events_per_s_batches_of_6)} events/s** ` +
        `(${n(a.batches)} batches, ${a.batch_median_ms} ms median per batch, p95 ${a.batch_p95_ms} ms). ` +
        `Reference: the same store writing 6,000 events in one transaction, ${n(a.reference_events_per_s_one_transaction)} events/s; batches of 6 reach ${a.ratio_vs_one_transaction}x of that. No target is set for this figure.`,
    );
    out.push("");
  }

  if (s.idle_memory) {
    const i = s.idle_memory;
    out.push("## Idle service memory (issue 2)");
    out.push("");
    out.push(
      `Reference pipeline started on V2 with its default 30 s interval (start took ${i.start_ms} ms, returning after the first run); RSS read with pidusage 5 s later, 3 samples ` +
        `${i.service_rss_samples_mb.join(", ")} MB, max **${i.service_rss_mb} MB**. Reference: an idle bare \`node -e\` process, ${i.bare_node_rss_mb} MB (service = ${i.ratio_vs_bare_node}x).`,
    );
    out.push("");
  }

  if (s.checkpoints) {
    const c = s.checkpoints;
    out.push("## Checkpoint wall time and monitor memory (issue 3)");
    out.push("");
    out.push(
      `Each checkpoint is a fresh \`node bin/cutover-monitor.mjs checkpoint --phase=X --json\` process (what \`npm run checkpoint\` runs) against a reference pipeline in a temp dir on a free port (interval ${c.pipeline.interval_s} s), ` +
        `with PIPELINE_DIR, PIPELINE_PORT and CUTOVER_REPORTS_DIR (temp). The pipeline starts on ${c.pipeline.version_at_start.toUpperCase()} so that hour0 performs and records the real cutover ` +
        "(against an already-V2 pipeline hour0 skips the cutover and its specs fail for want of a cutover log); hour1, stability and extended then run against V2.",
    );
    out.push("");
    out.push("| Phase | Exit | Verdict | Wall | Record duration_ms | of it: probes | of it: vitest | Startup (to output − duration_ms) | Output → exit | Spec bodies (Allure) | Tree peak RSS |");
    out.push("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of c.runs) {
      out.push(
        `| ${r.phase} | ${r.exit_code} | ${r.verdict} | ${n(r.wall_ms, " ms")} | ${n(r.record_duration_ms, " ms")} | ${n(r.collect_ms, " ms")} | ${n(r.specs_ms, " ms")} | ${n(r.startup_ms, " ms")} | ${n(r.exit_ms, " ms")} | ${r.spec_bodies_ms == null ? "n/a" : `${r.spec_bodies_ms} ms (${r.specs} specs)`} | ${r.tree_peak_rss_mb == null ? "" : `${r.tree_peak_rss_mb} MB (${r.tree_max_processes} processes)`} |`,
      );
    }
    out.push("");
    const st = c.stability;
    out.push(
      `Stability, median of ${c.runs.filter((r) => r.phase === "stability").length}: wall **${st.wall_median_ms} ms** = startup ${st.startup_median_ms} ms + record duration ${st.record_duration_median_ms} ms + output-to-exit ${st.exit_median_ms} ms ` +
        `(spec bodies ${st.spec_bodies_median_ms} ms of it). Reference: \`tsx --eval 0\` ${c.reference.tsx_noop_wall_median_ms} ms (stability = ${c.reference.ratio_stability_wall_vs_tsx_noop}x).`,
    );
    out.push("");
    if (c.parts) {
      const p = c.parts;
      out.push(`Measured separately in a fresh process (bench/checkpoint-parts.ts, same pipeline, stability probes ${p.probe_runs} times, medians):`);
      out.push("");
      out.push("| Part | ms |");
      out.push("|---|---|");
      out.push(`| tsx + node boot to the first module line | ${p.module_start_ms} |`);
      out.push(`| import the config loader (zod schema) | ${p.config_import_ms} |`);
      out.push(`| load cutover.config.ts | ${p.config_load_ms} |`);
      out.push(`| import the checkpoint runner (probes, judge, vitest/node) | ${p.runner_import_ms} |`);
      out.push(`| (resident memory after these imports: ${p.rss_after_imports_mb} MB; after the probes: ${p.rss_after_probes_mb} MB) | |`);
      out.push(`| stability probes, all (collect) | ${p.probes_total_median_ms} |`);
      for (const [name, ms] of Object.entries(p.probes_median_ms)) out.push(`| — probe ${name} | ${ms} |`);
      out.push("");
      out.push(
        `The record's own timings (metrics.timings_ms, columns "probes" and "vitest" above) split its duration: the probes (the resources probe's CPU window is 1 s by default) ` +
          "and vitest (create, collect the spec files, run them in one worker thread, close); the rest is reading and writing the history and state, judging and alerting.",
      );
      out.push("");
    } else if (c.parts_error) {
      out.push(`Parts not measured: ${c.parts_error}`);
      out.push("");
    }
    out.push(
      `Peak resident memory of the monitor's whole process tree (tsx launcher, the node process, vitest workers; VmRSS summed over the tree every 100 ms during each stability checkpoint): **${st.tree_peak_rss_mb} MB** at most, up to ${st.tree_max_processes} processes. Shared pages are counted once per process, so this is an upper bound.`,
    );
    if (st.tree_at_peak.length) {
      out.push("");
      out.push("The tree at its highest sample:");
      out.push("");
      out.push("| pid | RSS | process |");
      out.push("|---|---|---|");
      for (const p of st.tree_at_peak) out.push(`| ${p.pid} | ${p.mb} MB | \`${p.command}\` |`);
    }
    out.push("");
    out.push("Not available:");
    for (const x of c.missing) out.push(`- ${x}`);
    const bad = c.runs.filter((r) => r.not_passed.length);
    if (bad.length) {
      out.push("");
      out.push("Checks that did not PASS during the bench (the bench times checkpoints; it does not judge the pipeline):");
      for (const r of bad) for (const x of r.not_passed) out.push(`- ${r.phase}: ${x}`);
    }
    out.push("");
  }

  if (s.log_scan) {
    const l = s.log_scan;
    out.push("## Log scan (issue 3)");
    out.push("");
    out.push(
      `A generated log in the pipeline's line format (\`<ISO> [LEVEL] component: message key=value\`; ~92 % INFO of which ~2 % of all lines mention ERROR in the message, 3 % WARN, 2 % DEBUG, 0.8 % ERROR, 0.02 % CRITICAL): ` +
        `${n(l.file_bytes)} bytes, ${n(l.file_lines)} lines (${l.size_note}; 128 MB of distinct lines written repeatedly up to the size; generated in ${l.generate_s} s, deleted afterwards). Both read it from the page cache; 3 interleaved rounds each, best of each.`,
    );
    out.push("");
    out.push("| | Best | Runs | Throughput | ERROR+CRITICAL lines |");
    out.push("|---|---|---|---|---|");
    out.push(`| \`scanLogFile\` (configured pattern \`^(?<ts>\\S+) \\[(?<level>[A-Z]+)\\] \`) | ${l.scan.best_ms} ms | ${l.scan.runs_ms.join(", ")} ms | ${l.scan.mb_per_s} MB/s | ${n(l.scan.errors_plus_critical)} |`);
    out.push(`| \`grep -cE '^[^ ]+ \\[(ERROR\\|CRITICAL)\\] '\` (${l.grep.locale}) | ${l.grep.best_ms} ms | ${l.grep.runs_ms.join(", ")} ms | ${l.grep.mb_per_s} MB/s | ${n(l.grep.count)} |`);
    out.push("");
    out.push(
      `scanLogFile reaches **${l.ratio_scan_vs_grep_throughput}x** grep's throughput (and also counts WARN, keeps samples and the last timestamp). ` +
        `Counts ${l.counts_agree.ok ? "agree" : "DISAGREE"}: generated ${n(l.counts_agree.generated)}, grep ${n(l.counts_agree.grep)}, scan ${n(l.counts_agree.scan)}; unmatched lines ${n(l.scan.unmatched)}.`,
    );
    out.push("");
    out.push(
      `Incremental: ${(l.incremental.appended_bytes / 1048576).toFixed(2)} MB of lines appended, then scanned from the previous end offset, 5 times: ${l.incremental.runs_ms.join(", ")} ms; median **${l.incremental.median_ms} ms**, max ${l.incremental.max_ms} ms (${n(l.incremental.lines_per_scan)} lines per scan).`,
    );
    out.push("");
  }
  return out.join("\n");
}
