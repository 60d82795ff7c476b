import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";

/** One line of reports/monitoring_events.log: what a log shipper ingests. */
export interface MonitoringEvent {
  ts: string;
  type:
    | "checkpoint"
    | "alert_fired"
    | "alert_resolved"
    | "alert_reminder"
    | "alert_escalated"
    | "alert_muted"
    | "alert_delivered"
    | "alert_delivery_failed"
    | "alert_queued"
    | "decision"
    | "rollback"
    | "cutover_recorded"
    | "attestation"
    | "silence";
  severity?: string;
  [key: string]: unknown;
}

/** Appends whole JSON lines (one write each, so concurrent writers never interleave within a line). */
export class EventsLog {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  write(event: Omit<MonitoringEvent, "ts"> & { ts?: string }): void {
    const line = JSON.stringify({ ts: event.ts ?? new Date().toISOString(), ...event });
    appendFileSync(this.file, line + "\n");
  }
}
