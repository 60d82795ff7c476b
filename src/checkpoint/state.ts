/**
 * State that must outlive a checkpoint process (a scheduled CI job starts a fresh one each
 * time): the cutover start, probe cursors, attestations, rollback attempts. Each file is JSON,
 * written atomically under a lock, validated on read, never reset silently.
 */
import { z } from "zod";
import { stateFile } from "../state/state-file.js";
import path from "node:path";
import { emptyJudgeState, judgeStateFile, judgeStateSchema } from "../judge/judge-state.js";
import { STATE_DOCS, type Storage } from "../storage/storage.js";
import type { MonitorPaths } from "./paths.js";

const cutoverStateSchema = z.object({
  startedAt: z.string(),
  recordedBy: z.string(),
  rolledBack: z.object({ at: z.string(), reason: z.string(), verified: z.boolean() }).optional(),
});

const cutoverFileSchema = z.object({ version: z.literal(1), current: cutoverStateSchema.nullable(), previous: z.array(cutoverStateSchema) });

const attestationSchema = z.object({ id: z.string(), by: z.string(), at: z.string(), note: z.string().optional() });
const attestationsFileSchema = z.object({ version: z.literal(1), attestations: z.array(attestationSchema) });

/** Probe cursors: opaque to this module (see src/probes/probe.ts ProbeState). */
const probeStateFileSchema = z.object({ version: z.literal(1), state: z.record(z.string(), z.unknown()), cutoverStartedAt: z.string().nullable() });

const rollbackAttemptSchema = z.object({
  cutoverStartedAt: z.string(),
  incident: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /**
   * running: claimed, its lease not expired; abandoned: claimed by a process that died (its lease
   * expired, or its process is gone on this host) before it finished: nothing is known to have
   * rolled back, and the claim may be taken over.
   */
  status: z.enum(["running", "succeeded", "failed", "abandoned"]),
  /** Who claimed it: the checkpoint's pid on this host (a dead pid on the same host ends the lease early). */
  owner: z.object({ pid: z.number().int(), host: z.string(), commandPid: z.number().int().optional() }).optional(),
  /** The claim holds until then; after it, another runner may take the rollback over. */
  leaseUntil: z.string().optional(),
  abandonedAt: z.string().optional(),
  /** The attempt that took this abandoned claim over. */
  takenOverBy: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  durationMs: z.number().optional(),
  verification: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
});
const rollbackFileSchema = z.object({ version: z.literal(1), attempts: z.array(rollbackAttemptSchema) });
export type RollbackAttempt = z.infer<typeof rollbackAttemptSchema>;

/**
 * The state documents, from the storage the config chose (src/storage/: files under
 * <reports>/state/, or rows in PostgreSQL); given bare paths, the files.
 */
export function monitorState(where: MonitorPaths | Storage) {
  const doc: Storage["doc"] = "doc" in where ? (name, schema, initial) => where.doc(name, schema, initial) : (name, schema, initial) => stateFile(path.join(where.state, name), schema, initial);
  return {
    cutover: doc(STATE_DOCS.cutover, cutoverFileSchema, () => ({ version: 1 as const, current: null, previous: [] })),
    attestations: doc(STATE_DOCS.attestations, attestationsFileSchema, () => ({ version: 1 as const, attestations: [] })),
    probes: doc(STATE_DOCS.probes, probeStateFileSchema, () => ({ version: 1 as const, state: {}, cutoverStartedAt: null })),
    rollback: doc(STATE_DOCS.rollback, rollbackFileSchema, () => ({ version: 1 as const, attempts: [] })),
    judge: "doc" in where ? where.doc(STATE_DOCS.judge, judgeStateSchema, emptyJudgeState) : judgeStateFile(where.alertState),
  };
}
export type MonitorState = ReturnType<typeof monitorState>;
