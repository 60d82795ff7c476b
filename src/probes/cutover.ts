import fs from "node:fs";
import path from "node:path";
import type { TargetConfig } from "../config/target.js";
import { errorText, globPaths, ProbeError, runProbe, runTargetCommand, targetFailure } from "./target-io.js";
import { readHealth } from "./health.js";
import type { ProbeContext, ProbeResult } from "./probe.js";

export interface CutoverPhaseResult {
  index: number;
  name: string;
  result: "SUCCESS" | "FAILED" | "MISSING";
  reason?: string;
}

export interface CutoverLogParse {
  path: string;
  mtimeMs: number;
  phases: CutoverPhaseResult[];
  allPhasesSucceeded: boolean;
  warnings: string[];
  completed: boolean;
  completionLine: string | null;
  /** duration_ms from the completion line, when present. */
  reportedDurationMs: number | null;
  failedPhase: string | null;
}

export interface CutoverMeasurement {
  skipped: boolean;
  reason?: string;
  versionBefore: string | null;
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  commandDurationMs: number | null;
  /** Epoch ms when the command started (the cutover start), null when skipped. */
  startedAtMs: number | null;
  /** Last lines of the command's output (also streamed to ctx.onLine). */
  output: { stream: "stdout" | "stderr"; line: string }[];
  /** Parse of the newest cutover log; null when none exists. */
  log: CutoverLogParse | null;
  /** The newest log was written by this run. */
  logFresh: boolean;
  rollback: { dir: string | null; exists: boolean; checksumsFile: string | null; checksumsPresent: boolean };
}

/** Parse a cutover log's text: the configured phases and their results, warnings, completion. */
export function parseCutoverLog(target: TargetConfig, text: string, file: string, mtimeMs: number): CutoverLogParse {
  const c = target.cutover;
  const phaseRe = new RegExp(c.phaseLineRegex);
  const doneRe = new RegExp(c.completionRegex);
  const failRe = new RegExp(c.failureRegex);
  const warnRe = new RegExp(c.warningRegex);
  const seen = new Map<string, CutoverPhaseResult>();
  const warnings: string[] = [];
  let completionLine: string | null = null;
  let reportedDurationMs: number | null = null;
  let failedPhase: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const pm = phaseRe.exec(line);
    if (pm?.groups) {
      const name = pm.groups.name ?? "";
      const ok = pm.groups.result === c.successValue;
      const reason = pm.groups.reason?.trim();
      seen.set(name, {
        index: Number(pm.groups.index ?? c.phases.indexOf(name) + 1),
        name,
        result: ok ? "SUCCESS" : "FAILED",
        ...(reason ? { reason } : {}),
      });
      continue;
    }
    const wm = warnRe.exec(line);
    if (wm) warnings.push((wm.groups?.message ?? line).trim());
    const dm = doneRe.exec(line);
    if (dm) {
      completionLine = line;
      const d = dm.groups?.duration;
      if (d !== undefined) reportedDurationMs = Number(d);
    }
    const fm = failRe.exec(line);
    if (fm) failedPhase = fm.groups?.phase ?? "unknown";
  }
  const phases: CutoverPhaseResult[] = c.phases.map(
    (name, i) => seen.get(name) ?? { index: i + 1, name, result: "MISSING" as const },
  );
  return {
    path: file,
    mtimeMs,
    phases,
    allPhasesSucceeded: phases.every((p) => p.result === "SUCCESS"),
    warnings,
    completed: completionLine !== null && failedPhase === null,
    completionLine,
    reportedDurationMs,
    failedPhase,
  };
}

async function newestCutoverLog(target: TargetConfig): Promise<CutoverLogParse | null> {
  const newest = (await globPaths(target.stateDir, target.cutover.logGlob)).find((p) => !p.isDirectory);
  if (!newest) return null;
  const text = await fs.promises.readFile(newest.path, "utf8");
  return parseCutoverLog(target, text, newest.path, newest.mtimeMs);
}

async function rollbackDir(target: TargetConfig): Promise<CutoverMeasurement["rollback"]> {
  const dir = (await globPaths(target.stateDir, target.cutover.rollbackDirGlob)).find((p) => p.isDirectory);
  if (!dir) return { dir: null, exists: false, checksumsFile: null, checksumsPresent: false };
  if (target.cutover.checksumsFile == null) return { dir: dir.path, exists: true, checksumsFile: null, checksumsPresent: false };
  const sums = path.join(dir.path, target.cutover.checksumsFile);
  return { dir: dir.path, exists: true, checksumsFile: sums, checksumsPresent: fs.existsSync(sums) };
}

/**
 * Hour 0: run the cutover command (output streamed to ctx.onLine), then read the newest cutover
 * log and the rollback directory. When health already reports the post-cutover version and
 * ctx.force is not set, the command is not run: `skipped` with the last cutover log's parse.
 */
export function probeCutover(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<CutoverMeasurement>> {
  return runProbe(async () => {
    const c = target.cutover;
    let versionBefore: string | null = null;
    try {
      versionBefore = (await readHealth(target)).version;
    } catch (err) {
      // The cutover command itself decides whether an unhealthy target can be cut over;
      // an unreadable health answer only means we cannot skip.
      if (!(err instanceof ProbeError)) throw err;
    }
    if (versionBefore === target.health.expectedVersionAfterCutover && !ctx.force) {
      return {
        skipped: true,
        reason: `${versionBefore.toUpperCase()} already active`,
        versionBefore,
        command: c.command,
        exitCode: null,
        timedOut: false,
        commandDurationMs: null,
        startedAtMs: null,
        output: [],
        log: await newestCutoverLog(target),
        logFresh: false,
        rollback: await rollbackDir(target),
      };
    }
    const out = await runTargetCommand(target, c, "cutover", { onLine: ctx.onLine, keepLines: c.keepOutputLines, now: ctx.now });
    if (out.timedOut) throw targetFailure(`cutover command timed out after ${c.timeoutMs} ms: ${out.argv.join(" ")}`);
    let log: CutoverLogParse | null;
    try {
      log = await newestCutoverLog(target);
    } catch (err) {
      throw targetFailure(`cutover log unreadable (cutover.logGlob ${c.logGlob}): ${errorText(err)}`);
    }
    return {
      skipped: false,
      versionBefore,
      command: out.argv,
      exitCode: out.exitCode,
      timedOut: out.timedOut,
      commandDurationMs: out.durationMs,
      startedAtMs: out.startedAtMs,
      output: out.lines,
      log,
      logFresh: log !== null && log.mtimeMs >= out.startedAtMs - 1000,
      rollback: await rollbackDir(target),
    };
  });
}
