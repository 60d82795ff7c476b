/**
 * The example: a latency spike at 03:00 cleared at 03:40, a slow leak from 10:00, a crash
 * at 15:30. Rates are per simulated time (the leak: 2 MB per simulated minute, 120 MB/h, scaled to
 * real time by the speed). The 03:00 and 03:30 checkpoints see the spike too, the leak grows the
 * pipeline's memory for the rest of the day and the crash is an outage of the supervised service
 * until it is back: the watch ends NO-GO (uptime below 100 %, memory not stable).
 */
import type { Scenario } from "../src/monitor/scenario.js";

export default {
  name: "example: latency spike, slow leak, crash",
  speed: 480,
  faults: [
    { at: "03:00", fault: "latency:700", clear: "03:40", expect: "latency-critical, escalated, resolved" },
    { at: "10:00", fault: "leak:2", expect: "memory-critical by its growth rate" },
    { at: "15:30", fault: "crash", expect: "pipeline-down until the supervisor restarts it, then pipeline-restart-warning" },
  ],
} satisfies Scenario;
