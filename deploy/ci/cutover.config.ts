/**
 * cutover-monitor config for a runner AWAY FROM THE PIPELINE'S HOST: the scheduled CI job
 * (.github/workflows/cutover-monitor.yml runs `npm run checkpoint -- --phase=auto --config
 * deploy/ci/cutover.config.ts` every 10 minutes). Such a runner sees only network sources; what
 * it cannot reach is N/A here and shown as N/A in every record, report and dashboard (never a
 * PASS, never a silent FAIL). docs/deploy.md has the same table.
 *
 * COVERED from here (over the network):
 * - pipeline-up, health, v1-active, v2-active ............ the health endpoint (CUTOVER_TARGET_URL)
 * - kpi-latency, kpi-latency-consistent, kpi-golden ...... the KPI endpoint, on the golden tape
 * - error-rate ........................................... the pipeline's counters at /metrics
 * - memory, memory-growth, cpu, pipeline-restart,
 *   vs-hour1-baseline .................................... the Prometheus process metrics at /metrics
 *   (process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds):
 *   no pidfile is reachable, so `process.pidFile: null`; each check's evidence says `source: "metrics"`
 * - audit-own-calculation, audit-events, audit-continuous  the audit trail in PostgreSQL (AUDIT_DATABASE_URL)
 * - output-azure, output-supabase, data-quality-azure,
 *   data-quality-supabase, output-reconciliation, kpi-ranges  the output channels (their own credentials)
 * - test-suite ........................................... the pipeline's own tests, run in the job's checkout
 * - alert-channels, week3-baseline, rollback-ready, monitoring-configured, the attestations,
 *   and the 24-hour criteria ............................. the alert channels' secrets and the shared history
 * - uptime-24h: from the checkpoints' probes, a WARN "not continuously measured" unless the
 *   Kubernetes watch (deploy/kubernetes/) writes its samples to the same PostgreSQL history
 *
 * N/A from here (not reachable; the checks say "N/A: ..." and have no say in the verdict):
 * - logs-streaming, log-scan, log-errors-since-cutover, log-critical ... `logs.enabled: false`
 *   (the pipeline's log file is on its host and not served)
 * - validation-ran, validation-report, validation-checks ............... `validation.enabled: false`
 *   (the pipeline's validation script runs on its host and writes its report there)
 * - data-quality, output-local ......................................... `outputs.local.enabled: false`
 *   (the local output files are on the pipeline's host)
 * - the process's pidfile ................................................ `process.pidFile: null`
 *   (memory, CPU and restarts come from the process metrics instead, see above)
 *
 * NOT RUN from here: hour0, the cutover itself (cutover-executed, cutover-output, cutover-phases,
 * cutover-timing, cutover-completed, cutover-log, rollback-prepared). A person runs it beside the
 * pipeline (`npm run checkpoint -- --phase=hour0` there, or the watch's `--cutover`); the cutover
 * start lands in the shared history and this job follows it. The cutover command below refuses,
 * so a job started before hour0 fails loudly instead of cutting over unattended. Likewise no
 * rollback runs from here (rollback.auto: false): a CRITICAL decision alerts ROLLBACK RECOMMENDED.
 *
 * The state is shared with every other runner through PostgreSQL (CUTOVER_HISTORY_DATABASE_URL):
 * keep `name` equal to the Kubernetes config's (deploy/kubernetes/configmap.yaml), since it keys
 * the cutover. Secrets are named by variable only; the workflow maps repository secrets to them.
 */
import { defineConfig } from "../../src/config/define-config.js";

/** A variable this runner cannot do without: a missing one stops the run (exit 2), never a default. */
function required(name: string): string {
  const v = process.env[name]?.trim();
  if (!v) throw new Error(`environment variable ${name} is not set (deploy/ci/cutover.config.ts): the pipeline's base URL as this runner reaches it`);
  return v;
}

const run = process.env.GITHUB_RUN_ID ? `${process.env.GITHUB_SERVER_URL}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}` : undefined;

export default defineConfig({
  name: "Abaco Loans Analytics V1->V2 cutover",
  // Shared by every runner: checkpoints, samples, alert state, cutover state, outbox, attestations.
  history: { kind: "postgres", connectionStringEnv: "CUTOVER_HISTORY_DATABASE_URL" },
  // This run's page (its report artifact) in the alerts.
  ...(run ? { reportUrl: run } : {}),
  rollback: { auto: false },
  target: {
    baseUrl: required("CUTOVER_TARGET_URL"),
    // A scratch dir of this runner: the pipeline's state dir is on its host, not here.
    stateDir: process.env.RUNNER_TEMP ? `${process.env.RUNNER_TEMP}/pipeline-state` : ".pipeline-remote",
    requestTimeoutMs: 10_000,
    // No pidfile here: memory, CPU and restarts from the process metrics at metrics.path.
    process: { pidFile: null },
    // The pipeline's log is not served to this runner: the log checks are N/A.
    logs: { enabled: false },
    // The validation script reads and writes the pipeline's host: N/A here.
    validation: { enabled: false },
    audit: {
      source: { kind: "postgres", connectionStringEnv: "AUDIT_DATABASE_URL" },
      // Run summaries and run-finished log lines are files on the pipeline's host.
      runSummaries: null,
      runLog: null,
    },
    outputs: {
      // The local output files are on the pipeline's host: N/A. Remove a channel your pipeline
      // does not write (it is then N/A "not configured"); a configured channel whose variable
      // is not set is an ERROR naming the variable.
      local: { enabled: false },
      azure: { connectionStringEnv: "AZURE_STORAGE_CONNECTION_STRING" },
      supabase: { connectionStringEnv: "SUPABASE_DB_URL" },
    },
    // hour0 is not run from a CI job (see above): this command only says so, and fails.
    cutover: {
      command: ["node", "-e", "console.error('the cutover (hour0) is run beside the pipeline, not by the CI job: npm run checkpoint -- --phase=hour0 there (docs/deploy.md)'); process.exit(2)"],
    },
  },
});
