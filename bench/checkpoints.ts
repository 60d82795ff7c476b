/**
 * Checkpoint wall time per phase, with what can be broken down, and the peak resident memory
 * of the monitor's whole process tree (tsx, node, vitest workers) during stability checkpoints.
 *
 * Against a reference pipeline in a temp dir on a free port (interval 2 s, so every window between checkpoints holds a run), each checkpoint a
 * fresh `node bin/cutover-monitor.mjs checkpoint --phase=X --json` process (what `npm run checkpoint` runs), as a scheduler runs it:
 * hour0 (cuts V1 over to V2 and records the cutover), hour1, stability x5, extended x1.
 * The pipeline starts on V1: hour0 against an already-V2 pipeline skips the cutover and its
 * specs fail for want of a cutover log, which would time a failing checkpoint.
 *
 * Breakdown per checkpoint (what the record and the process reveal):
 * - wall: spawn to exit; record duration_ms: from after config load to the record (in-process);
 * - startup: spawn to the first byte of the --json output minus duration_ms (tsx, imports, config);
 * - exit: the output to process exit;
 * - spec bodies: span of the Allure results' test start/stop of that checkpoint.
 * Probe durations are not in the record and there is no timings switch
 * (CUTOVER_MONITOR_TIMINGS does not exist), so bench/checkpoint-parts.ts measures, in a
 * separate fresh process, the startup imports and the stability probes (collect()) with their
 * ProbeResult.durationMs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sampleTreePeak, type TreeProcess } from "./proc-tree.ts";
import { median, round, run, startPipeline, stopPid, target, TSX, type Spawned, type Target } from "./util.ts";

export interface CheckpointRun {
  phase: string;
  exit_code: number | null;
  verdict: string | null;
  wall_ms: number;
  record_duration_ms: number | null;
  collect_ms: number | null;
  specs_ms: number | null;
  startup_ms: number | null;
  exit_ms: number | null;
  spec_bodies_ms: number | null;
  specs: number;
  not_passed: string[];
  tree_peak_rss_mb?: number;
  tree_max_processes?: number;
  tree_at_peak?: TreeProcess[];
}

export interface CheckpointBench {
  pipeline: { version_at_start: string; interval_s: number; start_ms: number };
  runs: CheckpointRun[];
  stability: {
    wall_median_ms: number;
    record_duration_median_ms: number;
    startup_median_ms: number;
    exit_median_ms: number;
    spec_bodies_median_ms: number;
    tree_peak_rss_mb: number;
    tree_max_processes: number;
    /** The processes of the tree at the highest peak of all stability runs. */
    tree_at_peak: TreeProcess[];
  };
  reference: { tsx_noop_wall_median_ms: number; ratio_stability_wall_vs_tsx_noop: number };
  parts: {
    module_start_ms: number;
    config_import_ms: number;
    config_load_ms: number;
    runner_import_ms: number;
    rss_after_imports_mb: number;
    rss_after_probes_mb: number;
    probes_total_median_ms: number;
    probes_median_ms: Record<string, number>;
    probe_runs: number;
  } | null;
  parts_error?: string;
  targets: { stability_wall_median_s: Target; tree_peak_rss_mb: Target };
  missing: string[];
}

function specBodies(reportsDir: string, checkpointId: string | undefined): { ms: number | null; n: number } {
  if (!checkpointId) return { ms: null, n: 0 };
  const dir = path.join(reportsDir, "allure-results", checkpointId);
  if (!fs.existsSync(dir)) return { ms: null, n: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith("-result.json")) continue;
    const r = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { start?: number; stop?: number };
    if (typeof r.start !== "number" || typeof r.stop !== "number") continue;
    lo = Math.min(lo, r.start);
    hi = Math.max(hi, r.stop);
    n++;
  }
  return { ms: n ? hi - lo : null, n };
}

async function checkpoint(phase: string, env: Record<string, string>, sampleTree: boolean): Promise<CheckpointRun> {
  let sampler: ReturnType<typeof sampleTreePeak> | undefined;
  // Exactly what `npm run checkpoint` runs, without npm's own process.
  const r: Spawned = await run(process.execPath, ["bin/cutover-monitor.mjs", "checkpoint", `--phase=${phase}`, "--json"], {
    env,
    timeoutMs: 180_000,
    onSpawn: (pid) => {
      if (sampleTree) sampler = sampleTreePeak(pid, 100);
    },
  });
  const peak = sampler?.stop();
  let record: { verdict?: string; duration_ms?: number; checkpoint_id?: string; checks?: { id: string; verdict: string; measured: string }[]; metrics?: { timings_ms?: { collect?: number; specs?: number } } } = {};
  try {
    record = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
  } catch {
    /* not a record: reported below as missing fields */
  }
  const dur = typeof record.duration_ms === "number" ? record.duration_ms : null;
  const bodies = specBodies(env.CUTOVER_REPORTS_DIR, record.checkpoint_id);
  return {
    phase,
    exit_code: r.code,
    verdict: record.verdict ?? (r.timedOut ? "TIMEOUT" : `no record: ${(r.stderr || r.stdout).trim().split("\n")[0]}`),
    wall_ms: Math.round(r.wallMs),
    record_duration_ms: dur,
    // From the record itself (metrics.timings_ms): the probes, and vitest (create, run, close).
    collect_ms: record.metrics?.timings_ms?.collect ?? null,
    specs_ms: record.metrics?.timings_ms?.specs ?? null,
    startup_ms: r.firstStdoutMs !== null && dur !== null ? Math.round(r.firstStdoutMs - dur) : null,
    exit_ms: r.firstStdoutMs !== null ? Math.round(r.wallMs - r.firstStdoutMs) : null,
    spec_bodies_ms: bodies.ms,
    specs: bodies.n,
    not_passed: (record.checks ?? []).filter((c) => c.verdict !== "PASS").map((c) => `${c.id} ${c.verdict}: ${c.measured}`),
    ...(peak ? { tree_peak_rss_mb: peak.peakMb, tree_max_processes: peak.maxProcesses, tree_at_peak: peak.atPeak } : {}),
  };
}

export async function benchCheckpoints(opts: { stabilityRuns?: number; probeRuns?: number } = {}): Promise<CheckpointBench> {
  const stabilityRuns = opts.stabilityRuns ?? 5;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-checkpoint-"));
  const pipelineDir = path.join(tmp, "pipeline");
  const reportsDir = path.join(tmp, "reports");
  const missing: string[] = [];
  try {
    const p = await startPipeline(pipelineDir, ["--version", "v1", "--interval", "2"]);
    try {
      const env = { PIPELINE_DIR: pipelineDir, PIPELINE_PORT: String(p.port), CUTOVER_REPORTS_DIR: reportsDir };
      const runs: CheckpointRun[] = [];
      runs.push(await checkpoint("hour0", env, false));
      runs.push(await checkpoint("hour1", env, false));
      for (let i = 0; i < stabilityRuns; i++) runs.push(await checkpoint("stability", env, true));

      // Parts, in a separate process against the same (now V2) pipeline, before extended.
      let parts: CheckpointBench["parts"] = null;
      let partsError: string | undefined;
      const pr = await run(TSX, ["bench/checkpoint-parts.ts", "--phase=stability", `--runs=${opts.probeRuns ?? 3}`], { env, timeoutMs: 120_000 });
      try {
        const j = JSON.parse(pr.stdout) as {
          module_start_ms: number;
          config_import_ms: number;
          config_load_ms: number;
          runner_import_ms: number;
          rss_after_imports_mb: number;
          rss_after_probes_mb: number;
          probe_runs: { total_ms: number; probes: Record<string, { ms: number }> }[];
        };
        const names = Object.keys(j.probe_runs[0]?.probes ?? {});
        parts = {
          module_start_ms: j.module_start_ms,
          config_import_ms: j.config_import_ms,
          config_load_ms: j.config_load_ms,
          runner_import_ms: j.runner_import_ms,
          rss_after_imports_mb: j.rss_after_imports_mb,
          rss_after_probes_mb: j.rss_after_probes_mb,
          probes_total_median_ms: Math.round(median(j.probe_runs.map((x) => x.total_ms))),
          probes_median_ms: Object.fromEntries(names.map((n) => [n, Math.round(median(j.probe_runs.map((x) => x.probes[n]?.ms ?? NaN)))])),
          probe_runs: j.probe_runs.length,
        };
      } catch {
        partsError = `bench/checkpoint-parts.ts failed (exit ${pr.code}): ${(pr.stderr || pr.stdout).trim().split("\n").slice(-3).join(" | ")}`;
      }

      runs.push(await checkpoint("extended", env, false));

      const noop: number[] = [];
      for (let i = 0; i < 3; i++) noop.push((await run(TSX, ["--eval", "0"], { timeoutMs: 30_000 })).wallMs);

      const st = runs.filter((r) => r.phase === "stability");
      const med = (f: (r: CheckpointRun) => number | null | undefined) => Math.round(median(st.map(f).filter((x): x is number => typeof x === "number")));
      const wallMed = med((r) => r.wall_ms);
      const peak = Math.max(...st.map((r) => r.tree_peak_rss_mb ?? 0));
      const noopMed = Math.round(median(noop));
      return {
        pipeline: { version_at_start: "v1", interval_s: 2, start_ms: Math.round(p.startMs) },
        runs,
        stability: {
          wall_median_ms: wallMed,
          record_duration_median_ms: med((r) => r.record_duration_ms),
          startup_median_ms: med((r) => r.startup_ms),
          exit_median_ms: med((r) => r.exit_ms),
          spec_bodies_median_ms: med((r) => r.spec_bodies_ms),
          tree_peak_rss_mb: peak,
          tree_max_processes: Math.max(...st.map((r) => r.tree_max_processes ?? 0)),
          tree_at_peak: st.reduce((a, b) => ((b.tree_peak_rss_mb ?? 0) > (a.tree_peak_rss_mb ?? 0) ? b : a)).tree_at_peak ?? [],
        },
        reference: { tsx_noop_wall_median_ms: noopMed, ratio_stability_wall_vs_tsx_noop: round(wallMed / noopMed, 2) },
        parts,
        ...(partsError ? { parts_error: partsError } : {}),
        targets: {
          stability_wall_median_s: target(round(wallMed / 1000, 2), "<=", 3, "s"),
          tree_peak_rss_mb: target(peak, "<", 300, "MB", "sum of VmRSS over the tsx process and all descendants, sampled every 100 ms"),
        },
        missing,
      };
    } finally {
      await stopPid(p.pid);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
