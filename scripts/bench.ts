/**
 * `npm run bench`: every speed and memory target of issues 2 and 3, measured in one run on this
 * machine, each against a reference measured in the same run; prints a JSON summary and writes
 * BENCHMARKS.md. Parts (each bounded; a part that fails is reported, the others still run):
 *   engine      KPI engine V2/V1 vs SQLite aggregate, CSV parse (bench/engine.ts)
 *   audit       audit store writes in batches of 6 (bench/audit-writes.ts)
 *   idle        idle service RSS (bench/idle-memory.ts)
 *   checkpoint  checkpoint wall time per phase + monitor process-tree peak RSS (bench/checkpoints.ts)
 *   logscan     log scan vs grep on ~1 GB + incremental 1 MB (bench/log-scan.ts)
 * Options: --only=engine,logscan (a subset; BENCHMARKS.md is then not written unless --write),
 *          --log-mb=N (log size, default 1024).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchAuditWrites } from "../bench/audit-writes.ts";
import { benchCheckpoints } from "../bench/checkpoints.ts";
import { benchEngine, TARGETS } from "../bench/engine.ts";
import { benchIdleMemory } from "../bench/idle-memory.ts";
import { benchLogScan } from "../bench/log-scan.ts";
import { renderMarkdown, type EngineResult, type Summary } from "../bench/report.ts";
import { machine, ROOT, round, sig4, target } from "../bench/util.ts";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const PARTS = ["engine", "audit", "idle", "checkpoint", "logscan"] as const;
const only = arg("only")?.split(",");
const want = (p: (typeof PARTS)[number]) => !only || only.includes(p);
const logBytes = Math.round(Number(arg("log-mb") ?? 1024) * 1048576);

function log(text: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

async function part<T>(summary: Summary, name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
  const t0 = performance.now();
  log(`${name} ...`);
  try {
    const r = await fn();
    log(`${name} done in ${round((performance.now() - t0) / 1000)} s`);
    return r;
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    summary.errors[name] = msg.split("\n")[0];
    log(`${name} FAILED: ${msg}`);
    return undefined;
  }
}

async function main() {
  const started = performance.now();
  const summary: Summary = { machine: machine(), total_s: 0, errors: {}, targets: {} };
  const T = summary.targets;

  if (want("engine")) {
    const e = (await part(summary, "engine", () => benchEngine())) as EngineResult | undefined;
    if (e) {
      summary.engine = e;
      const k1 = e.engine["1k"];
      const m1 = e.engine["1M"];
      T.v2_1k = {
        figure: "KPI engine V2, 1k rows, median per call",
        reference: `SQLite aggregate ${k1.sqlite_aggregate.median_ms} ms (V2/SQLite ${k1.v2_over_sqlite}); V1 ${k1.v1.median_ms} ms; checklist baseline 1.09 ms`,
        ...target(k1.v2.median_ms, "<=", TARGETS.v2_1k_median_ms, "ms"),
      };
      T.v2_1m = {
        figure: "KPI engine V2, 1M parsed rows, median",
        reference: `SQLite aggregate ${m1.sqlite_aggregate.median_ms} ms; V1 ${m1.v1.median_ms} ms`,
        ...target(m1.v2.median_ms, "<=", TARGETS.v2_1m_median_ms, "ms"),
      };
      T.v2_1m_vs_sqlite = {
        figure: "KPI engine V2 / SQLite aggregate, 1M rows",
        reference: `SQLite aggregate over the same rows, ${m1.sqlite_aggregate.median_ms} ms`,
        ...target(m1.v2_over_sqlite, "<", 1, "x", "V2 must be faster than SQLite's aggregate query"),
      };
    }
  }

  if (want("audit")) {
    const a = await part(summary, "audit", () => benchAuditWrites());
    if (a) summary.audit_writes = a;
  }

  if (want("idle")) {
    const i = await part(summary, "idle", () => benchIdleMemory());
    if (i) {
      summary.idle_memory = i;
      T.idle_rss = { figure: "Idle reference service (V2) resident memory", reference: `bare idle node ${i.bare_node_rss_mb} MB (service ${i.ratio_vs_bare_node}x)`, ...i.target };
    }
  }

  if (want("checkpoint")) {
    const c = await part(summary, "checkpoint", () => benchCheckpoints());
    if (c) {
      summary.checkpoints = c;
      const note =
        c.stability.startup_median_ms + c.stability.exit_median_ms > 1000
          ? `Of the median wall ${c.stability.wall_median_ms} ms, ${c.stability.startup_median_ms} ms pass before the record clock starts (tsx, imports incl. vitest/node, config) and the record itself takes ${c.stability.record_duration_median_ms} ms (probes with the 1 s CPU window, then a vitest run of the phase's specs).`
          : undefined;
      T.stability_wall = {
        figure: "Stability checkpoint wall time, median of 5 (fresh process, 1 s CPU window)",
        reference: `\`tsx --eval 0\` ${c.reference.tsx_noop_wall_median_ms} ms (checkpoint ${c.reference.ratio_stability_wall_vs_tsx_noop}x); record duration_ms median ${c.stability.record_duration_median_ms} ms`,
        ...c.targets.stability_wall_median_s,
        ...(note ? { note } : {}),
      };
      T.tree_rss = {
        figure: "Monitor process tree peak RSS during stability checkpoints",
        reference: summary.idle_memory ? `idle bare node ${summary.idle_memory.bare_node_rss_mb} MB per process; up to ${c.stability.tree_max_processes} processes` : `up to ${c.stability.tree_max_processes} processes`,
        ...c.targets.tree_peak_rss_mb,
      };
      const top = [...c.stability.tree_at_peak].sort((a, b) => b.mb - a.mb)[0];
      if (!T.tree_rss.pass && top)
        T.tree_rss.note = `At the peak: ${c.stability.tree_at_peak.map((p) => `${p.mb} MB \`${p.command}\``).join(" + ")}; the largest is ${top.mb} MB.`;
    }
  }

  if (want("logscan")) {
    const l = await part(summary, "logscan", () => benchLogScan(logBytes));
    if (l) {
      summary.log_scan = l;
      const size = `${round(l.file_bytes / 1048576)} MB`;
      T.log_scan = {
        figure: `Log scan throughput vs grep -cE (${size})`,
        reference: `grep ${l.grep.best_ms} ms (${l.grep.mb_per_s} MB/s) vs scan ${l.scan.best_ms} ms (${l.scan.mb_per_s} MB/s)`,
        ...l.targets.throughput_vs_grep,
      };
      T.log_incremental = {
        figure: "Incremental log scan of 1 MB appended",
        reference: `full scan rate would take ${sig4((l.scan.best_ms * l.incremental.appended_bytes) / l.file_bytes)} ms for 1 MB`,
        ...l.targets.incremental_1mb_ms,
      };
    }
  }

  summary.total_s = round((performance.now() - started) / 1000);
  summary.load_avg_at_end = os.loadavg().map((x) => round(x, 2));
  process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  if (!only || process.argv.includes("--write")) {
    const file = path.join(ROOT, "BENCHMARKS.md");
    fs.writeFileSync(file, renderMarkdown(summary) + "\n");
    log(`wrote ${path.relative(process.cwd(), file) || file}`);
  }
  const missed = Object.entries(T).filter(([, t]) => !t.pass).map(([k]) => k);
  log(`${Object.keys(T).length - missed.length}/${Object.keys(T).length} targets met${missed.length ? `; MISS: ${missed.join(", ")}` : ""}; ${summary.total_s} s`);
  // A MISS is a figure, not a failure of the bench; a part that could not run is.
  return Object.keys(summary.errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
