/**
 * cutover-monitor configuration. Everything has a default that targets the bundled reference
 * pipeline with the checklist's schedule, bands and alert rules; override only what differs.
 * Secrets are never written here: name the environment variable instead (.env.example).
 */
import { defineConfig } from "./src/config/define-config.js";

export default defineConfig({
  name: "Abaco Loans Analytics V1->V2 cutover",
  // Roll back automatically on a CRITICAL decision (else: ROLLBACK RECOMMENDED is alerted).
  rollback: { auto: false },
  // Examples of what can be changed (see src/config/*.ts, src/judge/config.ts, src/alerts/config.ts):
  // thresholds: { kpiLatencyP95Ms: { warnAt: 100, failAt: 500 } },
  // target: { baseUrl: "http://127.0.0.1:9000", stateDir: "/srv/pipeline" },
  // alerts: { channels: { email: { port: 2525, to: ["ops-team@abaco.com"] } } },
});
