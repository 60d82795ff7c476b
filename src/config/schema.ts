import { z } from "zod";
import { targetSchema } from "./target.js";
import { DEFAULT_SCHEDULE, scheduledCheckpointSchema } from "./schedule.js";
import { DEFAULT_ATTESTATIONS, attestationItemSchema } from "./attestations.js";
import {
  thresholdsSchema,
  week3BaselineSchema,
  alertRuleListSchema,
  decisionTreeSchema,
  type AlertRule,
} from "../judge/config.js";
import { alertChannelsSchema } from "../alerts/config.js";
import { signoffConfigSchema } from "../report/signoff-config.js";

/**
 * The whole monitor configuration as written. Every section has defaults that target the bundled
 * reference pipeline with the checklist's schedule, bands and alert table, so `{}` is a valid config.
 * src/config/resolve.ts turns it into a MonitorConfig (alert rules checked and defaulted).
 */
export const configSchema = z.object({
  /** Shown in reports and alerts. */
  name: z.string().default("Abaco Loans Analytics V1->V2 cutover"),
  /** Where records, state, Allure results and the sign-off go. */
  reportsDir: z.string().default(() => process.env.CUTOVER_REPORTS_DIR || "reports"),
  /** Link put in alerts (e.g. where CI publishes the Allure report). */
  reportUrl: z.string().optional(),
  /**
   * Where the history and the state live (src/storage/, docs/DESIGN.md "History in PostgreSQL"):
   * - `{ kind: "jsonl" }` (the default): files under reportsDir (checkpoints.jsonl, monitoring_events.log,
   *   samples.jsonl, state/*.json);
   * - `{ kind: "postgres", connectionStringEnv: "CUTOVER_HISTORY_DATABASE_URL" }`: one PostgreSQL database
   *   shared by every runner (a CI job, a Kubernetes CronJob and the watch's Deployment): the checkpoint
   *   records, samples, events log, alert state, cutover state, outbox, attestations, sign-offs, rollback
   *   and checkpoint claims, in tables keyed by the cutover id (the config's `name`), created on first use.
   *   The connection string is read from the variable named here only (a secret: never printed); the
   *   Allure results, the site and the sign-off bundle stay under reportsDir.
   */
  history: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("jsonl") }),
      z.object({
        kind: z.literal("postgres"),
        /** The environment variable holding the connection string (postgres://user:password@host:5432/db). */
        connectionStringEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name").default("CUTOVER_HISTORY_DATABASE_URL"),
      }),
    ])
    .default({ kind: "jsonl" }),
  target: targetSchema.prefault({}),
  /** The 24-hour decision's rules and the sign-off's keys (src/report/signoff-config.ts). */
  signoff: signoffConfigSchema.prefault({}),
  schedule: z.array(scheduledCheckpointSchema).min(1).default(() => DEFAULT_SCHEDULE),
  thresholds: thresholdsSchema.prefault({}),
  baseline: z
    .object({
      week3: week3BaselineSchema.prefault({}),
    })
    .prefault({}),
  alerts: z
    .object({
      /** Every channel is present by default and enabled by its environment variables (.env.example). */
      channels: alertChannelsSchema.prefault({ slack: {}, pagerduty: {}, email: {}, webhook: {} }),
      /** When omitted: the default rules (src/judge/rules.ts), watching the catalogue's checks. */
      rules: alertRuleListSchema.optional(),
      /** A firing alert whose checks could not be re-measured for this long is shown as stale (WARN). */
      staleAfterSeconds: z.number().positive().default(1800),
    })
    .prefault({}),
  decisionTree: decisionTreeSchema.prefault({}),
  rollback: z
    .object({
      /** Execute the rollback command on a CRITICAL decision (else: ROLLBACK RECOMMENDED). */
      auto: z.boolean().default(false),
    })
    .prefault({}),
  attestations: z.array(attestationItemSchema).default(() => DEFAULT_ATTESTATIONS),
});

type ParsedConfig = z.infer<typeof configSchema>;
/** The configuration as the monitor uses it: parsed, with the alert rules resolved (src/config/resolve.ts). */
export type MonitorConfig = Omit<ParsedConfig, "alerts"> & { alerts: ParsedConfig["alerts"] & { rules: AlertRule[] } };
export type MonitorConfigInput = z.input<typeof configSchema>;
