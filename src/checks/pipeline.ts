/**
 * Evaluators for the pipeline's state: health and active version, logs, audit trail,
 * validation report, data quality, cutover and the pipeline's own test suite.
 */
import type { CheckOutcome } from "./outcome.js";
import { need } from "./outcome.js";
import { getPath } from "../probes/target-io.js";
import type { CheckpointContext } from "../checkpoint/context.js";
import { worst } from "../judge/verdict.js";
import * as outputs from "./outputs.js";

export function healthEndpoints(c: CheckpointContext): CheckOutcome {
  const h = need(c.measurements.health, "health");
  const extraBad = h.extraEndpoints.filter((e) => !e.ok);
  // Unreachable endpoints are pipeline-up's fact (the down alert). A reachable pipeline that calls
  // itself degraded is summarising failures the error-rate and log checks measure: a WARN here.
  const verdict = extraBad.length ? "FAIL" : h.statusOk ? "PASS" : "WARN";
  return {
    verdict,
    measured: `GET ${h.url} -> ${h.httpStatus} status=${h.status ?? "missing"} version=${h.version ?? "missing"} in ${h.responseMs.toFixed(0)} ms${h.extraEndpoints.length ? `; ${h.extraEndpoints.length - extraBad.length}/${h.extraEndpoints.length} extra endpoints ok` : ""}${extraBad.map((e) => `; ${e.name}: ${e.error ?? e.httpStatus}`).join("")}${h.lastRun?.error ? `; last run: ${h.lastRun.result ?? "?"} (${h.lastRun.error})` : ""}`,
    threshold: "every health endpoint answers 2xx with an ok status (a reachable but degraded status warns)",
    advice: "check the pipeline's last run (health.last_run) and the error-rate and log checks for the failures behind a degraded status",
    value: h.status,
    evidence: { body: h.body, extra: h.extraEndpoints },
  };
}

export function postCutoverVersionActive(c: CheckpointContext): CheckOutcome {
  const h = need(c.measurements.health, "health");
  return {
    verdict: h.postCutoverVersionActive ? "PASS" : "FAIL",
    measured: `active version reported by ${h.url}: ${h.version ?? "missing"}`,
    threshold: `${h.expectedVersionAfterCutover} active`,
    advice: `V2 is not active: re-run the cutover (npm run checkpoint -- --phase=hour0) or, if a rollback happened, record it`,
    value: h.version,
  };
}

export function preCutoverVersionActive(c: CheckpointContext): CheckOutcome {
  const h = need(c.measurements.health, "health");
  const ok = h.version === h.expectedVersionBeforeCutover || h.version === h.expectedVersionAfterCutover;
  return {
    verdict: !h.statusOk ? "FAIL" : h.version === h.expectedVersionBeforeCutover ? "PASS" : ok ? "WARN" : "FAIL",
    measured: `pipeline answers with status=${h.status} version=${h.version ?? "missing"}`,
    threshold: `${h.expectedVersionBeforeCutover} active and healthy before the cutover`,
    advice: h.version === h.expectedVersionAfterCutover ? "V2 is already active: the hour0 checkpoint will not cut over again (use --force)" : "the pipeline must be up before the cutover",
    value: h.version,
  };
}

/**
 * "Log aggregation system connected and streaming": the newest line's timestamp is at most
 * logs.maxSilenceSeconds old at the checkpoint (the file's mtime when no line carries a readable
 * timestamp), however few lines were written since the previous checkpoint.
 */
export function logsStreaming(c: CheckpointContext): CheckOutcome {
  const l = need(c.measurements.logs, "logs");
  const maxAge = c.config.target.logs.maxSilenceSeconds;
  const win = l.sinceLastCheckpoint;
  const w = win.window;
  const windowText = w ? `${w.from} - ${w.to} (${w.reason === "minimum lookback" ? `minimum lookback ${w.minLookbackSeconds} s` : `since the previous checkpoint, ${w.seconds} s`})` : "since the last checkpoint";
  const parsed = win.linesScanned - win.unmatchedLines;
  const byStamp = l.lastLineAtMs != null && l.lastLineAgeSeconds != null;
  const ageS = byStamp ? l.lastLineAgeSeconds! : Math.max(0, ((w?.toMs ?? Date.now()) - l.fileMtimeMs) / 1000);
  const leveled = byStamp || parsed > 0 || Object.keys(l.sinceCutover?.countsByLevel ?? {}).length > 0;
  const ok = ageS <= maxAge && leveled;
  const newest = byStamp
    ? `newest line stamped ${l.lastLineAt} (${ageS.toFixed(0)} s before the checkpoint)`
    : `no line carries a readable timestamp (logs.linePattern group ts): last written ${ageS.toFixed(0)} s before the checkpoint (file mtime)${leveled ? "" : "; no line with a level"}`;
  return {
    verdict: ok ? "PASS" : "FAIL",
    measured: `${l.path}: ${newest}; ${win.linesScanned} lines (${parsed} with a level) in the window ${windowText}${l.notes.length ? `; ${l.notes.join("; ")}` : ""}`,
    threshold: `newest line at most ${maxAge} s old (logs.maxSilenceSeconds), lines matching logs.linePattern`,
    advice: "the pipeline is not logging: check the process, the log path in the config, and the log line pattern",
    value: Math.round(ageS),
    evidence: { window: w, lastLineAt: l.lastLineAt, lastLineAgeSeconds: ageS, judgedBy: byStamp ? "line timestamp" : "file mtime", startFoundBy: win.startFoundBy, notes: l.notes.length ? l.notes : undefined },
  };
}

/**
 * "Check for any errors in logs" / "Zero errors in logs" / "Scan logs for warnings/errors": over
 * the checkpoint's window (max(minimum lookback, since the previous checkpoint), also lines an
 * earlier checkpoint read) or since cutover.
 */
export function logErrors(c: CheckpointContext, opts: { window: "checkpoint" | "cutover"; warnIsWarn?: boolean; criticalOnly?: boolean }): CheckOutcome {
  const l = need(c.measurements.logs, "logs");
  const win = l.sinceLastCheckpoint;
  const w = win.window;
  const scan = opts.window === "checkpoint" ? win : l.sinceCutover;
  const limits =
    win.startFoundBy === "read cap"
      ? `; only the newest ${win.readBackBytes} bytes read back (windows.logReadBackBytes)`
      : win.startFoundBy === "no timestamps"
        ? "; no readable timestamps: the lines since the previous checkpoint's offset"
        : "";
  const where =
    opts.window === "checkpoint"
      ? w
        ? `in the window ${w.from} - ${w.to} (${w.reason === "minimum lookback" ? `minimum lookback ${w.minLookbackSeconds} s` : `since the previous checkpoint, ${w.seconds} s`}${limits})`
        : "since the last checkpoint"
      : "since cutover";
  if (scan.linesScanned === 0) {
    return {
      verdict: "FAIL",
      measured: `no log lines ${where} in ${l.path}: nothing to scan`,
      threshold: "log lines present and none at ERROR or CRITICAL",
      advice: "the pipeline is not logging: check the process and the log path",
      value: null,
      evidence: { window: opts.window === "checkpoint" ? w : undefined },
    };
  }
  const samples = opts.window === "checkpoint" ? [...win.samples.critical, ...win.samples.error].slice(0, 3).map((s) => s.line) : [];
  const bad = opts.criticalOnly ? scan.critical : scan.errors + scan.critical;
  let verdict: CheckOutcome["verdict"] = bad > 0 ? "FAIL" : "PASS";
  // ERROR lines of failed requests and runs are the error rate's failures: the same errors get
  // the error rate's band (1 % -> WARN, 20 % -> FAIL), not a second, harsher verdict. Only
  // errors beyond those, or any CRITICAL line, fail this check by themselves. Both windows
  // reach back at least the minimum lookback.
  let explained = "";
  const er = c.measurements.errorRate;
  if (verdict === "FAIL" && !opts.criticalOnly && opts.window === "checkpoint" && scan.critical === 0 && er?.ok) {
    const failures = er.data.window.failedRequests + er.data.window.failedRuns;
    if (failures > 0 && scan.errors <= failures * c.config.target.logs.errorLinesPerFailure) {
      // One fact, one verdict: these failures are the error-rate check's fact (its band, its
      // alert); the log scan shows them as a WARN and does not judge them a second time.
      verdict = "WARN";
      explained = `; all ${scan.errors} ERROR lines are the ${failures} failed requests/runs of the error rate (${er.data.errorRatePercent.toFixed(2)} %), judged by the error-rate check`;
    }
  }
  if (verdict === "PASS" && opts.warnIsWarn && scan.warnings > 0) verdict = "WARN";
  return {
    verdict,
    measured: `${scan.critical} CRITICAL, ${scan.errors} ERROR, ${scan.warnings} WARN in ${scan.linesScanned} lines ${where}${explained}${l.notes.length ? ` (${l.notes.join("; ")})` : ""}${samples.length ? `; e.g. ${samples.map((s) => JSON.stringify(s.slice(0, 160))).join(" | ")}` : ""}`,
    threshold: opts.criticalOnly ? "zero CRITICAL lines" : `zero ERROR and CRITICAL lines${opts.warnIsWarn ? "; WARN lines warn" : ""}`,
    advice: "read the sample lines and the log around them; categorise the errors and identify the affected KPIs",
    value: bad,
    evidence: {
      window: opts.window === "checkpoint" ? w : undefined,
      startFoundBy: opts.window === "checkpoint" ? win.startFoundBy : undefined,
      countsByLevel: scan.countsByLevel,
      samples: opts.window === "checkpoint" ? win.samples : undefined,
      notes: l.notes.length ? l.notes : undefined,
      rotatedTail: l.rotatedTail,
    },
  };
}

/** "Confirm audit trail operational": the monitor's own calculation writes exactly N events. */
export function auditOwnCalculation(c: CheckpointContext): CheckOutcome {
  const a = need(c.measurements.audit, "audit");
  const p = a.probeCalculation;
  return {
    verdict: p.complete ? "PASS" : "FAIL",
    measured: `one KPI calculation (request ${p.requestId}) wrote ${p.eventCount} audit events to ${a.location}${p.missingEvents.length ? `; missing: ${p.missingEvents.join(", ")}` : ""}`,
    threshold: `exactly ${a.eventsPerCalculation} events (${p.expectedEvents.join(", ")})`,
    advice: "audit trail failure: check the logging system, verify database connectivity, review recent changes; rollback if the audit trail is lost",
    value: p.eventCount,
    evidence: { events: p.events },
  };
}

/**
 * "Audit trail generating events" / "Verify audit trail events generated": runs write events too,
 * over the window (max(minimum lookback, since the previous checkpoint)).
 */
export function auditRunsGenerating(c: CheckpointContext): CheckOutcome {
  const a = need(c.measurements.audit, "audit");
  const w = a.sinceLastCheckpoint;
  const win = w.window;
  const windowText = win ? `in the window ${win.from} - ${win.to} (${win.reason === "minimum lookback" ? `minimum lookback ${win.minLookbackSeconds} s` : `since the previous checkpoint, ${win.seconds} s`})` : "since the last checkpoint";
  const gaps = w.incompleteRuns.length + w.runsWithoutEvents.length;
  // Zero events is a FAIL (measured nothing). A window in which no run finished still shows
  // events from KPI requests; the runs' completeness is then judged while they are in a window.
  const verdict = w.eventCount === 0 || gaps > 0 ? "FAIL" : "PASS";
  const per = w.runSources?.length ? ` per ${w.runSources.join(" and ")}` : "";
  const runsText = w.runs.length || (w.runsFinished ?? 0) > 0 ? `from ${w.runs.length} runs${w.runsFinished != null ? ` (${w.runsFinished} runs finished${per})` : ""}` : "(no run finished in this window)";
  return {
    verdict,
    measured: `${w.eventCount} audit events ${windowText} ${runsText}; ${w.incompleteRuns.length} incomplete, ${w.runsWithoutEvents.length} without events${w.runsWithoutEvents.length ? ` (${w.runsWithoutEvents.slice(0, 3).join(", ")})` : ""}`,
    threshold: `events written in the window, and every run in it writes ${a.eventsPerCalculation}; zero events is a FAIL`,
    advice: "audit trail failure: check the logging system, verify database connectivity, review recent changes; rollback if the audit trail is lost",
    value: w.eventCount,
    evidence: { window: win, sinceLastCheckpoint: w },
  };
}

export function validationRan(c: CheckpointContext): CheckOutcome {
  const v = need(c.measurements.validation, "validation");
  const ok = v.exitCode !== null && !v.timedOut && v.reportFresh;
  return {
    verdict: ok ? "PASS" : "FAIL",
    measured: `${v.command.join(" ")} exited ${v.timedOut ? "by timeout" : v.exitCode} in ${(v.commandDurationMs / 1000).toFixed(1)} s; report ${v.reportPath} ${v.reportFresh ? "written by this run" : "NOT refreshed by this run"}`,
    threshold: "the validation command finishes and writes a fresh report",
    advice: "run the validation command by hand and read its output",
    value: v.exitCode,
    evidence: { stdoutTail: v.stdoutTail, stderrTail: v.stderrTail },
  };
}

export function validationReportReviewed(c: CheckpointContext): CheckOutcome {
  const v = need(c.measurements.validation, "validation");
  return {
    verdict: v.missingChecks.length ? "FAIL" : v.verdict === "FAIL" ? "FAIL" : v.verdict === "WARN" ? "WARN" : "PASS",
    measured: `report status ${v.status}, ${v.issues.length} issues, checks: ${v.checks.map((k) => `${k.name}=${k.status ?? "missing"}`).join(", ")}${v.missingChecks.length ? `; missing checks: ${v.missingChecks.join(", ")}` : ""}`,
    threshold: "report parses, overall status PASS, all 5 checks present",
    advice: "read the report's issues; each failed check names what it found",
    value: v.status,
    evidence: { issues: v.issues, checks: v.checks },
  };
}

export function validationAllChecksPass(c: CheckpointContext): CheckOutcome {
  const v = need(c.measurements.validation, "validation");
  const statuses = v.checks.map((k) => k.status ?? "missing");
  let verdict: CheckOutcome["verdict"] = "PASS";
  for (const k of v.checks) verdict = worst(verdict, k.status === "PASS" ? "PASS" : k.status === "WARN" ? "WARN" : "FAIL");
  if (v.missingChecks.length || v.checks.length === 0) verdict = "FAIL";
  return {
    verdict,
    measured: v.checks.map((k, i) => `${k.name}: ${statuses[i]}`).join(", ") || "no checks in the report",
    threshold: "all 5 validation checks PASS",
    advice: "look at the failing check's details in the report and the matching independent check of this checkpoint",
    value: `${v.checks.filter((k) => k.status === "PASS").length}/${v.checks.length + v.missingChecks.length}`,
  };
}

/** "Verify KPI calculations on test data": the monitor recomputes against golden values. */
export function kpiGolden(c: CheckpointContext): CheckOutcome {
  const l = need(c.measurements.latency, "latency");
  if (l.kpis.length === 0 || l.okCount === 0) {
    return {
      verdict: "FAIL",
      measured: "no KPI values returned for the golden tape",
      threshold: "every KPI equals the golden expected value",
      advice: "the KPI endpoint does not answer with values; check the pipeline",
      value: null,
    };
  }
  const bad = l.kpis.filter((k) => !k.match);
  return {
    verdict: bad.length === 0 && l.kpiMismatchSamples === 0 ? "PASS" : "FAIL",
    measured: l.kpis.map((k) => `${k.name} ${k.actual ?? "missing"} (expected ${k.expected})`).join(", ") + (l.kpiMismatchSamples ? `; ${l.kpiMismatchSamples} responses differed` : ""),
    threshold: `each KPI within ${l.kpis[0]?.tolerance} of the golden value computed independently (${l.tapePath})`,
    advice: "KPI calculations are wrong: treat as a data quality issue, halt new processing and compare with V1",
    value: bad.length,
    evidence: { kpis: l.kpis },
  };
}

/** "KPI values in expected ranges": the KPI output of the live pipeline's latest run. */
export function kpiRanges(c: CheckpointContext): CheckOutcome {
  const q = need(c.measurements.dataQuality, "dataQuality");
  const ranges = Object.entries(c.config.target.kpi.ranges);
  const valueOf = (p: string): number | null => {
    const v = getPath(q.kpiFile.content, p);
    if (typeof v === "number") return v;
    const inner = getPath(v, "value");
    return typeof inner === "number" ? inner : null;
  };
  const values = ranges.map(([name, r]) => ({ name, r, v: valueOf(r.path) }));
  const missing = values.filter((x) => x.v === null).map((x) => x.name);
  if (!q.kpiFile.readable || missing.length || values.length === 0) {
    return {
      verdict: "FAIL",
      measured: `KPI output ${q.kpiFile.path} ${q.kpiFile.readable ? `lacks ${missing.join(", ") || "every KPI"}` : `unreadable: ${q.kpiFile.error}`}`,
      threshold: `${ranges.map(([n]) => n).join(", ")} present`,
      advice: "check the output phase of the latest run",
      value: null,
    };
  }
  const problems: string[] = [];
  let verdict: CheckOutcome["verdict"] = "PASS";
  const flag = (v: CheckOutcome["verdict"], text: string) => {
    verdict = worst(verdict, v);
    problems.push(text);
  };
  const describe: string[] = [];
  for (const { name, r, v } of values) {
    const x = v as number;
    if ((r.min !== undefined && x < r.min) || (r.max !== undefined && x > r.max)) flag("FAIL", `${name} ${x} outside ${r.min ?? "-inf"}..${r.max ?? "inf"}`);
    if (r.direction && r.warning !== undefined && r.critical !== undefined) {
      const beyond = (limit: number) => (r.direction === "higher_is_worse" ? x > limit : x < limit);
      if (beyond(r.critical)) flag("FAIL", `${name} ${x} beyond critical ${r.critical}`);
      else if (beyond(r.warning)) flag("WARN", `${name} ${x} beyond warning ${r.warning}`);
      describe.push(`${name} ${r.direction === "higher_is_worse" ? "<=" : ">="} ${r.warning} (critical ${r.critical})`);
    } else if (r.min !== undefined || r.max !== undefined) {
      describe.push(`${name} in ${r.min ?? "-inf"}..${r.max ?? "inf"}`);
    }
  }
  return {
    verdict,
    measured: values.map(({ name, v }) => `${name} ${v}`).join(", ") + (problems.length ? `: ${problems.join("; ")}` : ""),
    threshold: describe.join(", "),
    advice: "a KPI outside its range: compare with the input tape and the previous run; investigate the data source",
    value: problems.length,
  };
}

/** "Verify data quality (null counts, duplicates)" and "Data Integrity" / "Data quality maintained": the local channel (src/checks/outputs.ts). */
export function dataQuality(c: CheckpointContext): CheckOutcome {
  return outputs.channelDataQuality(c, "local");
}

/** "Test output channels (local ...)": the local output channel was written and is readable (src/checks/outputs.ts). */
export function localOutputChannel(c: CheckpointContext): CheckOutcome {
  return outputs.outputChannel(c, "local");
}

export function cutoverExecuted(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  if (m.skipped) {
    return {
      verdict: m.log ? "PASS" : "FAIL",
      measured: `cutover not run again: ${m.reason}; latest cutover log ${m.log?.path ?? "none"}`,
      threshold: "the cutover script ran (or V2 was already active with a cutover log)",
      advice: "use --force to cut over again",
      value: "skipped",
    };
  }
  const ok = m.exitCode === 0 && !m.timedOut;
  return {
    verdict: ok ? "PASS" : "FAIL",
    measured: `${m.command.join(" ")} exited ${m.timedOut ? "by timeout" : m.exitCode} after ${((m.commandDurationMs ?? 0) / 1000).toFixed(1)} s${m.log?.failedPhase ? `; failed phase: ${m.log.failedPhase}` : ""}`,
    threshold: "the cutover script completes with exit code 0",
    advice: "read the cutover log; fix the failing phase or roll back (./scripts/rollback_to_v1.sh)",
    value: m.exitCode,
    evidence: { output: m.output.slice(-20) },
  };
}

export function cutoverOutputMonitored(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  if (m.skipped) {
    // Nothing ran to stream: what stands for it is the log of the cutover that did run.
    return {
      verdict: m.log ? "PASS" : "FAIL",
      measured: `not run again (${m.reason}); ${m.log ? `its output is in ${m.log.path}` : "and no cutover log exists"}`,
      threshold: "the script's output streamed to the console and the report, or the log of the cutover that ran",
      advice: "no cutover has been recorded: run hour0 with --force",
      value: 0,
    };
  }
  return {
    verdict: m.output.length > 0 ? "PASS" : "FAIL",
    measured: `${m.output.length} output lines streamed live and attached`,
    threshold: "the script's output streamed to the console and the report (at least one line)",
    advice: "the cutover script printed nothing: check that it runs at all",
    value: m.output.length,
    evidence: { output: m.output },
  };
}

export function cutoverPhases(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  if (!m.log) {
    return { verdict: "FAIL", measured: "no cutover log found", threshold: "5 phases reported SUCCESS in the cutover log", advice: "check logs/ for cutover_*.log", value: null };
  }
  const ok = m.log.phases.filter((p) => p.result === "SUCCESS");
  return {
    verdict: m.log.allPhasesSucceeded && m.log.phases.length > 0 ? "PASS" : "FAIL",
    measured: m.log.phases.map((p) => `${p.index}/${m.log!.phases.length} ${p.name}: ${p.result}${p.reason ? ` (${p.reason})` : ""}`).join(", "),
    threshold: `all ${m.log.phases.length} phases SUCCESS`,
    advice: `phase ${m.log.failedPhase ?? "?"} failed: read ${m.log.path}; roll back if V2 is half-activated`,
    value: `${ok.length}/${m.log.phases.length}`,
  };
}

export function cutoverLogCreated(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  const ok = !!m.log && (m.skipped || m.logFresh);
  return {
    verdict: ok ? "PASS" : "FAIL",
    measured: m.log ? `${m.log.path} (${m.logFresh ? "written by this cutover" : "from an earlier cutover"})` : "no cutover log",
    threshold: "a cutover_*.log written by this cutover in logs/",
    advice: "the cutover did not log: check the script and the logs/ directory",
    value: m.log?.path ?? null,
  };
}

export function rollbackPrepared(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  const r = m.rollback;
  const noChecksums = c.config.target.cutover.checksumsFile == null;
  return {
    verdict: !r.exists ? "FAIL" : noChecksums ? "WARN" : r.checksumsPresent ? "PASS" : "FAIL",
    measured: `rollback directory ${r.dir ?? "missing"}${r.exists ? "" : " (absent)"}; checksums ${noChecksums ? "not configured (cutover.checksumsFile is null): the rollback's data check will say 'not verified'" : r.checksumsPresent ? r.checksumsFile : "missing"}`,
    threshold: "a rollback directory with the V1 configuration and output checksums",
    advice: "without a prepared rollback the cutover cannot be safely undone: prepare it before going on",
    value: r.dir,
  };
}

export function cutoverTimingAndWarnings(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  if (!m.log) return { verdict: "FAIL", measured: "no cutover log", threshold: "duration and warnings recorded", value: null };
  const duration = m.log.reportedDurationMs ?? m.commandDurationMs;
  return {
    verdict: duration == null ? "FAIL" : m.log.warnings.length ? "WARN" : "PASS",
    measured: `execution time ${duration == null ? "unknown" : `${(duration / 1000).toFixed(2)} s`}; ${m.log.warnings.length} warnings${m.log.warnings.length ? `: ${m.log.warnings.slice(0, 3).join(" | ")}` : ""}`,
    threshold: "duration recorded; warnings are reported (WARN) for review",
    advice: "review each warning and document it",
    value: duration,
    evidence: { warnings: m.log.warnings },
  };
}

export function cutoverCompleted(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.cutover, "cutover");
  const ok = !!m.log?.completed && (m.skipped || m.exitCode === 0);
  return {
    verdict: ok ? "PASS" : "FAIL",
    measured: `completion line: ${m.log?.completionLine ?? "none"}; exit ${m.skipped ? "(not run again)" : m.exitCode}`,
    threshold: "the script completes without errors (completion line, exit 0)",
    advice: "read the cutover log and fix or roll back",
    value: m.log?.completionLine ?? null,
  };
}

export function testSuitePassing(c: CheckpointContext): CheckOutcome {
  const r = c.measurements.testSuite;
  // The target's own failure here is usually its report (missing, empty, totals that do not add
  // up), not an unreachable pipeline: say so instead of the generic "did not answer".
  if (r && !r.ok && r.failure === "target") {
    return {
      verdict: "FAIL",
      notMeasured: true,
      measured: `not measured: ${r.message}`,
      threshold: "the test command writes a fresh JUnit report whose header totals match its test cases, every test passing",
      advice: "read the test command's output and its JUnit report (testSuite.junitPath): a report that is missing, empty or does not add up cannot show the tests passing; re-run the suite",
      value: null,
    };
  }
  const t = need(r, "testSuite");
  const expected = t.expectedTotal;
  let verdict: CheckOutcome["verdict"] = "PASS";
  if (t.total === 0 || t.failed + t.errors > 0 || !t.junitFresh) verdict = "FAIL";
  if (expected != null && t.passed < expected) verdict = "FAIL";
  return {
    verdict,
    measured: `${t.passed}/${t.total} tests passing${t.failedNames.length ? `; failing: ${t.failedNames.slice(0, 5).join(", ")}` : ""}${t.junitFresh ? "" : "; JUnit XML not refreshed by this run"}`,
    threshold: expected != null ? `${expected}/${expected} passing` : "all tests passing, at least one",
    advice: "read the failing tests in the JUnit XML; a test count below the one recorded before cutover means tests went missing",
    value: `${t.passed}/${expected ?? t.total}`,
    evidence: { junitPath: t.junitPath, failedNames: t.failedNames },
  };
}
