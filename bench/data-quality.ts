/**
 * Output channels (issue 11 §5), `npm run bench -- --only=dataquality`: data-quality checks plus
 * three-channel reconciliation on 1M output rows per channel, against the same checks as SQL
 * inside PostgreSQL, measured in the same run.
 *
 * One run of ROWS rows (`--dq-rows=N`, default 1,000,000) is written by the pipeline's own writers
 * to the local files, Azure Blob Storage (Azurite) and Supabase (a PostgreSQL server; PGlite where
 * none is installed, said so). Then the monitor's dataQuality probe and its 7 output checks, each
 * time in a fresh process (`--dq-runs=N`, default 5): the monitor as `npm run checkpoint` runs it,
 * built by esbuild with the same options as scripts/build.mjs (its scan worker an entry of its
 * own) and run by plain node, no TypeScript loader. Per run: wall time from the probe's call to
 * the last verdict (the clock starts after the imports), the process's CPU time (all threads), its
 * peak RSS (VmHWM), and the CPU time PostgreSQL and Azurite spent meanwhile (/proc, Linux).
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { median, ROOT, round, sig4, target, type Target } from "./util.ts";

const run = promisify(execFile);
const HEADING = "## Data quality (issue 11)";

export interface DataQualityBench {
  rows: number;
  /** How the monitor ran: "build" (esbuild, plain node: as npm run checkpoint) or "tsx" (its sources). */
  loader: "build" | "tsx";
  bytes_per_channel_mb: number;
  input_mb: number;
  postgres: string;
  setup_s: number;
  /** The dataQuality probe + the 7 output checks, each run in a fresh process. */
  monitor: {
    wall_ms: number[];
    median_ms: number;
    cpu_ms: number[];
    peak_rss_mb: number[];
    max_peak_rss_mb: number;
    /** Where the rows were checked: "worker threads", or why not. */
    threads: string;
  };
  /** CPU time of the PostgreSQL server and of Azurite during each run (null: not measurable here). */
  servers_cpu_ms: { postgres: (number | null)[]; azurite: (number | null)[] };
  sql_reference: { ms: number[]; median_ms: number };
  bare_node_rss_mb: number;
  load_avg_start: number[];
  load_avg_end: number[];
  verdicts: Record<string, string>;
}

/**
 * Peak RSS of this process: VmHWM (its own address space's high-water mark, reset at exec); not
 * getrusage's maxRSS, which a forked child inherits from its parent.
 */
const PEAK_RSS = `import { readFileSync as readStatus } from "node:fs";
function peakRssMb() {
  try {
    const m = /^VmHWM:\\s+(\\d+) kB/m.exec(readStatus("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}
`;

/** What one measured run does (a fresh plain-node process on the build): probe, judge, time, peak RSS. */
function childScript(lib: string): string {
  return `${PEAK_RSS}
const { monitorConfigSchema, probeDataQuality, channelDataQuality, outputChannel, outputReconciliation, scanThreadProblem } = await import(${JSON.stringify(lib)});
const config = monitorConfigSchema.parse(JSON.parse(process.env.DQ_CONFIG));
const t0 = performance.now();
const c0 = process.cpuUsage();
const r = await probeDataQuality(config.target, { now: () => Date.now() });
if (!r.ok) throw new Error(r.message);
const c = { config, measurements: { dataQuality: r } };
const verdicts = {};
for (const ch of ["local", "azure", "supabase"]) {
  verdicts[ch === "local" ? "data-quality" : "data-quality-" + ch] = channelDataQuality(c, ch).verdict;
  verdicts["output-" + ch] = outputChannel(c, ch).verdict;
}
verdicts["output-reconciliation"] = outputReconciliation(c).verdict;
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ wall_ms: wall, cpu_ms: (cpu.user + cpu.system) / 1000, peak_rss_mb: peakRssMb(), verdicts, threads: scanThreadProblem() }) + "\\n");
`;
}

/**
 * The monitor's probe and checks: built as scripts/build.mjs builds the commands (esbuild, packages
 * external, the scan worker an entry of its own), or (`tsx`) their TypeScript sources as they are.
 */
async function buildMonitor(dir: string, loader: "build" | "tsx"): Promise<string> {
  const esbuild = await import("esbuild");
  const entry = path.join(dir, "bench-entry.ts");
  fs.writeFileSync(
    entry,
    [
      `export { monitorConfigSchema } from ${JSON.stringify(path.join(ROOT, "src/config/resolve.ts"))};`,
      `export { probeDataQuality } from ${JSON.stringify(path.join(ROOT, "src/probes/data-quality.ts"))};`,
      `export { channelDataQuality, outputChannel, outputReconciliation } from ${JSON.stringify(path.join(ROOT, "src/checks/outputs.ts"))};`,
      `export { scanThreadProblem } from ${JSON.stringify(path.join(ROOT, "src/probes/outputs/scan.ts"))};`,
    ].join("\n") + "\n",
  );
  if (loader === "tsx") return entry;
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [{ in: entry, out: "monitor" }, { in: "src/probes/outputs/scan-worker.ts", out: "scan-worker" }],
    outdir: dir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return path.join(dir, "monitor.js");
}

let clockTicks = 0;
/** CPU ms of a process and its reaped children (/proc/PID/stat utime+stime+cutime+cstime); null: not readable. */
function procCpuMs(pid: number): number | null {
  try {
    clockTicks ||= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** CPU ms of a process tree: the process (with its reaped children) and its live children. */
function treeCpuMs(root: number | null): number | null {
  if (root === null) return null;
  const own = procCpuMs(root);
  if (own === null) return null;
  let sum = own;
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      if (ppid === root) sum += procCpuMs(Number(p)) ?? 0;
    } catch {
      /* gone */
    }
  }
  return sum;
}

/** The postmaster listening on `port` (test/support/postgres-server.ts passes -p PORT), or null. */
function postmasterOf(port: string): number | null {
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (/\/postgres$/.test(argv[0]!) && argv.includes("-p") && argv[argv.indexOf("-p") + 1] === port) return Number(p);
    } catch {
      /* gone */
    }
  }
  return null;
}

export async function benchDataQuality(progress: (t: string) => void, opts: { rows?: number; runs?: number; loader?: "build" | "tsx" } = {}): Promise<DataQualityBench> {
  const ROWS = opts.rows ?? 1_000_000;
  const RUNS = opts.runs ?? 5;
  const loader = opts.loader ?? "build";
  const { startAzurite, startEmbeddedPostgres } = await import("../src/channels/local-services.ts");
  const { startPostgres } = await import("../test/support/postgres-server.ts");
  const { generateTape } = await import("../pipeline/tape/generate.ts");
  const { tapeToCsv } = await import("../pipeline/tape/parse.ts");
  const { calculateKpisV2 } = await import("../pipeline/kpi/v2-engine.ts");
  const { processedRows, PROCESSED_COLUMNS, kpiValues } = await import("../pipeline/service/run.ts");
  const { buildOutput } = await import("../pipeline/outputs/publish.ts");
  const { AzureChannel } = await import("../pipeline/outputs/azure.ts");
  const { SupabaseChannel } = await import("../pipeline/outputs/supabase.ts");
  const { DEFAULT_TABLES } = await import("../pipeline/outputs/options.ts");
  const pgMod = (await import("pg")).default;
  const t0 = performance.now();
  const loadStart = os.loadavg().map((x) => round(x, 2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-dq-"));
  // the build sits in the repository, so that its external packages resolve from node_modules
  const buildDir = fs.mkdtempSync(path.join(ROOT, "node_modules", ".cache-bench-dq-"));
  const azurite = await startAzurite();
  let pg: { url: string; stop(): Promise<void> };
  let postgres = "a PostgreSQL server (test/support/postgres-server.ts)";
  try {
    pg = await startPostgres();
  } catch (e) {
    postgres = `EMBEDDED PGlite (no PostgreSQL server: ${(e as Error).message.split("\n")[0]})`;
    progress(`dataquality: ${postgres}`);
    pg = await startEmbeddedPostgres();
  }
  try {
    // ---- one run of ROWS rows written to the three channels by the pipeline's own writers
    progress(`dataquality: writing ${ROWS} rows to local files, Azurite and PostgreSQL`);
    const tape = generateTape({ rows: ROWS, seed: 42 });
    const inputCsv = tapeToCsv(tape);
    const inputFile = path.join(dir, "input.csv");
    fs.writeFileSync(inputFile, inputCsv);
    const runId = "run_bench_1";
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
    fs.mkdirSync(path.join(dir, "outputs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "logs", "runs", runId), { recursive: true });
    fs.writeFileSync(path.join(dir, "logs", "runs", runId, "manifest.json"), JSON.stringify(out.manifest, null, 2));
    fs.writeFileSync(path.join(dir, "outputs", "loans_processed.csv"), out.rowsCsv);
    fs.writeFileSync(path.join(dir, "outputs", "kpis.json"), out.kpiText);
    await new AzureChannel(azurite.connectionString, "bench-outputs", 2).write(out, undefined);
    const sb = new SupabaseChannel(pg.url, "bench", DEFAULT_TABLES, 2);
    await sb.write(out, undefined);
    await sb.close();
    // A table in its steady state, as a production one is: not autovacuum's first pass over a
    // million rows just loaded running during the measured reads (nor theirs setting hint bits).
    const vac = new pgMod.Client({ connectionString: pg.url });
    await vac.connect();
    await vac.query("VACUUM (ANALYZE) bench.loans_processed, bench.runs, bench.kpi_results");
    await vac.end();
    const bytesPerChannel = Buffer.byteLength(out.rowsCsv);
    const inputBytes = Buffer.byteLength(inputCsv);
    progress(loader === "build" ? "dataquality: building the monitor (esbuild, as scripts/build.mjs)" : "dataquality: the monitor's TypeScript sources through tsx");
    const lib = await buildMonitor(buildDir, loader);
    const setupS = round((performance.now() - t0) / 1000);

    // ---- the monitor, in fresh processes: from the probe's call to the last verdict
    const config = {
      target: {
        stateDir: dir,
        outputs: {
          local: { inputFile, maxAgeSeconds: 86_400 },
          azure: { container: "bench-outputs", maxAgeSeconds: 86_400, timeoutMs: 120_000 },
          supabase: { schema: "bench", maxAgeSeconds: 86_400, timeoutMs: 120_000 },
        },
      },
    };
    const env = { ...process.env, DQ_CONFIG: JSON.stringify(config), AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, SUPABASE_DB_URL: pg.url };
    const childFile = path.join(buildDir, "dq-child.mjs");
    fs.writeFileSync(childFile, childScript(lib));
    const postmaster = postmasterOf(new URL(pg.url).port);
    const wall: number[] = [];
    const rss: number[] = [];
    const cpuMs: number[] = [];
    const pgCpu: (number | null)[] = [];
    const azCpu: (number | null)[] = [];
    let verdicts: Record<string, string> = {};
    let threads = "worker threads";
    for (let i = 0; i < RUNS; i++) {
      const before = { pg: treeCpuMs(postmaster), az: treeCpuMs(azurite.pid) };
      const r = await run(process.execPath, [...(loader === "tsx" ? ["--import", "tsx"] : []), childFile], { cwd: ROOT, env, timeout: 300_000, maxBuffer: 1 << 20 });
      const after = { pg: treeCpuMs(postmaster), az: treeCpuMs(azurite.pid) };
      const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { wall_ms: number; cpu_ms: number; peak_rss_mb: number; verdicts: Record<string, string>; threads: string | null };
      wall.push(Math.round(m.wall_ms));
      cpuMs.push(Math.round(m.cpu_ms));
      rss.push(round(m.peak_rss_mb));
      pgCpu.push(before.pg === null || after.pg === null ? null : Math.round(after.pg - before.pg));
      azCpu.push(before.az === null || after.az === null ? null : Math.round(after.az - before.az));
      verdicts = m.verdicts;
      if (m.threads) threads = `the main thread (${m.threads})`;
      progress(`dataquality: monitor run ${i + 1}/${RUNS}: ${wall[i]} ms, CPU ${cpuMs[i]} ms, peak RSS ${rss[i]} MB`);
    }
    const bareFile = path.join(buildDir, "bare.mjs");
    fs.writeFileSync(bareFile, `${PEAK_RSS}process.stdout.write(String(peakRssMb()));\n`);
    const bare = await run(process.execPath, [bareFile], { timeout: 30_000 });

    // ---- the reference: the same row checks and KPI sums as SQL inside PostgreSQL, one channel
    const db = new pgMod.Client({ connectionString: pg.url });
    await db.connect();
    const amounts = PROCESSED_COLUMNS.filter((c) => c !== "loan_id");
    const sql = `SELECT count(*) AS n, count(*) - count(DISTINCT loan_id) AS duplicates,
      ${PROCESSED_COLUMNS.map((c) => `count(*) - count(${c}) AS null_${c}`).join(", ")},
      sum(CASE WHEN ${amounts.map((c) => `${c} < 0`).join(" OR ")} THEN 1 ELSE 0 END) AS negative_rows,
      sum(CASE WHEN abs(total_receivable_usd - (dpd_0_7_usd + dpd_7_30_usd + dpd_30_60_usd + dpd_60_90_usd + dpd_90_plus_usd)) > 0.01 THEN 1 ELSE 0 END) AS bucket_rows,
      sum(CASE WHEN abs(par30_usd - (dpd_30_60_usd + dpd_60_90_usd + dpd_90_plus_usd)) > 0.01 THEN 1 ELSE 0 END) AS par30_rows,
      sum(dpd_30_60_usd + dpd_60_90_usd + dpd_90_plus_usd) AS par30_num, sum(dpd_90_plus_usd) AS par90_num,
      sum(total_receivable_usd) AS receivable, sum(cash_available_usd) AS cash, sum(total_eligible_usd) AS eligible
      FROM bench.loans_processed WHERE run_id = $1`;
    const sqlMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      await db.query(sql, [runId]);
      sqlMs.push(Math.round(performance.now() - s0));
    }
    await db.end();
    const result: DataQualityBench = {
      rows: ROWS,
      loader,
      bytes_per_channel_mb: round(bytesPerChannel / 1048576),
      input_mb: round(inputBytes / 1048576),
      postgres,
      setup_s: setupS,
      monitor: { wall_ms: wall, median_ms: Math.round(median(wall)), cpu_ms: cpuMs, peak_rss_mb: rss, max_peak_rss_mb: Math.max(...rss), threads },
      servers_cpu_ms: { postgres: pgCpu, azurite: azCpu },
      sql_reference: { ms: sqlMs, median_ms: Math.round(median(sqlMs)) },
      bare_node_rss_mb: round(Number(bare.stdout)),
      load_avg_start: loadStart,
      load_avg_end: os.loadavg().map((x) => round(x, 2)),
      verdicts,
    };
    // BENCHMARKS.md's section also on stderr
    progress(`dataquality: BENCHMARKS.md section:\n${dataQualityMarkdown(result)}`);
    return result;
  } finally {
    await azurite.stop();
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
}

/** The summary's target lines. */
export function dataQualityTargets(d: DataQualityBench): Record<string, { figure: string; reference: string } & Target> {
  return {
    dq_wall: {
      figure: `Data-quality checks + reconciliation, 3 channels x ${d.rows.toLocaleString("en-US")} rows (+ the input), median of ${d.monitor.wall_ms.length} fresh processes`,
      reference: `the same checks as SQL inside PostgreSQL over one channel: ${d.sql_reference.median_ms} ms (monitor ${sig4(d.monitor.median_ms / Math.max(1, d.sql_reference.median_ms))}x); PostgreSQL: ${d.postgres}`,
      ...target(round(d.monitor.median_ms / 1000, 2), "<=", 3, "s"),
    },
    dq_rss: {
      figure: "Data-quality checks, peak RSS of the monitor process (whole process, max of the runs)",
      reference: `a bare node process ${d.bare_node_rss_mb} MB; channel data ${d.bytes_per_channel_mb} MB per channel, never held whole`,
      ...target(d.monitor.max_peak_rss_mb, "<=", 300, "MB"),
    },
  };
}

const list = (xs: (number | null)[]) => xs.map((x) => (x === null ? "n/a" : String(x))).join(", ");

/** BENCHMARKS.md's "Data quality" section. */
export function dataQualityMarkdown(d: DataQualityBench): string {
  const ok = (pass: boolean) => (pass ? "PASS" : "**MISS**");
  const t = dataQualityTargets(d);
  return [
    HEADING,
    "",
    `One run of ${d.rows.toLocaleString("en-US")} rows (${d.bytes_per_channel_mb} MB of CSV per channel, an input of ${d.input_mb} MB) written by the pipeline's own writers to the local files, Azure Blob Storage (Azurite) and Supabase (${d.postgres}; its tables vacuumed and analyzed after the load); then the monitor's dataQuality probe and its 7 output checks, ${d.monitor.wall_ms.length} times, each in a fresh process running ${d.loader === "build" ? "the monitor as built for \`npm run checkpoint\` (esbuild, scripts/build.mjs's options, plain node)" : "the monitor's TypeScript sources through tsx (\`--dq-loader=tsx\`)"} (bench/data-quality.ts; \`npm run bench -- --only=dataquality\`). Every channel is streamed, never held whole: the local file and the input read by their scan worker, the Azure blob and Supabase's \`COPY ... TO STDOUT\` passed on in batches of 1 MB, at most 8 MB ahead; the rows checked in ${d.monitor.threads}. The machine is shared with other work: load average ${d.load_avg_start.join(" / ")} at the start, ${d.load_avg_end.join(" / ")} at the end.`,
    "",
    "| Figure | Measured | Reference in the same run | Target | Result |",
    "|---|---|---|---|---|",
    `| Input + 3 channels: row rules, completeness, KPIs recomputed, reconciliation (wall time, probe call to last verdict) | ${d.monitor.wall_ms.join(", ")} ms, median **${d.monitor.median_ms} ms** | the same row checks and KPI sums as SQL inside PostgreSQL, one channel: ${d.sql_reference.ms.join(", ")} ms, median ${d.sql_reference.median_ms} ms (the monitor: ${round(d.monitor.median_ms / Math.max(1, d.sql_reference.median_ms), 2)}x, for three channels and the input) | <= 3 s | ${ok(t.dq_wall.pass)} |`,
    `| CPU time of the monitor process (all its threads) | ${d.monitor.cpu_ms.join(", ")} ms | meanwhile PostgreSQL ${list(d.servers_cpu_ms.postgres)} ms, Azurite ${list(d.servers_cpu_ms.azurite)} ms (2 cores: wall >= the sum / 2) | none | - |`,
    `| Peak RSS of the monitor process (VmHWM) | ${d.monitor.peak_rss_mb.join(", ")} MB, max **${d.monitor.max_peak_rss_mb} MB** | a bare node: ${d.bare_node_rss_mb} MB | <= 300 MB | ${ok(t.dq_rss.pass)} |`,
    `| Verdicts of the measured runs | ${Object.entries(d.verdicts).map(([k, v]) => `${k} ${v}`).join(", ")} | | all PASS | ${Object.values(d.verdicts).every((v) => v === "PASS") ? "PASS" : "**MISS**"} |`,
    `| Setup (generate, write the 3 channels, build; not measured) | ${d.setup_s} s | | | - |`,
    "",
    "How: the input, the local file, the Azure blob and Supabase's rows are read at once, each scanned in a worker thread of a small pool (src/probes/outputs/scan.ts; two workers on two cores) while the main thread loads the client libraries, reads the remote channels' heads and moves their bytes; the run to reconcile is known from the local KPI file before its rows are read. Each CSV line is split and its numbers parsed in one pass (RowChecker.checkLine); duplicate keys are found without a hash set while the keys come in order (sorted runs, a binary search for the few rows a table stores out of order: KeySet); files are read into one reused buffer and the batches sent to a worker come back to be refilled (fresh memory costs a fresh process a page fault per 4 KB). Before these (the monitor on one thread, the local channel read before the others, through tsx): 8.7 s median, 5.02x the same run's SQL reference (CPU 5.5 s, 216 MB; load average about 6); of it, per channel, about 0.45 s the duplicate-key hash set (a cache miss per key) and 0.4 s splitting and decoding the CSV.",
    "",
  ].join("\n");
}

/** Writes the data-quality section of BENCHMARKS.md in place (the rest of the file as it is). */
export function writeDataQualitySection(file: string, d: DataQualityBench): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const section = dataQualityMarkdown(d).trimEnd() + "\n";
  const start = text.indexOf(`\n${HEADING}\n`);
  if (start < 0) {
    fs.writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf("\n## ", start + 1);
  fs.writeFileSync(file, text.slice(0, start + 1) + section + (next < 0 ? "" : `\n${text.slice(next + 1)}`));
}
