/**
 * Audit writes: the 6 real events of one V2 calculation written to the pipeline's SQLite audit
 * store (pipeline/audit/store.ts: WAL, synchronous=NORMAL, one transaction per write() call),
 * one batch of 6 per call as a calculation does. Reference in the same run: the same events
 * written in one transaction of 6,000 (the store's insert cost without a commit per batch).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AuditStore } from "../pipeline/audit/store.ts";
import type { AuditEvent } from "../pipeline/kpi/types.ts";
import { calculateKpisV2 } from "../pipeline/kpi/v2-engine.ts";
import { generateTape } from "../pipeline/tape/generate.ts";
import { median, sig4 } from "./util.ts";

export interface AuditWriteBench {
  events_per_batch: number;
  batches: number;
  events_per_s_batches_of_6: number;
  batch_median_ms: number;
  batch_p95_ms: number;
  reference_events_per_s_one_transaction: number;
  ratio_vs_one_transaction: number;
  rows_in_store: number;
  journal_mode: string;
}

export function benchAuditWrites(durationMs = 3000): AuditWriteBench {
  let events: AuditEvent[] = [];
  calculateKpisV2(generateTape({ rows: 1_000, seed: 42 }), { audit: (ev) => (events = ev), requestId: "bench" });
  if (events.length !== 6) throw new Error(`expected 6 audit events per calculation, got ${events.length}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-audit-"));
  try {
    const store = new AuditStore(path.join(dir, "audit.db"));
    const journal = store.journalMode();
    for (let i = 0; i < 200; i++) store.write(events.map((e) => ({ ...e, request_id: `warm-${i}` })));

    const batchMs: number[] = [];
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < durationMs) {
      const batch = events.map((e) => ({ ...e, request_id: `req-${n}` }));
      const b0 = performance.now();
      store.write(batch);
      batchMs.push(performance.now() - b0);
      n++;
    }
    const elapsed = performance.now() - t0;

    const bulk = Array.from({ length: 1000 }, (_, i) => events.map((e) => ({ ...e, request_id: `bulk-${i}` }))).flat();
    const bulkMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const b0 = performance.now();
      store.write(bulk);
      bulkMs.push(performance.now() - b0);
    }
    const rows = store.count();
    store.close();

    const sorted = [...batchMs].sort((a, b) => a - b);
    const perS = (n * 6) / (elapsed / 1000);
    const refPerS = bulk.length / (median(bulkMs) / 1000);
    return {
      events_per_batch: 6,
      batches: n,
      events_per_s_batches_of_6: Math.round(perS),
      batch_median_ms: sig4(median(batchMs)),
      batch_p95_ms: sig4(sorted[Math.ceil(0.95 * sorted.length) - 1]),
      reference_events_per_s_one_transaction: Math.round(refPerS),
      ratio_vs_one_transaction: sig4(perS / refPerS),
      rows_in_store: rows,
      journal_mode: journal,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
