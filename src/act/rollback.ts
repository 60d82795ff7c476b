/**
 * The guarded rollback: claimed atomically under the state lock (at most one per cutover, even
 * with two checkpoints deciding at once), run through the target's command runner (argv, no
 * shell, timeout), then verified: V1 operational and the data intact against the checksums the
 * cutover recorded.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { MonitorConfig } from "../config/schema.js";
import type { Decision } from "../judge/decide.js";
import type { Clock } from "../judge/clock.js";
import { readHealth } from "../probes/health.js";
import { globPaths, runTargetCommand } from "../probes/target-io.js";
import type { EventsLog } from "../report/events-log.js";
import type { CutoverState } from "../checkpoint/context.js";
import type { MonitorState, RollbackAttempt } from "../checkpoint/state.js";

export interface RollbackVerification {
  ok: boolean;
  /** V1 is up but nothing could be compared (no checksums configured): shown as a WARN. */
  notVerified?: boolean;
  reason?: string;
  version: string | null;
  checksums: { file: string; ok: boolean; how: string }[];
}

/** Runs and verifies the rollback; null when another checkpoint had already claimed it. */
export async function executeRollback(config: MonitorConfig, state: MonitorState, events: EventsLog, cutover: CutoverState, decision: Decision, clock: Clock): Promise<RollbackAttempt | null> {
  const startedAt = new Date(clock.now()).toISOString();
  const attempt: RollbackAttempt = { cutoverStartedAt: cutover.startedAt, incident: decision.alerts.join(",") || decision.reason, startedAt, status: "running" };
  // Claim the attempt first, atomically under the state file's lock: a crash mid-rollback, or
  // a second checkpoint deciding the same at the same moment, must not lead to a second attempt.
  let claimed = false;
  await state.rollback.update((f) => {
    if (f.attempts.some((a) => a.cutoverStartedAt === cutover.startedAt)) return f;
    claimed = true;
    return { ...f, attempts: [...f.attempts, attempt] };
  });
  if (!claimed) return null;
  const t0 = performance.now();
  const t0Epoch = Date.now();
  const target = config.target;
  let exitCode: number | null = null;
  let error: string | undefined;
  try {
    // The same runner as the probes' commands: argv, no shell, timeout, target.commandEnv.
    const res = await runTargetCommand(target, target.rollback, "rollback");
    exitCode = res.exitCode;
    if (res.timedOut) error = `rollback command timed out after ${target.rollback.timeoutMs} ms`;
    else if (exitCode !== 0) error = `rollback command exited ${exitCode}: ${res.lines.slice(-3).map((l) => l.line).join(" | ")}`;
  } catch (e) {
    error = `rollback command could not run: ${(e as Error).message}`;
  }
  const verification = await verifyRollback(config, t0Epoch);
  if (!error && !verification.ok) error = verification.reason;
  const finished: RollbackAttempt = {
    ...attempt,
    finishedAt: new Date(clock.now()).toISOString(),
    status: error ? "failed" : "succeeded",
    exitCode,
    durationMs: Math.round(performance.now() - t0),
    verification: verification as unknown as Record<string, unknown>,
    error,
  };
  await state.rollback.update((f) => ({ ...f, attempts: f.attempts.map((a) => (a.startedAt === startedAt && a.cutoverStartedAt === cutover.startedAt ? finished : a)) }));
  if (finished.status === "succeeded") {
    await state.cutover.update((f) => ({ ...f, current: f.current ? { ...f.current, rolledBack: { at: finished.finishedAt!, reason: decision.reason, verified: true } } : f.current }));
  }
  events.write({ type: "rollback", severity: "critical", status: finished.status, durationMs: finished.durationMs, verification, error });
  return finished;
}

/**
 * V1 operational (health reports the pre-cutover version) and data intact: every output
 * snapshotted at cutover is byte-identical to its recorded checksum — or was rewritten by the
 * running V1 pipeline after the rollback started (a live pipeline keeps producing outputs; the
 * file's age says which), in which case the snapshot in the rollback directory must be intact.
 */
export async function verifyRollback(
  config: MonitorConfig,
  rollbackStartedMs: number,
): Promise<RollbackVerification> {
  const t = config.target;
  let version: string | null = null;
  try {
    version = (await readHealth(t)).version;
  } catch (e) {
    return { ok: false, reason: `V1 not operational: health check failed (${(e as Error).message})`, version, checksums: [] };
  }
  if (version !== t.health.expectedVersionBeforeCutover) {
    return { ok: false, reason: `V1 not operational: health reports version ${version}`, version, checksums: [] };
  }
  const stateDir = path.resolve(t.stateDir);
  if (t.cutover.checksumsFile == null) {
    // Nothing to compare with: V1 is up, the data is "not verified" (a WARN, never a pass).
    return { ok: true, notVerified: true, reason: "data not verified: cutover.checksumsFile is null (no checksums recorded at cutover)", version, checksums: [] };
  }
  const rollbackDirs = (await globPaths(stateDir, t.cutover.rollbackDirGlob)).filter((d) => d.isDirectory).sort((a, b) => b.mtimeMs - a.mtimeMs);
  const newest = rollbackDirs[0];
  if (!newest) return { ok: false, reason: `data integrity unknown: no directory matches cutover.rollbackDirGlob "${t.cutover.rollbackDirGlob}" under ${stateDir}`, version, checksums: [] };
  const sumsPath = path.join(newest.path, t.cutover.checksumsFile);
  let sums: Record<string, string>;
  try {
    sums = JSON.parse(await readFile(sumsPath, "utf8"));
  } catch (e) {
    return { ok: false, reason: `data integrity unknown: ${sumsPath} (cutover.checksumsFile) unreadable (${(e as Error).message})`, version, checksums: [] };
  }
  const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
  const checksums = Object.entries(sums).map(([file, sum]) => {
    try {
      const live = path.join(stateDir, file);
      if (sha(live) === sum) return { file, ok: true, how: "restored byte-identical to the cutover checksum" };
      const rewrittenByV1 = statSync(live).mtimeMs >= rollbackStartedMs;
      const snapshot = path.join(newest.path, file);
      const snapshotIntact = existsSync(snapshot) && sha(snapshot) === sum;
      if (rewrittenByV1 && snapshotIntact) return { file, ok: true, how: "rewritten by V1 after the rollback; the cutover snapshot is intact" };
      return { file, ok: false, how: rewrittenByV1 ? "rewritten after the rollback but the cutover snapshot does not match its checksum" : "differs from the cutover checksum" };
    } catch (e) {
      return { file, ok: false, how: `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  });
  const bad = checksums.filter((c) => !c.ok);
  if (checksums.length === 0) return { ok: false, reason: "data integrity unknown: no checksums recorded", version, checksums };
  return bad.length ? { ok: false, reason: `data not intact: ${bad.map((b) => `${b.file} ${b.how}`).join("; ")}`, version, checksums } : { ok: true, version, checksums };
}
