/**
 * Where a channel's rows are checked: each scan (the local file, the Azure blob, Supabase's COPY,
 * the input) in a worker thread of its own (scan-worker.ts), so that the channels are checked in
 * parallel on every core while the main thread only moves bytes. A file is read by its worker; a
 * download or a COPY is fed to its worker in batches of BATCH bytes, at most HIGH_WATER bytes
 * ahead of it (write() then returns a promise, until it is half that: the caller pauses its
 * source), so no thread ever holds a whole channel.
 *
 * The worker script: dist/cli/scan-worker.js beside the monitor's build (scripts/build.mjs);
 * from the TypeScript sources (tsx, vitest), scan-worker.ts bundled by esbuild in memory, once per
 * process. Where no worker can be started, the same scan runs in the calling thread (same
 * results, one core); scanThreadProblem() says why.
 */
import fs from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ChunkQueue, fileChunks, runScan, type ScanJob, type ScanResult } from "./scan-job.js";

export type { ScanJob, ScanResult } from "./scan-job.js";

const BATCH = 1 << 20;
const HIGH_WATER = 8 << 20;
/** Less than this is scanned in the calling thread: a worker's start would cost more than it saves. */
export const MIN_WORKER_BYTES = 4 << 20;

let threads = true;
let minWorkerBytes = MIN_WORKER_BYTES;
let highWater = HIGH_WATER;
let problem: string | null = null;

/**
 * Tests: `on` false runs every scan in the calling thread; `minBytes` 0 sends even a small one to a
 * worker; a small `highWater` makes every writer wait for its worker (flow control exercised).
 */
export function useScanThreads(on: boolean, o: { minBytes?: number; highWater?: number } = {}): void {
  threads = on;
  minWorkerBytes = o.minBytes ?? MIN_WORKER_BYTES;
  highWater = o.highWater ?? HIGH_WATER;
}

/** Why scans ran in the calling thread (null: they ran in workers, or none ran). */
export function scanThreadProblem(): string | null {
  return problem;
}

let workerSource: Promise<URL | null> | undefined;

/** The worker's script, or null (none: scan in this thread). */
function workerUrl(): Promise<URL | null> {
  workerSource ??= (async () => {
    const here = import.meta.url;
    if (!/\.[cm]?ts$/.test(new URL(here).pathname)) {
      const built = new URL("./scan-worker.js", here);
      if (fs.existsSync(fileURLToPath(built))) return built;
      throw new Error(`${fileURLToPath(built)} not found (npm run build)`);
    }
    const { build } = await import("esbuild");
    const out = await build({
      entryPoints: [fileURLToPath(new URL("./scan-worker.ts", here))],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
    });
    return new URL(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString("base64")}`);
  })().catch((err: unknown) => {
    problem = `no scan worker: ${(err as Error)?.message ?? String(err)}`.split("\n")[0]!;
    return null;
  });
  return workerSource;
}

type FromWorker =
  | { t: "ready"; id: number }
  | { t: "ack"; id: number; bytes: number; buf?: ArrayBuffer }
  | { t: "done"; id: number; result: ScanResult }
  | { t: "error"; id: number; message: string; code: string | null };

/** A scan error from the worker (the file, the CSV), as the in-thread scan would have thrown it. */
function scanError(m: { message: string; code: string | null }): Error {
  return Object.assign(new Error(m.message), m.code ? { code: m.code } : {});
}

interface JobHandlers {
  onMessage(m: FromWorker): void;
  /** The worker died without an answer. */
  onFault(err: Error): void;
}

/**
 * The pool: POOL_SIZE workers at most (at least 2: the two reads of a checkpoint that overlap
 * most, a file and a download, get a core each), started on demand; a job goes to the worker
 * with the fewest jobs (a new one while the pool is not full). Several jobs share a worker (its
 * start and the JIT's warm-up are paid once). An idle worker does not keep the process alive and
 * is stopped after IDLE_MS.
 */
const POOL_SIZE = Math.max(2, Math.min(4, os.availableParallelism()));
const IDLE_MS = 5_000;

interface Slot {
  worker: Worker;
  jobs: Map<number, JobHandlers>;
  idle: NodeJS.Timeout | null;
  closing: boolean;
}
const slots: Slot[] = [];
let nextJob = 1;

function spawn(url: URL): Slot | null {
  let worker: Worker;
  try {
    worker = new Worker(url, { stdout: false, stderr: false });
  } catch (err) {
    problem = `scan worker did not start: ${(err as Error).message}`;
    return null;
  }
  const slot: Slot = { worker, jobs: new Map(), idle: null, closing: false };
  const fault = (err: Error) => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    if (slot.idle) clearTimeout(slot.idle);
    if (slot.closing) return;
    slot.closing = true;
    problem = `scan worker failed: ${err.message}`;
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    for (const j of jobs) j.onFault(err);
    void worker.terminate();
  };
  worker.on("message", (m: FromWorker) => {
    const job = slot.jobs.get(m.id);
    if (!job) return;
    if (m.t === "done" || m.t === "error") {
      slot.jobs.delete(m.id);
      if (slot.jobs.size === 0) idle(slot);
    }
    job.onMessage(m);
  });
  worker.on("error", fault);
  worker.on("exit", (code) => fault(new Error(`exited with code ${code}`)));
  slots.push(slot);
  return slot;
}

function idle(slot: Slot): void {
  slot.worker.unref();
  slot.idle = setTimeout(() => {
    slot.closing = true;
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    void slot.worker.terminate();
  }, IDLE_MS);
  slot.idle.unref();
}

/** Sends a job to a worker of the pool; null: no worker (scan in this thread). */
async function dispatch(job: ScanJob, file: string | null, handlers: JobHandlers): Promise<{ send(m: object, transfer?: ArrayBuffer[]): void; id: number } | null> {
  if (!threads) return null;
  const url = await workerUrl();
  if (!url) return null;
  let slot: Slot | null = slots.reduce<Slot | null>((best, s) => (!best || s.jobs.size < best.jobs.size ? s : best), null);
  if (!slot || (slot.jobs.size > 0 && slots.length < POOL_SIZE)) slot = spawn(url) ?? slot;
  if (!slot) return null;
  if (slot.idle) {
    clearTimeout(slot.idle);
    slot.idle = null;
  }
  slot.worker.ref();
  const id = nextJob++;
  const s = slot;
  s.jobs.set(id, handlers);
  s.worker.postMessage({ t: "job", id, job, file });
  return { id, send: (m, transfer) => s.worker.postMessage({ ...m, id }, transfer ?? []) };
}

/** Scans a file: in a worker that reads it (a file of MIN_WORKER_BYTES or more), else here. */
export async function scanFile(job: ScanJob, file: string): Promise<ScanResult> {
  const size = await fs.promises.stat(file).then(
    (st) => st.size,
    () => 0,
  );
  if (size < minWorkerBytes) return runScan(job, fileChunks(file));
  const viaWorker = await new Promise<{ ok: true; result: ScanResult } | { ok: false; error: Error } | null>((resolve) => {
    dispatch(job, file, {
      onMessage: (m) => {
        if (m.t === "done") resolve({ ok: true, result: m.result });
        else if (m.t === "error") resolve({ ok: false, error: scanError(m) });
      },
      onFault: () => resolve(null),
    }).then(
      (d) => {
        if (!d) resolve(null);
      },
      () => resolve(null),
    );
  });
  if (viaWorker?.ok) return viaWorker.result;
  if (viaWorker) throw viaWorker.error;
  return runScan(job, fileChunks(file));
}

/** A scan fed chunk by chunk (a download, a COPY). */
export interface ScanStream {
  /** Feeds a chunk (copied; the caller may reuse it). A promise: the scan is behind, wait for it before the next write. */
  write(chunk: Buffer): Promise<void> | undefined;
  /** No more chunks: the result. */
  end(): Promise<ScanResult>;
  /** Gives up (the source failed): the scan is dropped, its worker freed. */
  abort(): void;
  /** "worker" or "main thread", for notes. */
  readonly where: string;
}

/**
 * Opens a fed scan: in a worker once it is ready, else here (also when `sizeHint`, the bytes
 * expected if known, is under MIN_WORKER_BYTES).
 */
export async function openScanStream(job: ScanJob, sizeHint: number | null = null): Promise<ScanStream> {
  const high = highWater;
  let inflight = 0;
  /** The writers' wait while the scan is behind (one promise for all of them), and its release. */
  let behind: Promise<void> | null = null;
  let release: (() => void) | null = null;
  const caughtUp = () => {
    const r = release;
    behind = release = null;
    r?.();
  };
  /** Batches the scan is done with, to fill again (no fresh memory per batch). */
  const spare: Buffer[] = [];
  const recycle = (buf: ArrayBuffer | undefined) => {
    if (buf && buf.byteLength === BATCH && spare.length < Math.max(1, high / BATCH)) spare.push(Buffer.from(buf));
  };
  const taken = (bytes: number, previous?: ArrayBuffer) => {
    inflight -= bytes;
    recycle(previous);
    if (release && inflight <= high / 2) caughtUp();
  };
  let settle: { resolve: (r: ScanResult) => void; reject: (e: Error) => void } | null = null;
  const result = new Promise<ScanResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => {}); // observed by end()
  /** Hands over the batch buffer (no longer used here) holding `len` bytes. */
  let post: (buf: Buffer, len: number) => void;
  let finish: () => void;
  let stop: () => void;
  let where: string;
  const remote = await new Promise<{ send(m: object, transfer?: ArrayBuffer[]): void } | null>((resolve) => {
    let ready = false;
    let sender: { send(m: object, transfer?: ArrayBuffer[]): void } | null = null;
    if (sizeHint !== null && sizeHint < minWorkerBytes) return resolve(null);
    dispatch(job, null, {
      onMessage: (m) => {
        if (m.t === "ready") {
          ready = true;
          resolve(sender);
        } else if (m.t === "ack") taken(m.bytes, m.buf);
        else if (m.t === "done") settle!.resolve(m.result);
        else settle!.reject(scanError(m));
      },
      onFault: (err) => {
        if (!ready) resolve(null);
        else settle!.reject(new Error(`monitor error: scan worker failed: ${err.message}`));
        taken(inflight);
      },
    }).then(
      (d) => {
        sender = d;
        if (!d) resolve(null);
      },
      () => resolve(null),
    );
  });
  if (remote) {
    where = "worker";
    // allocUnsafeSlow: the batch owns its ArrayBuffer (never the shared pool), so it can be transferred
    post = (buf, len) => remote.send({ t: "chunk", buf: buf.buffer, len }, [buf.buffer as ArrayBuffer]);
    finish = () => remote.send({ t: "end" });
    stop = () => remote.send({ t: "abort" });
  } else {
    where = "main thread";
    const queue = new ChunkQueue((bytes, previous) => taken(bytes, previous?.byteOffset === 0 ? (previous.buffer as ArrayBuffer) : undefined));
    runScan(job, queue).then(settle!.resolve, settle!.reject);
    post = (buf, len) => queue.push(buf.subarray(0, len));
    finish = () => queue.end();
    stop = () => queue.fail(new Error("scan aborted"));
  }
  let batch: Buffer = Buffer.allocUnsafeSlow(BATCH);
  let used = 0;
  let closed = false;
  const flush = () => {
    if (used === 0) return;
    inflight += used;
    post(batch, used);
    batch = spare.pop() ?? Buffer.allocUnsafeSlow(BATCH);
    used = 0;
  };
  return {
    where,
    write(chunk) {
      if (closed) return undefined;
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(BATCH - used, chunk.length - off);
        if (n === chunk.length) batch.set(chunk, used);
        else chunk.copy(batch, used, off, off + n);
        used += n;
        off += n;
        if (used === BATCH) flush();
      }
      if (inflight <= high) return undefined;
      behind ??= new Promise<void>((resolve) => (release = resolve));
      return behind;
    },
    end() {
      if (!closed) {
        closed = true;
        flush();
        finish();
      }
      return result;
    },
    abort() {
      closed = true;
      stop();
      caughtUp();
    },
  };
}
