/**
 * `npm run monitor -- --cutover --speed 720 --scenario scenarios/demo.ts`: the 24 hours in two
 * minutes (plus the real seconds the checkpoints take). One incident in the longest stretch
 * between two checkpoints (day@17:00 and final@21:00), so only the watch's samples can see it:
 * the KPI latency goes over 500 ms at 19:30 (caught by the first sample: latency-critical, HIGH),
 * stays unresolved (10 min: alert engineering; 15 min: rollback recommended) and is cleared at
 * 20:10 (the next sample resolves it). The checkpoints see a healthy pipeline, so the 24-hour
 * criteria hold and the watch ends GO, with the incident in its closing summary.
 */
import type { Scenario } from "../src/monitor/scenario.js";

export default {
  name: "demo: a latency incident between checkpoints",
  speed: 720,
  faults: [{ at: "19:30", fault: "latency:700", clear: "20:10", expect: "latency-critical at the first sample, escalated at 10 and 15 min, resolved after 20:10" }],
} satisfies Scenario;
