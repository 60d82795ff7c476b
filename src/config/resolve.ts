/**
 * A parsed configuration resolved against the check catalogue: configured alert rules may name
 * only the catalogue's checks (one line per unknown id, with its path), and without configured
 * rules the default rules (src/judge/rules.ts) watch the checks whose bands are the configured
 * thresholds: one threshold, one verdict, one alert.
 */
import { checkById } from "../catalogue/catalogue.js";
import { alertRulesFor } from "../judge/rules.js";
import { configSchema, type MonitorConfig } from "./schema.js";

export const monitorConfigSchema = configSchema
  .superRefine((c, ctx) => {
    c.alerts.rules?.forEach((r, i) => {
      for (const field of ["failOf", "warnOf"] as const) {
        r.condition[field].forEach((id, j) => {
          if (!checkById(id)) ctx.addIssue({ code: "custom", message: `unknown check "${id}" (see docs/CHECKS.md for the catalogue's ids)`, path: ["alerts", "rules", i, "condition", field, j] });
        });
      }
    });
  })
  .transform((c): MonitorConfig => ({ ...c, alerts: { ...c.alerts, rules: c.alerts.rules ?? alertRulesFor(c.thresholds) } }));
