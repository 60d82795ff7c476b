import { z } from "zod";
import type { Clock } from "./clock.ts";
import type {
  AlertRule,
  AlertSeverity,
  CheckCondition,
  Condition,
  DecisionSeverity,
  Escalation,
  MetricCondition,
  RollbackAdvice,
} from "./config.ts";
import { findSilence, type Silence } from "./silences.ts";
import type { Verdict } from "./verdict.ts";

/**
 * Alert rules over one checkpoint's observations, with a state that outlives
 * the process: inactive -> pending (condition holds, hold time not yet over)
 * -> firing -> resolved. Pure: the input state is never mutated; the caller
 * persists the returned state (see state-file.ts) and sends the notices.
 */

// ---------------------------------------------------------------- input

/** Evidence that travels with a verdict into every alert notice. */
export interface Evidence {
  /** Human text of the band or rule, e.g. "PASS < 100 ms, WARN 100-500 ms, FAIL > 500 ms". */
  threshold?: string;
  baseline?: string | number | null;
  /** e.g. "since 2025-12-26T01:00:00Z" or "30 min, 12 samples". */
  window?: string;
  reason?: string;
  [key: string]: unknown;
}

/** One metric's or check's result at this checkpoint. */
export interface Observation {
  value?: number | null;
  verdict: Verdict;
  evidence?: Evidence;
}

/** Keyed by metric id (e.g. "kpi_latency_ms") or check id (e.g. "audit_trail"). */
export type Observations = Record<string, Observation>;

// ---------------------------------------------------------------- state

export const alertStatusSchema = z.enum(["inactive", "pending", "firing", "resolved"]);
export type AlertStatus = z.infer<typeof alertStatusSchema>;

export const alertInstanceSchema = z.object({
  ruleId: z.string(),
  status: alertStatusSchema,
  /** Stable from firing to resolve; the dedup key for channels. */
  incidentId: z.string().nullable(),
  pendingSince: z.string().nullable(),
  firedAt: z.string().nullable(),
  firedAtCheckpoint: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  /** Whether this incident's trigger notice went out (a resolve follows only a notified trigger). */
  notified: z.boolean(),
  lastNotifiedAt: z.string().nullable(),
  /** Indices into the rule's escalations that have been reached (each fires once). */
  escalationsReached: z.array(z.number().int().nonnegative()),
  lastValue: z.number().nullable(),
  lastEvaluatedAt: z.string().nullable(),
});
export type AlertInstance = z.infer<typeof alertInstanceSchema>;

export const alertStateSchema = z.object({
  version: z.literal(1),
  alerts: z.record(z.string(), alertInstanceSchema),
});
/** Plain JSON: times are ISO strings. */
export type AlertState = z.infer<typeof alertStateSchema>;

export function emptyAlertState(): AlertState {
  return { version: 1, alerts: {} };
}

// ---------------------------------------------------------------- output

export type TransitionKind = "trigger" | "resolve" | "reminder" | "escalation";

export interface AlertTransition {
  kind: TransitionKind;
  ruleId: string;
  incidentId: string;
  alertSeverity: AlertSeverity;
  decisionSeverity: DecisionSeverity;
  description: string;
  /** The rule's action, or the escalation step's action. */
  action: string;
  runbook: string[];
  /** The value that made (or unmade) the condition; null when nothing was measured. */
  value: number | null;
  /** The rule's condition as text, e.g. "kpi_latency_ms > 500 ms". */
  threshold: string;
  baseline: string | number | null;
  window: string | null;
  checkpoint: string;
  /** Clock time of this notice (ISO). */
  at: string;
  firedAt: string;
  escalation?: { step: number; action: string; afterSeconds?: number; atNextCheckpoint?: boolean; rollbackRecommended: boolean };
  /** The rule's own rollback advice, if it overrides the decision tree. */
  rollback?: RollbackAdvice;
  /** An escalation step that recommends rollback has been reached for this incident. */
  rollbackRecommended: boolean;
  /** The observations the condition read. */
  evidence: Record<string, Observation>;
}

export interface MutedNotice {
  notice: AlertTransition;
  by: "silence" | "suppression";
  /** Silence id or the suppressing rule id. */
  source: string;
  reason: string;
}

/** A currently firing alert (muted or not): the decision tree's input. */
export interface FiringAlert {
  ruleId: string;
  incidentId: string;
  alertSeverity: AlertSeverity;
  decisionSeverity: DecisionSeverity;
  description: string;
  action: string;
  runbook: string[];
  value: number | null;
  threshold: string;
  firedAt: string;
  rollback?: RollbackAdvice;
  rollbackRecommended: boolean;
  /** Actions of the escalation steps reached so far. */
  escalationsReached: string[];
  muted: null | { by: "silence" | "suppression"; source: string };
}

export interface EvaluateRulesInput {
  rules: readonly AlertRule[];
  observations: Observations;
  state: AlertState;
  clock: Clock;
  /** The checkpoint label (e.g. "02:30"), recorded in notices; "next checkpoint" escalations compare it. */
  checkpoint: string;
  silences?: readonly Silence[];
}

export interface EvaluateRulesResult {
  state: AlertState;
  /** Notices to send, in rule order. */
  notices: AlertTransition[];
  /** Notices held back by a silence or a suppressing critical alert (for the event log). */
  muted: MutedNotice[];
  firing: FiringAlert[];
}

// ---------------------------------------------------------------- conditions

type Truth = "true" | "false" | "unknown";

interface ConditionResult {
  truth: Truth;
  value: number | null;
  /** The observation that decided it (for baseline and window). */
  observation?: Observation;
  evidence: Record<string, Observation>;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" && !Number.isNaN(v) ? v : null;
}

const compare = (value: number, op: MetricCondition["operator"], threshold: number): boolean =>
  op === ">" ? value > threshold : op === ">=" ? value >= threshold : op === "<" ? value < threshold : value <= threshold;

function evaluateMetric(c: MetricCondition, observations: Observations): ConditionResult {
  const obs = observations[c.metric];
  const evidence = obs ? { [c.metric]: obs } : {};
  // Absent or ERROR (the monitor's own defect): no evidence either way, the rule keeps its state.
  if (!obs || obs.verdict === "ERROR") return { truth: "unknown", value: null, observation: obs, evidence };
  const value = numberOrNull(obs.value);
  if (value === null) {
    const fires = obs.verdict === "FAIL" && c.whenMissing === "fire";
    return { truth: fires ? "true" : "unknown", value: null, observation: obs, evidence };
  }
  return { truth: compare(value, c.operator, c.threshold) ? "true" : "false", value, observation: obs, evidence };
}

function evaluateCheck(c: CheckCondition, observations: Observations): ConditionResult {
  const obs = observations[c.check];
  const evidence = obs ? { [c.check]: obs } : {};
  if (!obs || obs.verdict === "ERROR") return { truth: "unknown", value: null, observation: obs, evidence };
  const holds = (c.verdicts as readonly Verdict[]).includes(obs.verdict);
  return { truth: holds ? "true" : "false", value: numberOrNull(obs.value), observation: obs, evidence };
}

function evaluateCondition(c: Condition, observations: Observations): ConditionResult {
  if ("anyOf" in c) {
    const parts = c.anyOf.map((p) => evaluateCondition(p, observations));
    const evidence = Object.assign({}, ...parts.map((p) => p.evidence)) as Record<string, Observation>;
    const hit = parts.find((p) => p.truth === "true");
    if (hit) return { ...hit, evidence };
    const truth: Truth = parts.some((p) => p.truth === "unknown") ? "unknown" : "false";
    const first = parts.find((p) => p.observation) ?? parts[0]!;
    return { truth, value: first.value, observation: first.observation, evidence };
  }
  return "metric" in c ? evaluateMetric(c, observations) : evaluateCheck(c, observations);
}

/** The condition as text, e.g. "kpi_latency_ms > 500 ms" or "audit_trail is FAIL". */
export function describeCondition(c: Condition): string {
  if ("anyOf" in c) return c.anyOf.map(describeCondition).join(" or ");
  if ("metric" in c) return `${c.metric} ${c.operator} ${c.threshold}${c.unit ? ` ${c.unit}` : ""}`;
  return `${c.check} is ${c.verdicts.join(" or ")}`;
}

// ---------------------------------------------------------------- evaluation

function inactive(ruleId: string): AlertInstance {
  return {
    ruleId,
    status: "inactive",
    incidentId: null,
    pendingSince: null,
    firedAt: null,
    firedAtCheckpoint: null,
    resolvedAt: null,
    notified: false,
    lastNotifiedAt: null,
    escalationsReached: [],
    lastValue: null,
    lastEvaluatedAt: null,
  };
}

function escalationReached(step: Escalation, instance: AlertInstance, nowMs: number, checkpoint: string): boolean {
  if (step.afterSeconds !== undefined) return nowMs - Date.parse(instance.firedAt!) >= step.afterSeconds * 1000;
  return step.atNextCheckpoint === true && instance.firedAtCheckpoint !== checkpoint;
}

export function evaluateRules(input: EvaluateRulesInput): EvaluateRulesResult {
  const { rules, observations, clock, checkpoint } = input;
  const silences = input.silences ?? [];
  const nowMs = clock.now();
  const now = new Date(nowMs).toISOString();

  // Pass 1: each rule's new status.
  const next: Record<string, AlertInstance> = { ...input.state.alerts };
  const results = new Map<string, { result: ConditionResult; previous: AlertInstance }>();
  for (const rule of rules) {
    const previous = input.state.alerts[rule.id] ?? inactive(rule.id);
    const result = evaluateCondition(rule.condition, observations);
    results.set(rule.id, { result, previous });
    const inst: AlertInstance = { ...previous, escalationsReached: [...previous.escalationsReached], lastEvaluatedAt: now };
    if (result.truth !== "unknown") inst.lastValue = result.value;
    if (result.truth === "true") {
      if (inst.status === "inactive" || inst.status === "resolved") {
        inst.status = "pending";
        inst.pendingSince = now;
      }
      if (inst.status === "pending" && nowMs - Date.parse(inst.pendingSince!) >= rule.forSeconds * 1000) {
        Object.assign(inst, {
          status: "firing",
          incidentId: `${rule.id}@${now}`,
          firedAt: now,
          firedAtCheckpoint: checkpoint,
          resolvedAt: null,
          notified: false,
          lastNotifiedAt: null,
          escalationsReached: [],
        } satisfies Partial<AlertInstance>);
      }
    } else if (result.truth === "false") {
      if (inst.status === "firing") {
        inst.status = "resolved";
        inst.resolvedAt = now;
      } else if (inst.status === "pending") {
        inst.status = "inactive";
      }
      inst.pendingSince = null;
    }
    next[rule.id] = inst;
  }

  // Pass 2: notices, with suppression read from the new statuses.
  const notices: AlertTransition[] = [];
  const muted: MutedNotice[] = [];
  const firing: FiringAlert[] = [];
  for (const rule of rules) {
    const inst = next[rule.id]!;
    const { result, previous } = results.get(rule.id)!;
    const reachedRollback = () => inst.escalationsReached.some((i) => rule.escalations[i]?.rollbackRecommended === true);
    const notice = (kind: TransitionKind, extra: Partial<AlertTransition> = {}): AlertTransition => ({
      kind,
      ruleId: rule.id,
      incidentId: inst.incidentId!,
      alertSeverity: rule.alertSeverity,
      decisionSeverity: rule.decisionSeverity,
      description: rule.description,
      action: rule.action,
      runbook: [...rule.runbook],
      value: result.truth === "unknown" ? inst.lastValue : result.value,
      threshold: describeCondition(rule.condition),
      baseline: (result.observation?.evidence?.baseline as string | number | null | undefined) ?? null,
      window: (result.observation?.evidence?.window as string | undefined) ?? null,
      checkpoint,
      at: now,
      firedAt: inst.firedAt!,
      ...(rule.rollback ? { rollback: rule.rollback } : {}),
      rollbackRecommended: reachedRollback(),
      evidence: result.evidence,
      ...extra,
    });

    if (previous.status === "firing" && inst.status === "resolved") {
      // Closing an incident is never muted: a recovery goes wherever the trigger went.
      if (inst.notified) notices.push(notice("resolve"));
      continue;
    }
    if (inst.status !== "firing") continue;

    const silence = findSilence(silences, rule, nowMs);
    const suppressor = rule.suppressedBy.find((id) => next[id]?.status === "firing");
    const mute: FiringAlert["muted"] = silence
      ? { by: "silence", source: silence.id }
      : suppressor
        ? { by: "suppression", source: suppressor }
        : null;
    let sent = false;
    const emit = (n: AlertTransition) => {
      if (mute) {
        const reason = mute.by === "silence" ? `silenced by ${silence!.by} until ${silence!.until}: ${silence!.reason}` : `suppressed while ${mute.source} is firing`;
        muted.push({ notice: n, by: mute.by, source: mute.source, reason });
        return;
      }
      notices.push(n);
      sent = true;
      inst.lastNotifiedAt = now;
    };

    if (!inst.notified) {
      // A muted trigger is sent once the silence or suppression ends, if the alert still fires.
      emit(notice("trigger"));
      if (sent) inst.notified = true;
    }
    rule.escalations.forEach((step, i) => {
      if (inst.escalationsReached.includes(i) || !escalationReached(step, inst, nowMs, checkpoint)) return;
      inst.escalationsReached.push(i);
      emit(
        notice("escalation", {
          action: step.action,
          rollbackRecommended: reachedRollback(),
          escalation: {
            step: i,
            action: step.action,
            ...(step.afterSeconds !== undefined ? { afterSeconds: step.afterSeconds } : {}),
            ...(step.atNextCheckpoint ? { atNextCheckpoint: true } : {}),
            rollbackRecommended: step.rollbackRecommended,
          },
        }),
      );
    });
    if (!sent && inst.notified && inst.lastNotifiedAt !== null && nowMs - Date.parse(inst.lastNotifiedAt) >= rule.repeatIntervalSeconds * 1000) {
      emit(notice("reminder"));
    }

    firing.push({
      ruleId: rule.id,
      incidentId: inst.incidentId!,
      alertSeverity: rule.alertSeverity,
      decisionSeverity: rule.decisionSeverity,
      description: rule.description,
      action: rule.action,
      runbook: [...rule.runbook],
      value: result.truth === "unknown" ? inst.lastValue : result.value,
      threshold: describeCondition(rule.condition),
      firedAt: inst.firedAt!,
      ...(rule.rollback ? { rollback: rule.rollback } : {}),
      rollbackRecommended: reachedRollback(),
      escalationsReached: inst.escalationsReached.map((i) => rule.escalations[i]!.action),
      muted: mute,
    });
  }

  return { state: { version: 1, alerts: next }, notices, muted, firing };
}
