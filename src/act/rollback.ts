/**
 * The guarded rollback: claimed atomically under the state lock (at most one per cutover, even
 * with two checkpoints deciding at once), run through the target's command runner (argv, no
 * shell, timeout), then verified: V1 operational and the data intact against the checksums the
 * cutover recorded.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { pidAlive } from "../state/pid.js";
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

/** How a claimed attempt stands now. */
export type ClaimStanding = "finished" | "live" | "abandoned";


/**
 * A running claim is live while its lease holds and, on this host, while its checkpoint (or the
 * rollback command it started) is still a process. A claim without a lease comes from a runner
 * that could not renew it: abandoned. Across hosts only the lease decides.
 */
export function claimStanding(a: RollbackAttempt, nowMs: number, host = os.hostname(), alive: (pid: number) => boolean = pidAlive): ClaimStanding {
  if (a.status === "succeeded" || a.status === "failed") return "finished";
  if (a.status === "abandoned") return "abandoned";
  if (!a.leaseUntil || Date.parse(a.leaseUntil) <= nowMs) return "abandoned";
  if (a.owner && a.owner.host === host) {
    const anyAlive = alive(a.owner.pid) || (a.owner.commandPid != null && alive(a.owner.commandPid));
    if (!anyAlive) return "abandoned";
  }
  return "live";
}

/**
 * The lease a claim gets: the rollback command's timeout, its kill grace, the verification's
 * requests and a margin. The command cannot outlive its timeout, so a claim older than this
 * was abandoned.
 */
export function rollbackLeaseMs(config: MonitorConfig): number {
  const t = config.target;
  return t.rollback.timeoutMs + 5_000 + 2 * t.requestTimeoutMs + 60_000;
}

/** One line for an abandoned claim: who claimed it, when, and why it is known dead. */
export function abandonedText(a: RollbackAttempt, nowMs: number, host = os.hostname()): string {
  const who = a.owner ? `pid ${a.owner.pid} on ${a.owner.host}` : "a checkpoint that recorded no owner";
  const why = !a.leaseUntil
    ? "it holds no lease"
    : Date.parse(a.leaseUntil) <= nowMs
      ? `its lease expired at ${a.leaseUntil}`
      : a.owner?.host === host
        ? "its process is gone"
        : "it was abandoned";
  return `the rollback claimed at ${a.startedAt} by ${who} never finished (${why}): nothing is known to have rolled back`;
}

/**
 * Marks this cutover's abandoned claims as such (under the state lock) and returns those newly
 * marked, so that each is reported loudly once.
 */
export async function reapAbandonedClaims(state: MonitorState, cutoverStartedAt: string, nowMs: number): Promise<RollbackAttempt[]> {
  const reaped: RollbackAttempt[] = [];
  const at = new Date(nowMs).toISOString();
  await state.rollback.update((f) => {
    let changed = false;
    const attempts = f.attempts.map((a) => {
      if (a.cutoverStartedAt !== cutoverStartedAt || a.status !== "running" || claimStanding(a, nowMs) !== "abandoned") return a;
      changed = true;
      const marked: RollbackAttempt = { ...a, status: "abandoned", abandonedAt: at, error: abandonedText(a, nowMs) };
      reaped.push(marked);
      return marked;
    });
    return changed ? { ...f, attempts } : f;
  });
  return reaped;
}

export type RollbackClaim =
  | { claimed: true; attempt: RollbackAttempt; tookOver: RollbackAttempt | null }
  | { claimed: false; blockedBy: RollbackAttempt; standing: ClaimStanding };

/**
 * Claims the rollback for this cutover, atomically under the state file's lock: at most one
 * attempt executes at a time and a finished attempt is never repeated. An abandoned claim (its
 * runner died between claiming and finishing) is taken over, and named in the result.
 */
export async function claimRollback(config: MonitorConfig, state: MonitorState, cutover: CutoverState, incident: string, clock: Clock): Promise<RollbackClaim> {
  const nowMs = clock.now();
  const startedAt = new Date(nowMs).toISOString();
  const attempt: RollbackAttempt = {
    cutoverStartedAt: cutover.startedAt,
    incident,
    startedAt,
    status: "running",
    owner: { pid: process.pid, host: os.hostname() },
    leaseUntil: new Date(Date.now() + rollbackLeaseMs(config)).toISOString(),
  };
  let result: RollbackClaim | null = null;
  await state.rollback.update((f) => {
    const mine = f.attempts.filter((a) => a.cutoverStartedAt === cutover.startedAt);
    const blocking = mine.find((a) => claimStanding(a, Date.now()) !== "abandoned");
    if (blocking) {
      result = { claimed: false, blockedBy: blocking, standing: claimStanding(blocking, Date.now()) };
      return f;
    }
    const abandoned = mine.filter((a) => a.status === "running" || (a.status === "abandoned" && !a.takenOverBy));
    const tookOver = abandoned[abandoned.length - 1] ?? null;
    const attempts = f.attempts.map((a) =>
      abandoned.includes(a) ? { ...a, status: "abandoned" as const, abandonedAt: a.abandonedAt ?? startedAt, error: a.error ?? abandonedText(a, Date.now()), takenOverBy: startedAt } : a,
    );
    result = { claimed: true, attempt, tookOver: tookOver ? { ...tookOver, status: "abandoned", takenOverBy: startedAt, error: tookOver.error ?? abandonedText(tookOver, Date.now()) } : null };
    return { ...f, attempts: [...attempts, attempt] };
  });
  return result!;
}

/**
 * Runs and verifies the rollback once claimed (see claimRollback). The lease uses the real time
 * (Date.now), not the checkpoint's clock: it is read by other processes.
 */
export async function executeRollback(config: MonitorConfig, state: MonitorState, events: EventsLog, cutover: CutoverState, decision: Decision, clock: Clock, claim: Extract<RollbackClaim, { claimed: true }>): Promise<RollbackAttempt> {
  const { attempt } = claim;
  const startedAt = attempt.startedAt;
  const t0 = performance.now();
  const t0Epoch = Date.now();
  const target = config.target;
  let exitCode: number | null = null;
  let error: string | undefined;
  try {
    // The same runner as the probes' commands: argv, no shell, timeout, target.commandEnv.
    const res = await runTargetCommand(target, target.rollback, "rollback", {
      // The command's pid joins the claim: while it runs, the claim is live even if this process dies.
      onSpawn: (pid) => void state.rollback.update((f) => ({ ...f, attempts: f.attempts.map((a) => (a.startedAt === startedAt && a.cutoverStartedAt === cutover.startedAt && a.owner ? { ...a, owner: { ...a.owner, commandPid: pid } } : a)) })).catch(() => {}),
    });
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
