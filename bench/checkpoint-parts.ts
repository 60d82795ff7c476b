/**
 * Child process of bench/checkpoints.ts (run with tsx, PIPELINE_DIR/PIPELINE_PORT/
 * CUTOVER_REPORTS_DIR set): times, in a fresh process, what a checkpoint does before its
 * record clock starts (module start, importing and loading the config, importing the
 * checkpoint runner and vitest/node), then runs the stability probes (collect()) --runs
 * times with their own ProbeResult.durationMs. Prints one JSON object.
 * The record of a checkpoint carries no per-probe durations, hence this separate measurement.
 */
const moduleStartMs = performance.now();
const { loadConfig } = await import("../src/config/load.ts");
const configImportedMs = performance.now();
const loaded = await loadConfig();
const configLoadedMs = performance.now();
await import("../src/checkpoint/run-checkpoint.ts");
const runnerImportedMs = performance.now();
const rssAfterImportsMb = Math.round(process.memoryUsage().rss / 1048576);
const { collect } = await import("../src/probes/collect.ts");
const { probesOfPhase } = await import("../src/catalogue/catalogue.ts");

const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 3);
const phase = process.argv.find((a) => a.startsWith("--phase="))?.slice(8) ?? "stability";
const probeRuns: { total_ms: number; probes: Record<string, { ms: number; ok: boolean }> }[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const m = (await collect(phase, loaded.config.target, { previous: {}, now: () => Date.now(), checkpoint: `bench-${i}` }, probesOfPhase(phase as never))) as unknown as Record<
    string,
    { ok: boolean; durationMs: number } | undefined
  > & { probes: string[] };
  const probes: Record<string, { ms: number; ok: boolean }> = {};
  for (const name of m.probes) {
    const r = m[name];
    if (r) probes[name] = { ms: Math.round(r.durationMs), ok: r.ok };
  }
  probeRuns.push({ total_ms: Math.round(performance.now() - t0), probes });
}

process.stdout.write(
  JSON.stringify({
    module_start_ms: Math.round(moduleStartMs),
    config_import_ms: Math.round(configImportedMs - moduleStartMs),
    config_load_ms: Math.round(configLoadedMs - configImportedMs),
    runner_import_ms: Math.round(runnerImportedMs - configLoadedMs),
    rss_after_imports_mb: rssAfterImportsMb,
    rss_after_probes_mb: Math.round(process.memoryUsage().rss / 1048576),
    phase,
    probe_runs: probeRuns,
  }) + "\n",
);
