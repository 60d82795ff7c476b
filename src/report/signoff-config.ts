/**
 * The sign-off's configuration: the rules that turn the 24-hour criteria into GO / NO-GO, the
 * signing key and the public key `verify` trusts. Meant as the config's `signoff` section
 * (src/config/schema.ts: `signoff: signoffConfigSchema.prefault({})`); until that section is
 * declared there, the defaults apply and `verify --public-key` names the key.
 */
import { z } from "zod";

/** What a finding does to the decision: forbid GO, allow GO with it listed as a condition, or nothing. */
export const ruleActionSchema = z.enum(["no-go", "condition", "ignore"]);
export type RuleAction = z.infer<typeof ruleActionSchema>;

export const signoffConfigSchema = z.object({
  /**
   * The Ed25519 public key `npm run verify` trusts: a PEM file (path, relative to the config's
   * folder or absolute) or its fingerprint ("sha256:<64 hex>", `npm run signoff` prints it). Never
   * only the copy inside a bundle. Default: <reports>/state/signing/ed25519.pub.pem.
   */
  publicKey: z.string().min(1).optional(),
  /** Environment variable holding the PEM private key that signs the bundle (a secret: never printed or stored). */
  privateKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name").default("CUTOVER_SIGNING_KEY"),
  /** How each finding weighs on GO / NO-GO (docs/DESIGN.md "Report and sign-off"). */
  rules: z
    .object({
      /** A 24-hour criterion FAILs. */
      fail: ruleActionSchema.default("no-go"),
      /** A criterion the monitor could not judge (ERROR). */
      error: ruleActionSchema.default("no-go"),
      /** A criterion WARNs. */
      warn: ruleActionSchema.default("condition"),
      /** A criterion was not measured (no final checkpoint ran, or it holds no such check). */
      notMeasured: ruleActionSchema.default("no-go"),
      /** Uptime was not measured continuously (no watch samples), or not at all. */
      uptimeNotContinuous: ruleActionSchema.default("condition"),
      /** A scheduled checkpoint that was due did not run. */
      missedCheckpoint: ruleActionSchema.default("condition"),
      /** A checkpoint ran later than `lateAfterMinutes` after its slot. */
      lateCheckpoint: ruleActionSchema.default("ignore"),
      /** An incident of a critical alert still open at the end. */
      openCriticalIncident: ruleActionSchema.default("no-go"),
      /** An incident of a warning alert still open at the end. */
      openWarningIncident: ruleActionSchema.default("condition"),
      /** The final checkpoint the criteria are read from FAILed (or was inconclusive) on a check that is not a criterion. */
      finalCheckpointFailed: ruleActionSchema.default("no-go"),
      /** The cutover was rolled back. */
      rolledBack: ruleActionSchema.default("no-go"),
    })
    .prefault({}),
  /** A checkpoint that ran more than this many minutes after its slot is shown "late by N min". */
  lateAfterMinutes: z.number().nonnegative().default(5),
  /** A measured peak at or above this percentage of its FAIL threshold is a near miss (a recommendation). */
  nearMissPercent: z.number().gt(0).lt(100).default(80),
  /** Memory growth over a 4-hour window at or above this rate (%/h) becomes a recommendation. */
  memoryGrowthNoticePercentPerHour: z.number().nonnegative().default(5),
});
export type SignoffConfig = z.infer<typeof signoffConfigSchema>;

/** The config's `signoff` section with its defaults (the defaults alone while the schema lacks the section). */
export function signoffConfigOf(config: object): SignoffConfig {
  return signoffConfigSchema.parse((config as { signoff?: unknown }).signoff ?? {});
}

/** The three roles of the checklist's "Final Sign-Off", each recorded as its attestation item. */
export const SIGNOFF_ROLES = [
  { role: "engineering", title: "Engineering Lead", attestation: "signoff-engineering" },
  { role: "operations", title: "Operations Lead", attestation: "signoff-operations" },
  { role: "data-quality", title: "Data Quality Lead", attestation: "signoff-data-quality" },
] as const;
export type SignoffRole = (typeof SIGNOFF_ROLES)[number]["role"];
