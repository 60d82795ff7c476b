import { z } from "zod";
import type { Clock } from "./clock.ts";
import { alertSeveritySchema, decisionSeveritySchema, type AlertRule, type Condition } from "./config.ts";

/**
 * A silence mutes an alert's notifications until it expires; the alert's state
 * is still tracked and still counts in the decision. Matched by rule id or by
 * a matcher (every given field must match).
 */
export const silenceMatcherSchema = z
  .object({
    alertSeverity: alertSeveritySchema.optional(),
    decisionSeverity: decisionSeveritySchema.optional(),
    /** A metric id or check id the rule's condition watches. */
    metric: z.string().min(1).optional(),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), { message: "a matcher needs at least one field" });

export const silenceSchema = z
  .object({
    id: z.string().min(1),
    ruleId: z.string().min(1).optional(),
    matcher: silenceMatcherSchema.optional(),
    until: z.iso.datetime({ offset: true }),
    by: z.string().min(1),
    reason: z.string().min(1),
    createdAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((s) => s.ruleId !== undefined || s.matcher !== undefined, { message: "a silence needs a ruleId or a matcher" });

export type SilenceMatcher = z.infer<typeof silenceMatcherSchema>;
export type Silence = z.infer<typeof silenceSchema>;

/** Check ids a condition watches. */
export function conditionKeys(condition: Condition): string[] {
  return [...condition.failOf, ...condition.warnOf];
}

export function isSilenceActive(silence: Silence, nowMs: number): boolean {
  return Date.parse(silence.until) > nowMs;
}

export function silenceMatchesRule(silence: Silence, rule: AlertRule): boolean {
  if (silence.ruleId !== undefined && silence.ruleId !== rule.id) return false;
  const m = silence.matcher;
  if (m) {
    if (m.alertSeverity !== undefined && m.alertSeverity !== rule.alertSeverity) return false;
    if (m.decisionSeverity !== undefined && m.decisionSeverity !== rule.decisionSeverity) return false;
    if (m.metric !== undefined && !conditionKeys(rule.condition).includes(m.metric)) return false;
  }
  return true;
}

/** The first unexpired silence that matches the rule, if any. */
export function findSilence(silences: readonly Silence[], rule: AlertRule, nowMs: number): Silence | undefined {
  return silences.find((s) => isSilenceActive(s, nowMs) && silenceMatchesRule(s, rule));
}

/** Silences still in force (for pruning a state file). */
export function activeSilences(silences: readonly Silence[], clock: Clock): Silence[] {
  const now = clock.now();
  return silences.filter((s) => isSilenceActive(s, now));
}

export interface CreateSilenceInput {
  ruleId?: string;
  matcher?: SilenceMatcher;
  /** Either an absolute ISO end or a duration from now. */
  until?: string;
  forMinutes?: number;
  by: string;
  reason: string;
  id?: string;
}

/** Builds and validates a silence (for `npm run silence`); throws a one-line error on bad input. */
export function createSilence(input: CreateSilenceInput, clock: Clock): Silence {
  const now = clock.now();
  if ((input.until === undefined) === (input.forMinutes === undefined)) {
    throw new Error("silence: give exactly one of until (ISO time) or forMinutes");
  }
  const until = input.until ?? new Date(now + input.forMinutes! * 60_000).toISOString();
  const candidate = {
    id: input.id ?? `silence-${new Date(now).toISOString().replace(/[-:.]/g, "")}-${(input.ruleId ?? "match").slice(0, 40)}`,
    ruleId: input.ruleId,
    matcher: input.matcher,
    until,
    by: input.by,
    reason: input.reason,
    createdAt: new Date(now).toISOString(),
  };
  const parsed = silenceSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`silence: ${issue.path.join(".") || "input"}: ${issue.message}`);
  }
  if (!isSilenceActive(parsed.data, now)) throw new Error(`silence: until ${until} is not in the future`);
  return parsed.data;
}
