/**
 * `npm run bench`: every speed and memory target of issues 2 and 3, measured in one run on this
 * machine, each against a reference measured in the same run; prints a JSON summary and writes
 * BENCHMARKS.md. Parts (each bounded; a part that fails is reported, the others still run):
 *   engine      KPI engine V2/V1 vs SQLite aggregate, CSV parse (bench/engine.ts)
 *   audit       audit store writes in batches of 6 (bench/audit-writes.ts)
 *   idle        idle service RSS (bench/idle-memory.ts)
 *   checkpoint  checkpoint wall time per phase + monitor process-tree peak RSS (bench/checkpoints.ts)
 *   logscan     log scan vs grep on ~1 GB + incremental 1 MB (bench/log-scan.ts)
 *   report      report site and sign-off of 24 hours: build, size, table paint in Chromium (benchReport below)
 *   dataquality data-quality checks + three-channel reconciliation on 1M rows per channel vs the same
 *               checks as SQL inside PostgreSQL (bench/data-quality.ts)
 *   watch       the 24-hour watch: compressed 24 h, its own CPU/RSS in real time, observer overhead (bench/watch.ts)
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
import { benchWatch, watchMarkdown, watchTargets, writeWatchSection, type WatchBench } from "../bench/watch.ts";
import { benchDataQuality, dataQualityMarkdown, dataQualityTargets, writeDataQualitySection, type DataQualityBench } from "../bench/data-quality.ts";
import { renderMarkdown, type EngineResult, type Summary } from "../bench/report.ts";
import { machine, median, ROOT, round, sig4, target } from "../bench/util.ts";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { monitorConfigSchema } from "../src/config/resolve.ts";
import { generateAllure } from "../src/report/allure.ts";
import { buildReport } from "../src/report/build.ts";
import { findChromium, launchChromium } from "../src/report/chromium.ts";
import { readSources } from "../src/report/sources.ts";
import { writeSynthetic } from "../test/report/fixtures/synthetic.ts";

/** --help: the parts, the options and the exit codes; nothing is measured or written. */
const HELP = `usage: npm run bench [-- --only=PART,... [--write]] [--log-mb=N]

Measures every speed and memory target on this machine, each against a reference measured in the
same run; prints a JSON summary (stdout), progress on stderr, and rewrites BENCHMARKS.md.

  --only=PART,...   a subset of: engine, audit, idle, checkpoint, logscan, report, dataquality, watch (BENCHMARKS.md is then
                    left alone, except the watch's and the data quality's own sections, written in place)
  --watch-minutes=N the watch's real-time measurement, minutes (default 5; about 2 x 0.3 N more without the watch)
  --watch-speed=N   the watch's compressed 24 hours, --speed (default 1440, the demo's)
  --dq-rows=N       data quality: rows per channel (default 1000000); --dq-runs=N fresh processes (default 5);
                    --dq-loader=tsx the monitor's sources through tsx instead of its esbuild build
  --write           with --only: write BENCHMARKS.md anyway
  --log-mb=N        size of the log for the log-scan part, in MB (default 1024)
  --help            this text

exit codes: 0 every part ran (a missed target is a figure, not a failure); 1 a part could not run.
`;
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(HELP);
  process.exit(0);
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined);
const PARTS = ["engine", "audit", "idle", "checkpoint", "logscan", "report", "dataquality", "watch"] as const;
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

  // Report site and sign-off of a full 24 hours (issue 10 §6); Allure's own generation apart.
  let report: ReportBench | undefined;
  if (want("report")) {
    report = await part(summary, "report", () => benchReport(log));
    if (report) {
      T.report_build = {
        figure: "Report site + sign-off of 24 h (20 checkpoints, a sample every 15 s), without Allure, median of 3",
        reference: `of which reading and chain-checking the history ${report.read_median_ms} ms, signoff.pdf by Chromium ${report.pdf_median_ms} ms (its launch alone ${report.chromium_launch_ms} ms); Allure apart: ${report.allure.launches} launches in ${report.allure.total_s} s`,
        ...target(round(report.build_median_ms / 1000, 2), "<=", 5, "s"),
      };
      T.report_size = {
        figure: "Report site size (reports/site/)",
        reference: `${report.site_files} files; uPlot ${report.uplot_kb} KB, chart data ${report.data_kb} KB, ${report.pages} checkpoint pages ${report.pages_kb} KB`,
        ...target(round(report.site_bytes / 1048576, 2), "<=", 2, "MB"),
      };
      T.report_table_paint = {
        figure: "Time until the hourly table is drawn in Chromium (file://, median of 5)",
        reference: `a one-line page ${report.blank_paint_median_ms} ms in the same browser (table ${sig4(report.table_paint_median_ms / Math.max(1, report.blank_paint_median_ms))}x); charts drawn at ${report.charts_drawn_median_ms} ms`,
        ...target(round(report.table_paint_median_ms / 1000, 3), "<=", 1, "s"),
      };
    }
  }

  // Output channels: data quality + reconciliation on 1M rows per channel (issue 11 §5).
  let dataQuality: DataQualityBench | undefined;
  if (want("dataquality")) {
    dataQuality = await part(summary, "dataquality", () => benchDataQuality(log, { rows: Number(arg("dq-rows") ?? 1_000_000), runs: Number(arg("dq-runs") ?? 5), loader: arg("dq-loader") === "tsx" ? "tsx" : "build" }));
    if (dataQuality) Object.assign(T, dataQualityTargets(dataQuality));
  }

  // The 24-hour watch (issue 9 §6): about 4 min compressed + 5 min real time + 3 min without it.
  let watch: WatchBench | undefined;
  if (want("watch")) {
    watch = await part(summary, "watch", () => benchWatch(log, { minutes: Number(arg("watch-minutes") ?? 5), speed: Number(arg("watch-speed") ?? 1440) }));
    if (watch) Object.assign(T, watchTargets(watch));
  }

  summary.total_s = round((performance.now() - started) / 1000);
  summary.load_avg_at_end = os.loadavg().map((x) => round(x, 2));
  process.stdout.write(JSON.stringify(report ? { ...summary, report } : summary, null, 2) + "\n");
  if (!only || process.argv.includes("--write")) {
    const file = path.join(ROOT, "BENCHMARKS.md");
    // Sections measured by hand (install time, first run) are kept as they are.
    const kept = handMeasuredSections(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
    fs.writeFileSync(file, renderMarkdown(summary) + (kept ? `\n${kept}` : "") + (report ? `\n${reportMarkdown(report)}` : "") + (dataQuality ? `\n${dataQualityMarkdown(dataQuality)}` : "") + (watch ? `\n${watchMarkdown(watch)}` : "") + "\n");
    log(`wrote ${path.relative(process.cwd(), file) || file}`);
  } else if (watch) {
    writeWatchSection(path.join(ROOT, "BENCHMARKS.md"), watch);
    log("wrote the watch's section of BENCHMARKS.md");
  }
  // --only=dataquality: its own section, in place (the target's million rows only)
  if (only && !process.argv.includes("--write") && dataQuality?.rows === 1_000_000) {
    writeDataQualitySection(path.join(ROOT, "BENCHMARKS.md"), dataQuality);
    log("wrote the data-quality section of BENCHMARKS.md");
  }
  const missed = Object.entries(T).filter(([, t]) => !t.pass).map(([k]) => k);
  log(`${Object.keys(T).length - missed.length}/${Object.keys(T).length} targets met${missed.length ? `; MISS: ${missed.join(", ")}` : ""}; ${summary.total_s} s`);
  // A MISS is a figure, not a failure of the bench; a part that could not run is.
  return Object.keys(summary.errors).length ? 1 : 0;
}

// ------------------------------------------------------------------ report (issue 10 §6)

interface ReportBench {
  checkpoints: number;
  samples: number;
  build_ms: number[];
  build_median_ms: number;
  read_median_ms: number;
  pdf_median_ms: number;
  chromium_launch_ms: number;
  site_bytes: number;
  site_files: number;
  uplot_kb: number;
  data_kb: number;
  pages: number;
  pages_kb: number;
  table_paint_ms: number[];
  table_paint_median_ms: number;
  blank_paint_median_ms: number;
  charts_drawn_median_ms: number;
  allure: { launches: number; total_s: number; per_launch_s: number; report_mb: number };
}

/** Bytes and files under a folder. */
function du(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const d = du(p);
      bytes += d.bytes;
      files += d.files;
    } else {
      bytes += statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

/**
 * A full 24 hours (20 checkpoints and the pre-cutover run, the watch's sample every 15 s), written
 * as the monitor writes it; then `npm run report`'s build without Allure (3 times), the site's
 * size, the time Chromium takes to draw the hourly table from file:// (5 times, against a one-line
 * page), and Allure's own generation of the 21 launches, once, apart.
 */
async function benchReport(progress: (t: string) => void): Promise<ReportBench> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-report-"));
  try {
    const syn = writeSynthetic(dir, { samples: true, missed: [], late: {} });
    const config = monitorConfigSchema.parse({ reportsDir: dir });
    const loaded = { config, source: "bench" };
    const build: number[] = [];
    const read: number[] = [];
    const pdf: number[] = [];
    let last: Awaited<ReturnType<typeof buildReport>> | undefined;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      last = await buildReport(loaded, { allure: false, pdf: true });
      build.push(performance.now() - t0);
      const t1 = performance.now();
      await readSources(loaded);
      read.push(performance.now() - t1);
      const t2 = performance.now();
      await buildReport(loaded, { allure: false, pdf: false });
      pdf.push(Math.max(0, build[i]! - (performance.now() - t2)));
      progress(`report: build ${i + 1}/3 ${Math.round(build[i]!)} ms`);
    }
    const site = du(path.join(dir, "site"));
    const pages = du(path.join(dir, "site", "checkpoints"));
    const exe = findChromium();
    if (!exe) throw new Error("Chromium not found (CHROMIUM_PATH or /usr/bin/chromium): the paint time needs it");
    const t0 = performance.now();
    const browser = await launchChromium(exe);
    const launchMs = performance.now() - t0;
    const blankFile = path.join(dir, "blank.html");
    fs.writeFileSync(blankFile, '<!DOCTYPE html><meta charset="utf-8"><p elementtiming="hourly-table">one line</p>');
    const paint = async (file: string, withCharts = true) => {
      // Tall enough for the whole table: element timing reports only what is painted in view.
      const page = await browser.newPage({ viewport: { width: 1400, height: 3200 } });
      await page.goto(`file://${file}`, { waitUntil: "load" });
      // The element timing of the table's last row (its render time), from the navigation start.
      const ms = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            setTimeout(() => resolve(Number.NaN), 15_000);
            new PerformanceObserver((list) => {
              const e = list.getEntries().find((x) => (x as unknown as { identifier: string }).identifier === "hourly-table") as unknown as { renderTime: number; loadTime: number } | undefined;
              if (e) resolve(e.renderTime || e.loadTime);
            }).observe({ type: "element", buffered: true });
          }),
      );
      const charts = !withCharts
        ? NaN
        : await page
        .waitForFunction(() => document.querySelectorAll('[data-drawn="1"]').length >= 6, undefined, { timeout: 30_000 })
        .then(() => page.evaluate(() => performance.now()))
        .catch(() => NaN);
      await page.close();
      return { ms, charts };
    };
    const table: number[] = [];
    const blank: number[] = [];
    const charts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await paint(path.join(dir, "site", "index.html"));
      if (!Number.isFinite(t.ms)) throw new Error("the hourly table's element timing never came (elementtiming on its last row)");
      table.push(t.ms);
      if (Number.isFinite(t.charts)) charts.push(t.charts);
      blank.push((await paint(blankFile, false)).ms);
    }
    await browser.close();
    progress(`report: table drawn in ${table.map((x) => Math.round(x)).join(", ")} ms`);
    const ta = performance.now();
    const allure = await generateAllure(last!.sources.records, config, last!.sources.paths, (l) => progress(`report: ${l}`));
    const allureS = (performance.now() - ta) / 1000;
    return {
      checkpoints: syn.records.length,
      samples: last!.sources.samples.length,
      build_ms: build.map((x) => Math.round(x)),
      build_median_ms: Math.round(median(build)),
      read_median_ms: Math.round(median(read)),
      pdf_median_ms: Math.round(median(pdf)),
      chromium_launch_ms: Math.round(launchMs),
      site_bytes: site.bytes,
      site_files: site.files,
      uplot_kb: round(statSync(path.join(dir, "site", "assets", "uPlot.iife.min.js")).size / 1024),
      data_kb: round(statSync(path.join(dir, "site", "assets", "report-data.js")).size / 1024),
      pages: pages.files,
      pages_kb: round(pages.bytes / 1024),
      table_paint_ms: table.map((x) => round(x)),
      table_paint_median_ms: round(median(table)),
      blank_paint_median_ms: round(median(blank)),
      charts_drawn_median_ms: round(median(charts)),
      allure: { launches: allure.generated.length, total_s: round(allureS), per_launch_s: round(allureS / Math.max(1, allure.generated.length), 2), report_mb: round(du(path.join(dir, "allure-report")).bytes / 1048576) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** BENCHMARKS.md's "Report" section. */
function reportMarkdown(r: ReportBench): string {
  const ok = (v: number, limit: number) => (v <= limit ? "PASS" : "**MISS**");
  return [
    "## Report (issue 10)",
    "",
    `A full 24 hours written as the monitor writes it (${r.checkpoints} checkpoint records: the pre-cutover run and the 20 scheduled; ${r.samples} watch samples, one every 15 s; chained history, events and samples), then \`npm run report\`'s build without Allure (scripts/bench.ts \`benchReport\`).`,
    "",
    "| Figure | Measured | Reference in the same run | Target | Result |",
    "|---|---|---|---|---|",
    `| Site + sign-off build without Allure (md, html, json, pdf, SHA256SUMS), 3 runs | ${r.build_ms.join(", ")} ms, median **${round(r.build_median_ms / 1000, 2)} s** | reading and chain-checking the history: median ${r.read_median_ms} ms; signoff.pdf (Chromium, started at the beginning): about ${round(r.pdf_median_ms / 1000, 1)} s of it; a bare Chromium launch ${r.chromium_launch_ms} ms | <= 5 s | ${ok(r.build_median_ms, 5000)} |`,
    `| Site size (reports/site/) | **${round(r.site_bytes / 1048576, 2)} MB** in ${r.site_files} files | uPlot ${r.uplot_kb} KB, chart data ${r.data_kb} KB, ${r.pages} checkpoint pages ${r.pages_kb} KB | <= 2 MB | ${ok(r.site_bytes, 2 * 1048576)} |`,
    `| Hourly table drawn in Chromium from file:// (element timing of its last row, 5 runs) | ${r.table_paint_ms.join(", ")} ms, median **${r.table_paint_median_ms} ms** | a one-line page in the same browser: median ${r.blank_paint_median_ms} ms (table ${sig4(r.table_paint_median_ms / Math.max(1, r.blank_paint_median_ms))}x); all six charts drawn: median ${r.charts_drawn_median_ms} ms | <= 1 s | ${ok(r.table_paint_median_ms, 1000)} |`,
    `| Allure, apart: ${r.allure.launches} launches (one per checkpoint, history kept) | ${r.allure.total_s} s, ${r.allure.per_launch_s} s per launch; ${r.allure.report_mb} MB (one shared app script) | | none | - |`,
    "",
  ].join("\n");
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);

/** The "## Install and first run" section of BENCHMARKS.md (measured by hand, not by this script), whole. */
function handMeasuredSections(text: string): string {
  const start = text.indexOf("\n## Install and first run");
  if (start < 0) return "";
  const next = text.indexOf("\n## ", start + 1);
  return text.slice(start + 1, next < 0 ? undefined : next).trimEnd() + "\n";
}
