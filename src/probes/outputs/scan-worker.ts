/**
 * Worker thread entry (node:worker_threads) of the scan pool (scan.ts): runs ScanJobs
 * (scan-job.ts), several at once, and posts each result. A job's rows come from a file the worker
 * reads itself, or as chunks the parent posts, each acknowledged when the scan takes it so that
 * the parent can hold back (flow control: a channel is never held whole in either thread).
 *   parent -> worker: {t: "job", id, job, file}, {t: "chunk", id, buf, len}, {t: "end", id}, {t: "abort", id}
 *   worker -> parent: {t: "ready", id}, {t: "ack", id, bytes, buf?}, {t: "done", id, result}, {t: "error", id, message, code}
 * Built as an entry of its own (scripts/build.mjs); from the sources, scan.ts bundles it.
 */
import { parentPort } from "node:worker_threads";
import { ChunkQueue, fileChunks, runScan, type ScanJob } from "./scan-job.js";

type ToWorker =
  | { t: "job"; id: number; job: ScanJob; file: string | null }
  | { t: "chunk"; id: number; buf: ArrayBuffer; len: number }
  | { t: "end"; id: number }
  | { t: "abort"; id: number };

const port = parentPort;
if (port) {
  const queues = new Map<number, ChunkQueue>();
  port.on("message", (m: ToWorker) => {
    if (m.t === "job") {
      let source: AsyncIterable<Buffer>;
      if (m.file) source = fileChunks(m.file);
      else {
        // the acknowledgement hands the parent back the batch the scan is done with (reused there)
        const queue = new ChunkQueue((bytes, previous) => {
          const buf = previous?.buffer;
          if (buf && previous!.byteOffset === 0) port.postMessage({ t: "ack", id: m.id, bytes, buf }, [buf as ArrayBuffer]);
          else port.postMessage({ t: "ack", id: m.id, bytes });
        });
        queues.set(m.id, queue);
        source = queue;
      }
      port.postMessage({ t: "ready", id: m.id });
      runScan(m.job, source)
        .then(
          (result) => port.postMessage({ t: "done", id: m.id, result }),
          (err: unknown) => port.postMessage({ t: "error", id: m.id, message: err instanceof Error ? err.message : String(err), code: (err as NodeJS.ErrnoException | null)?.code ?? null }),
        )
        .finally(() => queues.delete(m.id));
    } else if (m.t === "chunk") queues.get(m.id)?.push(Buffer.from(m.buf, 0, m.len));
    else if (m.t === "end") queues.get(m.id)?.end();
    else queues.get(m.id)?.fail(new Error("scan aborted"));
  });
}
