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
    // KPI ranges are bands too: refused when they cannot judge (target.kpi.ranges in src/config/target.ts).
    for (const [name, r] of Object.entries(c.target.kpi.ranges)) {
      const at = (field: string) => ["target", "kpi", "ranges", name, field];
      const levels = [r.direction, r.warning, r.critical].filter((x) => x !== undefined).length;
      if (levels > 0 && levels < 3) {
        const missing = (["direction", "warning", "critical"] as const).find((f) => r[f] === undefined)!;
        ctx.addIssue({ code: "custom", message: "direction, warning and critical go together (all three or none)", path: at(missing) });
      } else if (r.direction === "higher_is_worse" && r.warning! > r.critical!) {
        ctx.addIssue({ code: "custom", message: `warning (${r.warning}) must not exceed critical (${r.critical}) when higher is worse`, path: at("warning") });
      } else if (r.direction === "lower_is_worse" && r.warning! < r.critical!) {
        ctx.addIssue({ code: "custom", message: `warning (${r.warning}) must not be below critical (${r.critical}) when lower is worse`, path: at("warning") });
      }
      if (r.min !== undefined && r.max !== undefined && r.min > r.max) {
        ctx.addIssue({ code: "custom", message: `min (${r.min}) must not exceed max (${r.max})`, path: at("min") });
      }
    }
    c.alerts.rules?.forEach((r, i) => {
      for (const field of ["failOf", "warnOf"] as const) {
        r.condition[field].forEach((id, j) => {
          if (!checkById(id)) ctx.addIssue({ code: "custom", message: `unknown check "${id}" (see docs/CHECKS.md for the catalogue's ids)`, path: ["alerts", "rules", i, "condition", field, j] });
        });
      }
    });
  })
  .transform((c): MonitorConfig => ({ ...c, alerts: { ...c.alerts, rules: c.alerts.rules ?? alertRulesFor(c.thresholds) } }));
