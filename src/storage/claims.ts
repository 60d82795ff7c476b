/**
 * One runner per scheduled checkpoint (docs/DESIGN.md "History in PostgreSQL"): before a checkpoint
 * that stands for a slot runs, it claims (cutover, slot): a row with its owner (pid, host, a token)
 * and a lease, renewed while it runs. A second runner started at once finds the claim live and
 * says "already running"; one started after it finished (`--phase=auto`) finds it done and says
 * "already done". A claim whose lease expired, or whose process is gone on this host, was
 * abandoned: the next runner takes it over (like the rollback claim, src/act/rollback.ts).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { z } from "zod";
import { pidAlive } from "../state/pid.js";

/** How long a claim holds without renewal (real ms); it is renewed every third of it while the checkpoint runs. */
export const CLAIM_LEASE_MS = 120_000;

export const claimRowSchema = z.object({
  /** The recorded cutover start the slot belongs to ("none" before any cutover is recorded). */
  cutoverStart: z.string(),
  /** "stability@02:00", or the phase alone for a `--phase=auto` run that stands for no slot. */
  slot: z.string(),
  status: z.enum(["running", "done"]),
  token: z.string(),
  owner: z.object({ pid: z.number().int(), host: z.string() }),
  claimedAt: z.string(),
  leaseUntil: z.string(),
  finishedAt: z.string().optional(),
  checkpointId: z.string().optional(),
});
export type ClaimRow = z.infer<typeof claimRowSchema>;

export type ClaimStanding = "done" | "live" | "abandoned";

/** A running claim is live while its lease holds and, on this host, while its process lives. */
export function claimStanding(row: ClaimRow, nowMs: number, host = os.hostname(), alive: (pid: number) => boolean = pidAlive): ClaimStanding {
  if (row.status === "done") return "done";
  if (Date.parse(row.leaseUntil) <= nowMs) return "abandoned";
  if (row.owner.host === host && !alive(row.owner.pid)) return "abandoned";
  return "live";
}

export interface SlotClaimRequest {
  /** The cutover the slot belongs to (null: none recorded yet). */
  cutoverStartedAt: string | null;
  slot: string;
  /** `--phase=auto` (a scheduled runner): a slot already done is not run again. A run by hand may repeat a done slot. */
  auto: boolean;
}

/** What a backend does atomically (a row lock, a file lock). */
export interface ClaimBackend {
  /**
   * Under the slot's lock: no row -> `candidate` is written (claimed); a row -> `decide(existing)`:
   * "take" writes `candidate` over it (claimed), "keep" leaves it. Returns the row that was there.
   */
  tryClaim(candidate: ClaimRow, decide: (existing: ClaimRow) => "take" | "keep"): Promise<{ claimed: boolean; existing: ClaimRow | null }>;
  /** Changes the claim if it is still this token's: a new lease, done, or removed (null). */
  change(key: { cutoverStart: string; slot: string }, token: string, next: Partial<ClaimRow> | null): Promise<void>;
  /** For messages. */
  readonly where: string;
}

export interface SlotClaim {
  readonly row: ClaimRow;
  /** After the record: done (the slot ran), or released when the run did not do the slot's work (an hour0 that recorded no cutover). */
  finish(done: boolean, checkpointId?: string): Promise<void>;
  /** Released unless already finished (the run failed or stopped): another runner may run the slot. */
  release(): Promise<void>;
}

export type SlotClaimResult =
  | { claimed: true; claim: SlotClaim; tookOver: ClaimRow | null }
  | { claimed: false; standing: "done" | "running"; by: ClaimRow; message: string };

const NONE = "none";

export async function claimSlot(backend: ClaimBackend, req: SlotClaimRequest, nowMs = Date.now()): Promise<SlotClaimResult> {
  const row: ClaimRow = {
    cutoverStart: req.cutoverStartedAt ?? NONE,
    slot: req.slot,
    status: "running",
    token: randomBytes(8).toString("hex"),
    owner: { pid: process.pid, host: os.hostname() },
    claimedAt: new Date(nowMs).toISOString(),
    leaseUntil: new Date(nowMs + CLAIM_LEASE_MS).toISOString(),
  };
  let blocked: { standing: "done" | "running"; by: ClaimRow } | null = null;
  let tookOver: ClaimRow | null = null;
  const { claimed, existing } = await backend.tryClaim(row, (e) => {
    const standing = claimStanding(e, Date.now());
    if (standing === "live") blocked = { standing: "running", by: e };
    else if (standing === "done" && req.auto) blocked = { standing: "done", by: e };
    else {
      tookOver = standing === "abandoned" ? e : null;
      return "take";
    }
    return "keep";
  });
  if (!claimed) {
    const b = (blocked as { standing: "done" | "running"; by: ClaimRow } | null) ?? { standing: "running" as const, by: existing! };
    return { claimed: false, ...b, message: blockedMessage(b.standing, b.by, backend.where) };
  }
  return { claimed: true, claim: heldClaim(backend, row), tookOver };
}

function blockedMessage(standing: "done" | "running", by: ClaimRow, where: string): string {
  const of = `${by.slot} of ${by.cutoverStart === NONE ? "this cutover (none recorded yet)" : `the cutover of ${by.cutoverStart}`}`;
  return standing === "running"
    ? `already running: ${of} is being run by pid ${by.owner.pid} on ${by.owner.host} since ${by.claimedAt} (claim in ${where}, lease until ${by.leaseUntil}); not run again by this runner`
    : `already done: ${of} ran${by.checkpointId ? ` (checkpoint ${by.checkpointId}` : " ("}${by.finishedAt ? `${by.checkpointId ? ", " : ""}finished ${by.finishedAt}` : ""}); not run again`;
}

function heldClaim(backend: ClaimBackend, row: ClaimRow): SlotClaim {
  const key = { cutoverStart: row.cutoverStart, slot: row.slot };
  let finished = false;
  const timer = setInterval(() => {
    void backend.change(key, row.token, { leaseUntil: new Date(Date.now() + CLAIM_LEASE_MS).toISOString() }).catch(() => undefined);
  }, CLAIM_LEASE_MS / 3);
  timer.unref();
  const end = async (next: Partial<ClaimRow> | null) => {
    if (finished) return;
    finished = true;
    clearInterval(timer);
    await backend.change(key, row.token, next);
  };
  return {
    row,
    finish: (done, checkpointId) => end(done ? { status: "done", finishedAt: new Date().toISOString(), ...(checkpointId ? { checkpointId } : {}) } : null),
    release: () => end(null),
  };
}
