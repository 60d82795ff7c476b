/**
 * cutover-monitor configuration. Everything has a default that targets the bundled reference
 * pipeline with the checklist's schedule, bands and alert rules; override only what differs.
 * Secrets are never written here: name the environment variable instead (.env.example).
 */
import { defineConfig } from "./src/config/define-config.js";

const env = process.env;
const set = (name: string) => !!env[name]?.trim();

export default defineConfig({
  name: "Abaco Loans Analytics V1->V2 cutover",
  // Roll back automatically on a CRITICAL decision (else: ROLLBACK RECOMMENDED is alerted).
  rollback: { auto: false },
  target: {
    // Output channels besides the local files: each is checked when its connection variable is set
    // (a secret, read from the environment only), else it is N/A "not configured" (.env.example).
    outputs: {
      azure: set("AZURE_STORAGE_CONNECTION_STRING") ? { connectionStringEnv: "AZURE_STORAGE_CONNECTION_STRING", container: env.AZURE_STORAGE_CONTAINER?.trim() || "pipeline-outputs" } : null,
      supabase: set("SUPABASE_DB_URL") ? { connectionStringEnv: "SUPABASE_DB_URL", schema: env.SUPABASE_SCHEMA?.trim() || "public" } : null,
    },
  },
  // Examples of what can be changed (see src/config/*.ts, src/judge/config.ts, src/alerts/config.ts):
  // thresholds: { kpiLatencyP95Ms: { warnAt: 100, failAt: 500 } },
  // target: { baseUrl: "http://127.0.0.1:9000", stateDir: "/srv/pipeline" },
  // alerts: { channels: { email: { port: 2525, to: ["ops-team@abaco.com"] } } },
});
