/**
 * What the watch keeps between its runs (kill -9 it and start it again: it resumes from here and
 * from the history): the cutover it follows and at what speed, the reference pipeline it started,
 * the scenario's one-shot faults already fired. Also the single-instance lock: one watch per
 * reports directory.
 */
import { pidAlive } from "../state/pid.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { monitorPaths } from "../checkpoint/paths.js";
import { stateFile, type StateFile } from "../state/state-file.js";
import { STATE_DOCS, type Storage } from "../storage/storage.js";
import { MonitorUserError } from "../errors.js";

export function watchPaths(reportsDir: string) {
  const m = monitorPaths(reportsDir);
  return {
    ...m,
    /** The watch's own history: samples, checkpoints it ran, missed slots, gaps, faults. */
    samples: path.join(m.root, "samples.jsonl"),
    watch: path.join(m.state, "watch.json"),
    heartbeat: path.join(m.state, "watch-heartbeat.json"),
    lock: path.join(m.state, "watch.lock"),
    /** The samples' probe cursors: separate from the checkpoints', so neither moves the other's windows. */
    sampleProbes: path.join(m.state, "watch-probe-state.json"),
  };
}
export type WatchPaths = ReturnType<typeof watchPaths>;

const watchFileSchema = z.object({
  version: z.literal(1),
  /** The cutover this watch follows (null until hour0 recorded it). */
  cutoverStartedAt: z.string().nullable(),
  speed: z.number().positive(),
  sampleEverySeconds: z.number().positive(),
  scenario: z.string().nullable(),
  /** One-shot scenario faults already fired (indices). */
  fired: z.array(z.number().int().nonnegative()),
  /** The reference pipeline the watch started (it stops it at the end of the watch). */
  pipeline: z.object({ dir: z.string(), port: z.number().int(), intervalS: z.number(), supervisorPid: z.number().int().nullable(), startedAt: z.string() }).nullable(),
  /** Under compression: the real stretches the watch's clock stood still while a checkpoint ran (monitor/time.ts). */
  holds: z.array(z.object({ from: z.number(), ms: z.number().nonnegative() })).default([]),
  /** Each run of the watch process. */
  sessions: z.array(z.object({ id: z.number().int(), pid: z.number().int(), startedAt: z.string(), realStartedAt: z.string() })),
  /** Set when the watch ended (after the final checkpoint or a rollback). */
  finished: z.object({ at: z.string(), exitCode: z.number().int(), verdict: z.string() }).nullable(),
});
export type WatchFile = z.infer<typeof watchFileSchema>;

/** The watch's state: `state/watch.json`, or the storage's document (src/storage/). */
export function watchStateFile(where: WatchPaths | Storage): StateFile<WatchFile> {
  const initial = (): WatchFile => ({ version: 1, cutoverStartedAt: null, speed: 1, sampleEverySeconds: 15, scenario: null, fired: [], pipeline: null, holds: [], sessions: [], finished: null });
  return "doc" in where ? where.doc(STATE_DOCS.watch, watchFileSchema, initial) : stateFile(where.watch, watchFileSchema, initial);
}

/** The state, or null when this reports dir (or history) never had a watch. */
export async function loadWatchFile(where: WatchPaths | StateFile<WatchFile>): Promise<WatchFile | null> {
  const doc = "load" in where ? where : watchStateFile(where);
  if (!(await doc.exists())) return null;
  return doc.load();
}

const sampleProbesSchema = z.object({ version: z.literal(1), state: z.record(z.string(), z.unknown()), cutoverStartedAt: z.string().nullable() });

/** The samples' probe cursors (`state/watch-probe-state.json`, or the storage's document). */
export function sampleProbesDoc(storage: Storage) {
  return storage.doc(STATE_DOCS.watchProbes, sampleProbesSchema, () => ({ version: 1 as const, state: {}, cutoverStartedAt: null }));
}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** One pidAlive for the monitor (src/state/pid.ts), re-exported for the watch's modules. */
export { pidAlive };

/**
 * Takes the single-instance lock (an exclusively created file naming this process). A lock left
 * by a watch that died (kill -9) is taken over when its pid is gone on this host.
 */
export function acquireWatchLock(p: WatchPaths): () => void {
  fs.mkdirSync(path.dirname(p.lock), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(p.lock, JSON.stringify(me), { flag: "wx" });
      return () => {
        try {
          const owner = JSON.parse(fs.readFileSync(p.lock, "utf8")) as LockOwner;
          if (owner.pid === process.pid) fs.rmSync(p.lock, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let owner: LockOwner | null = null;
    try {
      owner = JSON.parse(fs.readFileSync(p.lock, "utf8")) as LockOwner;
    } catch {
      owner = null; // torn or vanished: treat as left behind
    }
    if (owner && owner.host === os.hostname() && owner.pid !== process.pid && pidAlive(owner.pid)) {
      throw new MonitorUserError("E_WATCH_RUNNING", `another watch is running on ${p.root} (pid ${owner.pid}, since ${owner.startedAt}); stop it first (kill -INT ${owner.pid}) or use another CUTOVER_REPORTS_DIR`);
    }
    if (owner && owner.host !== os.hostname()) {
      throw new MonitorUserError("E_WATCH_RUNNING", `${p.lock} is held by pid ${owner.pid} on host ${owner.host}; remove it only if that watch is gone`);
    }
    fs.rmSync(p.lock, { force: true });
  }
  throw new MonitorUserError("E_WATCH_RUNNING", `cannot take ${p.lock}: another watch keeps taking it`);
}
