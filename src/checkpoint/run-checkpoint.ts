/**
 * One checkpoint, end to end (docs/DESIGN.md "One checkpoint"):
 * collect (probes, once) -> assert (the catalogue judges each check once; the phase's specs
 * report those verdicts line by line) -> judge (alert rules, decision tree) -> act (alerts,
 * guarded rollback) -> record -> report (dashboard, events).
 * No process.exit here: the CLI maps the returned exit code.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { pidAlive } from "../state/pid.js";
import path from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { offsetMs, type PhaseName } from "../config/schedule.js";
import { collect } from "../probes/collect.js";
import type { Measurements } from "../probes/measurements.js";
import type { ProbeState } from "../probes/probe.js";
import { systemClock, type Clock } from "../judge/clock.js";
import { memoryGrowthPercentPerHour } from "../checks/metrics.js";
import { CATALOGUE, checksOfPhase, probesOfPhase } from "../catalogue/catalogue.js";
import { assess, type CheckDef } from "../catalogue/check.js";
import { checksOfOpenAlerts, judgeCheckpoint } from "../judge/judge-checkpoint.js";
import { failsCheckpoint, type Decision } from "../judge/decide.js";
import { act } from "../act/act.js";
import { testAlertChannels } from "../act/notices.js";
import { keyMetrics, pipelineStatus } from "./key-metrics.js";
import type { BaselineRecord } from "../judge/baseline.js";
import { renderDashboard } from "../report/dashboard.js";
import { monitorPaths } from "./paths.js";
import { monitorState } from "./state.js";
import { storageFor, type SlotClaim, type Storage } from "../storage/storage.js";
import { resolvePhase } from "./due.js";
import { redactAll } from "../secrets.js";
import { preloadVitest, prepareSpecRun, runPhaseSpecs } from "./run-specs.js";
import type { CheckpointContext, CheckpointRecord, CheckRecord, CutoverState, HistoryPoint, Hour1Baseline, Verdict } from "./context.js";
import { recentMemory, type WatchCheckpointOptions } from "../monitor/checkpoint-options.js";
import { uptimeEvidence, type UptimeEvidence } from "../monitor/uptime.js";
import { staleHeartbeatLine } from "../monitor/heartbeat.js";

export interface CheckpointOptions {
  phase: string;
  at?: string;
  json?: boolean;
  autoRollback?: boolean;
  force?: boolean;
  verbose?: boolean;
  clock?: Clock;
  /** Where human output goes (console by default). */
  print?: (text: string) => void;
  /** Set when the watch runs this checkpoint in process (src/monitor, docs/DESIGN.md "The watch"). */
  watch?: WatchCheckpointOptions;
}

export interface CheckpointOutcome {
  exitCode: number;
  record?: CheckpointRecord;
  message?: string;
}

export const EXIT = { ok: 0, fail: 1, couldNotRun: 2, inconclusive: 3 } as const;

export async function runCheckpoint(loaded: LoadedConfig, opts: CheckpointOptions): Promise<CheckpointOutcome> {
  // The slot's claim (when it stands for one) is released if the run stops before its record, and
  // queued history writes (a database's events log) are flushed before the outcome is returned.
  const held: { claim: SlotClaim | null } = { claim: null };
  const storage = storageFor(loaded.config);
  try {
    return await runClaimed(loaded, opts, storage, held);
  } finally {
    await held.claim?.release();
    await storage.flush();
  }
}

async function runClaimed(loaded: LoadedConfig, opts: CheckpointOptions, storage: Storage, held: { claim: SlotClaim | null }): Promise<CheckpointOutcome> {
  const { config } = loaded;
  void preloadVitest().catch(() => {}); // overlaps the history and state reads below
  const clock = opts.clock ?? systemClock;
  // With --json, stdout carries only the JSON: every other line goes to stderr.
  // Every line printed passes the secret registry's redaction.
  const rawOut = opts.print ?? ((t: string) => process.stdout.write(t + "\n"));
  const out = (t: string) => rawOut(redactAll(t));
  const print = opts.json && !opts.print ? (t: string) => process.stderr.write(redactAll(t) + "\n") : out;
  const paths = monitorPaths(config.reportsDir);
  mkdirSync(paths.state, { recursive: true });
  const state = monitorState(storage);
  const events = storage.events();
  const store = storage.log<CheckpointRecord>("checkpoints");
  // Durations are the monitor's own work, always real time (under --speed the clock holds while a checkpoint runs).
  const started = performance.now();

  const cutoverFile = await state.cutover.load();
  let cutover = cutoverFile.current;
  // Only the records this checkpoint uses are kept (the history is streamed, never read whole).
  const { records: history, skipped } = await store.readAll((r) => r.phase === "pre-cutover" || belongsTo(r, cutover));
  for (const s of skipped) print(`warning: ${storage.where("checkpoints")} line ${s.line} skipped: ${s.reason}`);

  const resolved = resolvePhase({
    phase: opts.phase,
    at: opts.at,
    schedule: config.schedule,
    cutoverStartedAt: cutover?.startedAt ?? null,
    ran: history.filter((r) => r.phase === "pre-cutover" || belongsTo(r, cutover)).map((r) => ({ phase: String(r.phase), scheduled_at: r.scheduled_at as string | undefined, timestamp: r.timestamp })),
    nowMs: clock.now(),
  });
  if ("nothingDue" in resolved) {
    if (opts.json) out(JSON.stringify({ nothing_due: resolved.nothingDue }));
    else print(resolved.nothingDue);
    return { exitCode: EXIT.ok, message: resolved.nothingDue };
  }
  const phase: PhaseName = resolved.phase;

  // After a rollback the cutover is over until a new one is recorded (hour0 records one).
  if (cutover?.rolledBack && phase !== "hour0" && phase !== "pre-cutover") {
    const msg = `ROLLED BACK at ${cutover.rolledBack.at} (${cutover.rolledBack.reason}); the cutover of ${cutover.startedAt} is over. Run the hour0 checkpoint to record a new cutover.`;
    events.write({ type: "checkpoint", severity: "critical", phase, verdict: "FAIL", rolledBack: cutover.rolledBack });
    if (opts.json) out(JSON.stringify({ verdict: "FAIL", exit_code: EXIT.fail, rolled_back: cutover.rolledBack, message: msg }));
    else print(msg);
    return { exitCode: EXIT.fail, message: msg };
  }

  // One runner per scheduled checkpoint (docs/DESIGN.md "History in PostgreSQL"): a run that stands
  // for a slot (and every --phase=auto run) claims (cutover, slot); a second runner at once is told
  // "already running", a --phase=auto runner after it "already done" (exit 0: the slot is covered).
  const slot = resolved.scheduledAt ? `${phase}@${resolved.scheduledAt}` : opts.phase === "auto" ? phase : null;
  if (slot) {
    const claimed = await storage.claimSlot({ cutoverStartedAt: phase === "pre-cutover" ? null : (cutover?.startedAt ?? null), slot, auto: opts.phase === "auto" });
    if (!claimed.claimed) {
      if (opts.json) out(JSON.stringify({ not_run: claimed.standing === "done" ? "already done" : "already running", slot, message: claimed.message }));
      else print(claimed.message);
      return { exitCode: EXIT.ok, message: claimed.message };
    }
    held.claim = claimed.claim;
    if (claimed.tookOver) print(`warning: the claim of ${slot} by pid ${claimed.tookOver.owner.pid} on ${claimed.tookOver.owner.host} (since ${claimed.tookOver.claimedAt}) was abandoned: this runner takes it over`);
  }

  const startedAt = new Date(clock.now()).toISOString();
  // Unique even for two checkpoints started in the same millisecond (each gets its own results folder).
  const checkpointId = `${startedAt.replace(/[-:.]/g, "")}-${phase}${resolved.scheduledAt ? "-" + resolved.scheduledAt.replace(":", "") : ""}-${process.pid}`;
  const label = `${phase}${resolved.scheduledAt ? ` @ ${resolved.scheduledAt}` : ""}`;
  // A phase after hour0 with no cutover recorded: nothing anchors its windows, its schedule slot or
  // its baseline. Said first, recorded, and a WARN check of its own (never a silent PASS).
  const unanchored = !cutover && phase !== "pre-cutover" && phase !== "hour0"
    ? `NO CUTOVER RECORDED: nothing anchors this ${phase} checkpoint (no cutover start for its windows, schedule slot or hour-1 baseline); run the hour0 checkpoint first, or pass --config with the reports dir that holds the cutover`
    : null;
  if (unanchored) print(unanchored);
  // A watch followed this cutover and stopped beating: say so (the watch itself is alive when it runs us).
  const deadWatch = opts.watch ? null : staleHeartbeatLine(path.join(paths.state, "watch-heartbeat.json"), cutover?.startedAt ?? null);
  if (deadWatch) print(deadWatch);
  if (!opts.json) print(`cutover-monitor: ${label} (${resolved.reason}); config ${loaded.source}`);

  // The expected number of pipeline tests: config, or the count recorded before cutover.
  const target = structuredClone(config.target);
  if (target.testSuite.expectedTotal == null) {
    // The most tests any pre-cutover run counted: a later run with fewer (tests gone missing) never lowers it.
    const totals = history.filter((r) => r.phase === "pre-cutover").map((r) => (r.metrics as Record<string, unknown> | undefined)?.tests_total).filter((t): t is number => typeof t === "number");
    if (totals.length) target.testSuite.expectedTotal = Math.max(...totals);
  }

  // Probe cursors belong to one cutover: a new cutover starts "since cutover" totals afresh.
  const probeFile = await state.probes.load();
  const previous = (probeFile.state ?? {}) as ProbeState;
  if (phase === "hour0" || (cutover && probeFile.cutoverStartedAt !== cutover.startedAt)) delete previous.logTotalsSinceCutover;

  // vitest/node (about 0.35 s of CPU) has loaded by now, while the state above was read. It is
  // awaited here rather than left to run during the probes: on a small host the monitor's own
  // CPU burst would compete with the target inside the CPU sampling window and skew it.
  await preloadVitest().catch(() => {}); // a failure is reported when the specs run

  // Which checks this checkpoint judges: its phase's, plus every check an open alert watches
  // (evidence or nothing: an open alert is re-measured at every checkpoint, whatever the phase).
  const judgeState0 = await state.judge.load();
  const phaseChecks = checksOfPhase(phase);
  const reopen = new Set(checksOfOpenAlerts(config, judgeState0.alerts.alerts));
  const defs: CheckDef[] = CATALOGUE.filter((d) => phaseChecks.includes(d) || reopen.has(d.id));
  const probes = probesOfPhase(phase, defs);

  // collect: every probe once, each with its own timeout.
  const collectStarted = performance.now();
  const measurements: Measurements = await collect(phase, target, {
    previous,
    force: opts.force,
    now: opts.watch?.probeNow ?? (() => clock.now()),
    checkpoint: label,
    cutoverStartedAt: cutover?.startedAt ?? null,
    // "Monitor script output in real-time": the cutover command's lines, labelled by the command.
    onLine: opts.json ? undefined : (stream, line) => print(`  [${target.cutover.command.join(" ")} ${stream}] ${line}`),
  }, probes);

  const collectMs = performance.now() - collectStarted;
  // Under time compression RSS and CPU readings go on the monitor's clock (growth per simulated hour).
  const toClock = opts.watch?.toClock;
  if (toClock && measurements.resources?.ok) for (const s of measurements.resources.data.samples) s.at = toClock(s.at);

  // hour0 records the cutover start (when the cutover ran, or when V2 was found active).
  if (phase === "hour0" && measurements.cutover?.ok) {
    const m = measurements.cutover.data;
    const ok = m.skipped ? !!m.log : m.exitCode === 0;
    if (ok && (!cutover || !m.skipped || cutover.rolledBack)) {
      const startMs = m.startedAtMs ?? m.log?.mtimeMs ?? clock.now();
      const next = { startedAt: new Date(startMs).toISOString(), recordedBy: checkpointId };
      await state.cutover.update((f) => ({ version: 1, current: next, previous: f.current ? [...f.previous, f.current] : f.previous }));
      cutover = next;
      events.write({ type: "cutover_recorded", startedAt: next.startedAt, skipped: m.skipped, checkpoint: checkpointId });
    }
  }

  const hour1 = hour1Baseline(judgeState0.baselines.hour1);
  const context: CheckpointContext & { uptime?: UptimeEvidence } = {
    config: { ...config, target },
    checkpoint: { id: checkpointId, phase, scheduledAt: resolved.scheduledAt, label, startedAt },
    measurements,
    cutover: cutover ?? null,
    baselines: { hour1: hour1 && (!cutover || hour1.recordedAt >= cutover.startedAt) ? hour1 : null },
    history: [...history.filter((r) => belongsTo(r, cutover)).map((r) => recentMemory(toHistoryPoint(r), opts.watch?.memorySinceMs)), ...(opts.watch?.history ?? [])],
    attestations: (await state.attestations.load()).attestations,
    // The 24-hour uptime criterion: the watch's samples of this cutover, else the checkpoints' own probes.
    uptime: defs.some((d) => d.id === "uptime-24h") ? await uptimeEvidence({ reportsRoot: paths.root, samples: storage.log("samples"), cutover: cutover ?? null, records: history, nowMs: clock.now() }) : undefined,
  };
  if (phase === "pre-cutover") context.alertChannels = await testAlertChannels(config);

  // assert: each check judged once, by the catalogue; the specs then report those verdicts.
  const checks = assess(context, defs, (d) => (phaseChecks.includes(d) ? "phase" : "open alert"));
  context.checks = checks;
  const resultsDir = path.join(paths.allureResults, checkpointId);
  rmSync(resultsDir, { recursive: true, force: true });
  removeDeadAllureTemps(paths.allureResults);
  const specsStarted = performance.now();
  const specRun = prepareSpecRun({
    phase,
    allureResultsDir: resultsDir,
    environmentInfo: { target: config.target.baseUrl, phase, checkpoint: label, config: loaded.source },
    verbose: opts.verbose,
    verboseTo: opts.json ? "stderr" : "stdout",
  });
  const specs = await runPhaseSpecs(specRun, context);
  for (const l of specs.lines) {
    for (const id of l.checks) checks.find((c) => c.id === id)?.lines?.push({ spec: l.spec, title: l.title });
  }
  checks.push(...specs.defects);
  if (unanchored) {
    checks.push({ id: "cutover-recorded", title: "A cutover is recorded (the checkpoint's anchor)", section: "monitor", verdict: "WARN", notMeasured: false, measured: "no cutover recorded in this reports dir", threshold: "a cutover start recorded by the hour0 checkpoint", advice: "run the hour0 checkpoint (it records the cutover start), or point --config/CUTOVER_REPORTS_DIR at the reports dir that holds it", value: null });
  }
  if (specs.lines.length === 0) {
    checks.push({ id: "specs-ran", title: "The phase's specs ran", section: "monitor", verdict: "ERROR", notMeasured: true, measured: `no spec ran for phase ${phase}`, threshold: "at least one spec", advice: "check the specs/ folder of this phase", value: null });
  }

  // judge: rules over the verdicts, then the decision tree.
  const judgeStarted = performance.now();
  // N/A checks (not configured) are shown, and have no say in the rules or the decision.
  const applicable = checks.filter((c) => !c.notApplicable);
  const judgement = await judgeCheckpoint({ config, state, events, clock, checkpointId, label, checks: applicable });
  const { decision } = judgement;

  // act: rollback (guarded) and delivery.
  const acted = await act({
    config,
    paths,
    state,
    events,
    clock,
    checkpointId,
    label,
    judgement,
    cutover: cutover ?? null,
    autoRollback: !!opts.autoRollback || config.rollback.auto,
    print: opts.json ? () => {} : print,
  });
  const judgeMs = performance.now() - judgeStarted;

  const rolledBack = acted.rollback?.status === "succeeded";
  const verdict = checkpointVerdict(applicable, decision, acted.rollback?.status);
  const exitCode = verdict === "FAIL" ? EXIT.fail : verdict === "ERROR" ? EXIT.inconclusive : EXIT.ok;
  const metrics = keyMetrics(measurements);
  // Growth over the history and this checkpoint's samples (null below the minimum window).
  metrics.memory_growth_percent_per_hour = memoryGrowthPercentPerHour(context);

  const record: CheckpointRecord = {
    timestamp: startedAt,
    kpi_latency_ms: metrics.kpi_latency_ms,
    error_rate_percent: metrics.error_rate_percent,
    memory_mb: metrics.memory_mb,
    cpu_percent: metrics.cpu_percent,
    pipeline_status: pipelineStatus(measurements, rolledBack),
    audit_trail_events: metrics.audit_trail_events,
    validation_status: metrics.validation_status,
    checkpoint_id: checkpointId,
    phase,
    scheduled_at: resolved.scheduledAt,
    // Scheduled against actual start (`timestamp`): when the slot was due (a cron runner starts late).
    ...(cutover && resolved.scheduledAt && /^\d{1,2}:\d{2}$/.test(resolved.scheduledAt) ? { scheduled_for: new Date(Date.parse(cutover.startedAt) + offsetMs(resolved.scheduledAt)).toISOString() } : {}),
    verdict,
    exit_code: exitCode,
    duration_ms: Math.round(performance.now() - started),
    checks,
    metrics: {
      ...metrics.extra,
      memory_growth_percent_per_hour: metrics.memory_growth_percent_per_hour,
      // Where the checkpoint's time went (npm run bench reads these).
      timings_ms: {
        before_collect: Math.round(collectStarted - started),
        collect: Math.round(collectMs),
        probes: Object.fromEntries(measurements.probes.map((p) => [p, Math.round((measurements[p] as { durationMs?: number } | undefined)?.durationMs ?? 0)])),
        specs: Math.round(specs.durationMs),
        judge_and_act: Math.round(judgeMs),
        between_collect_and_specs: Math.round(specsStarted - collectStarted - collectMs),
      },
      memory_samples: measurements.resources?.ok ? measurements.resources.data.samples.map((s) => ({ t: s.at, mb: s.rssMb })) : [],
    },
    alerts: acted.notices,
    firing: judgement.rules.firing.map((f) => ({ rule: f.ruleId, severity: f.alertSeverity, decision: f.decisionSeverity, since: f.firedAt, checks: f.checks, muted: f.muted?.by ?? null, stale: f.stale?.since ?? null })),
    decision,
    rollback: acted.rollback,
    config_source: loaded.source,
    ...(unanchored ? { anchored: false, unanchored_reason: unanchored } : {}),
    ...(opts.watch?.record ?? {}),
  };
  await store.append(record);
  // The slot is done once its record stands (an hour0 that recorded no cutover leaves it to a retry).
  await held.claim?.finish(phase !== "hour0" || cutover?.recordedBy === checkpointId, checkpointId);
  await state.probes.save({ version: 1, state: measurements.state as Record<string, unknown>, cutoverStartedAt: cutover?.startedAt ?? null });

  // hour1 records the baseline the later phases compare against.
  if (phase === "hour1" && measurements.latency?.ok && measurements.latency.data.okCount > 0) {
    const lat = measurements.latency.data.samples.filter((s) => s.ok);
    const one = (v: number | null) => (v == null ? [] : [v]);
    const baseline = {
      source: "hour1",
      checkpoint: checkpointId,
      recordedAt: startedAt,
      samples: {
        kpi_latency_ms: lat.map((s) => s.endToEndMs),
        kpi_server_ms: lat.flatMap((s) => one(s.serverMs)),
        memory_mb: one(metrics.memory_mb),
        cpu_percent: one(metrics.cpu_percent),
        error_rate_percent: one(metrics.error_rate_percent),
        audit_trail_events: one(metrics.audit_trail_events),
      },
    };
    await state.judge.update((s) => ({ ...s, baselines: { ...s.baselines, hour1: baseline } }));
  }

  events.write({
    type: "checkpoint",
    severity: verdict === "FAIL" ? "critical" : verdict === "WARN" ? "warning" : verdict === "ERROR" ? "error" : "info",
    checkpoint: checkpointId,
    phase,
    scheduled_at: resolved.scheduledAt,
    verdict,
    exit_code: exitCode,
    kpi_latency_ms: record.kpi_latency_ms,
    error_rate_percent: record.error_rate_percent,
    memory_mb: record.memory_mb,
    cpu_percent: record.cpu_percent,
    audit_trail_events: record.audit_trail_events,
    validation_status: record.validation_status,
    decision: decision.severity,
    failed: checks.filter((c) => c.verdict === "FAIL").map((c) => c.id),
    warned: checks.filter((c) => c.verdict === "WARN").map((c) => c.id),
    errored: checks.filter((c) => c.verdict === "ERROR").map((c) => c.id),
    not_measured: checks.filter((c) => c.notMeasured).map((c) => c.id),
  });

  if (opts.json) {
    out(JSON.stringify(record, null, 2));
  } else {
    print(
      renderDashboard(record, {
        decisionLine: decisionLine(decision),
        alertsLine: acted.alertsLine,
        rollbackLine: acted.rollbackLine,
        reportHint: `Record: ${storage.where("checkpoints")}\nAllure results: ${resultsDir} (npm run report -> ${paths.allureReport})`,
      }),
    );
  }
  return { exitCode, record };
}

/**
 * The checkpoint's verdict, from which the exit code follows; one table (docs/DESIGN.md):
 * FAIL when a check FAILs, the decision is HIGH or CRITICAL, or a rollback ran; else ERROR when a
 * check ended ERROR; else WARN when a check WARNs or the decision is LOW/MEDIUM (a stale alert);
 * else PASS.
 */
export function checkpointVerdict(checks: readonly CheckRecord[], decision: Decision, rollback?: string): Verdict {
  if (checks.some((c) => c.verdict === "FAIL") || failsCheckpoint(decision.severity) || rollback === "succeeded" || rollback === "failed") return "FAIL";
  if (checks.some((c) => c.verdict === "ERROR")) return "ERROR";
  if (checks.some((c) => c.verdict === "WARN") || decision.severity !== "NONE") return "WARN";
  return "PASS";
}

function decisionLine(decision: Decision): string {
  return (
    `Decision: ${decision.severity} -> ${decision.action}${decision.rollback !== "no" ? ` (rollback: ${decision.rollback})` : ""}. ${decision.reason}` +
    (decision.runbook.length ? `\nRunbook:\n${decision.runbook.map((step) => `  [ ] ${step}`).join("\n")}` : "")
  );
}

/** A record belongs to the current cutover when it came after its start, or is the hour0 run that recorded it. */
function belongsTo(r: CheckpointRecord, cutover: CutoverState | null): boolean {
  if (!cutover) return true;
  return r.timestamp >= cutover.startedAt || r.checkpoint_id === cutover.recordedBy;
}

/** The hour-1 baseline as the checks read it (also for `npm run ui`). */
export function hour1Baseline(b: BaselineRecord | undefined): Hour1Baseline | null {
  if (!b) return null;
  const first = (k: string) => b.samples[k]?.[0] ?? null;
  return {
    recordedAt: b.recordedAt,
    checkpointId: b.checkpoint,
    latencySamplesMs: b.samples.kpi_latency_ms ?? [],
    serverLatencySamplesMs: b.samples.kpi_server_ms ?? [],
    memoryMb: first("memory_mb"),
    cpuPercent: first("cpu_percent"),
    errorRatePercent: first("error_rate_percent"),
    auditTrailEvents: first("audit_trail_events"),
  };
}

/** A record as the checks read the history (also for `npm run ui`). */
export function toHistoryPoint(r: CheckpointRecord): HistoryPoint {
  const samples = (r.metrics as { memory_samples?: { t: number; mb: number }[] } | undefined)?.memory_samples;
  return {
    timestamp: r.timestamp,
    checkpointId: r.checkpoint_id,
    phase: r.phase,
    scheduledAt: r.scheduled_at,
    memory_mb: r.memory_mb,
    memorySamples: samples,
    kpi_latency_ms: r.kpi_latency_ms,
    error_rate_percent: r.error_rate_percent,
    cpu_percent: r.cpu_percent,
    audit_trail_events: r.audit_trail_events,
    validation_status: r.validation_status,
    verdict: r.verdict,
    pipeline_status: r.pipeline_status,
  };
}


/**
 * The Allure writer publishes each result through a `.allure-write-*.tmp` file and a rename; a
 * checkpoint killed mid-write leaves that temp file in its results dir (named `…-<pid>`). Its
 * results stay (they are the evidence of what it had done); only the temp files of checkpoints
 * whose process is gone are removed.
 */
export function removeDeadAllureTemps(allureResults: string): void {
  let dirs: string[];
  try {
    dirs = readdirSync(allureResults);
  } catch {
    return;
  }
  for (const dir of dirs) {
    const pid = Number(/-(\d+)$/.exec(dir)?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
    let names: string[];
    try {
      names = readdirSync(path.join(allureResults, dir));
    } catch {
      continue;
    }
    for (const name of names) if (/^\.allure-write-.*\.tmp$/.test(name)) rmSync(path.join(allureResults, dir, name), { force: true });
  }
}
