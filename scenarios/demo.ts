/**
 * `npm run demo`'s scenario (`npm run monitor -- --cutover --speed 1440 --scenario scenarios/demo.ts`):
 * the 24 hours in one minute of the compressed clock (which stands still while a checkpoint runs).
 * One incident in the longest stretch between two checkpoints (day@17:00 and final@21:00), so
 * that only the watch's samples can see it: the KPI latency goes over 500 ms at 17:15 (caught by
 * the first sample: latency-critical, HIGH), stays unresolved (10 min: alert engineering; 15 min:
 * rollback recommended) and is cleared at 19:45 (the next sample resolves it, well before the 21:00 checkpoint). The checkpoints see
 * a healthy pipeline, so the 24-hour criteria hold and the watch ends GO, with the incident in its
 * closing summary. At x1440 a sample takes about 10 minutes of the compressed clock (half a real
 * second), and 40 to 90 minutes while the latency fault makes it wait, so both escalations may arrive
 * at the same sample; the incident lasts 150 minutes (6.25 real seconds), and 75 more minutes
 * follow before the next checkpoint: on a busy machine a sample during the fault takes an hour or
 * more of this clock, and the incident must still see a second sample (the escalation) and a
 * sample after its clear (the resolution).
 */
import type { Scenario } from "../src/monitor/scenario.js";

export default {
  name: "demo: a latency incident between checkpoints",
  speed: 1440,
  faults: [{ at: "17:15", fault: "latency:700", clear: "19:45", expect: "latency-critical at the first sample, escalated at 10 and 15 min, resolved after 19:45" }],
} satisfies Scenario;
