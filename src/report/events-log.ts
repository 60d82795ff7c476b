import { appendFileSync, mkdirSync } from "node:fs";
import { redactDeep } from "../secrets.js";
import path from "node:path";
import { boundForStorage } from "../history/bound.js";
import { MonitorUserError } from "../errors.js";

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

/**
 * Appends whole JSON lines (one write each, so concurrent writers never interleave within a line),
 * each bounded like the history (src/history/bound.ts): a shipper's line is never 10 MB.
 */
export class EventsLog {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  write(event: Omit<MonitoringEvent, "ts"> & { ts?: string }): void {
    const line = JSON.stringify(redactDeep(boundForStorage({ ts: event.ts ?? new Date().toISOString(), ...event })));
    try {
      appendFileSync(this.file, line + "\n");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === "ENOSPC" ? "no space left on device (ENOSPC)" : `${e.message}`.split("\n")[0];
      throw new MonitorUserError("E_EVENTS_WRITE", `cannot append to ${this.file}: ${why}`, { cause: err });
    }
  }
}
