import { z } from "zod";

/**
 * The least a checkpoint record holds: the checklist's "Key Metrics to Track"
 * fields. Everything else (phase, checks, alerts, decision) passes through, so
 * the record can grow without breaking old history. Pass
 * `checkpointRecordSchema.parse` as the JSONL store's `parse` option to skip
 * lines that are not checkpoint records.
 */
export const checkpointRecordSchema = z
  .object({
    timestamp: z.iso.datetime({ offset: true }),
    kpi_latency_ms: z.number().nullable(),
    error_rate_percent: z.number().nullable(),
    memory_mb: z.number().nullable(),
    cpu_percent: z.number().nullable(),
    pipeline_status: z.string(),
    audit_trail_events: z.number().int().nullable(),
    validation_status: z.string(),
  })
  .loose();

export type CheckpointRecord = z.infer<typeof checkpointRecordSchema>;
