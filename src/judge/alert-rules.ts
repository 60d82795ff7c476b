import { z } from "zod";
import type { Clock } from "./clock.ts";
import type { AlertRule, AlertSeverity, Condition, DecisionSeverity, Escalation, RollbackAdvice } from "./config.ts";
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

/** One check's verdict at this checkpoint (or at a watch sample), as the catalogue judged it. */
export interface Observation {
  verdict: Verdict;
  /** false when the check could not measure (target unreachable, monitor error): never evidence. */
  measured: boolean;
  value?: number | string | null;
  evidence?: Evidence;
  /** Where the observation came from: "checkpoint stability @ 02:00", later "watch sample". */
  source?: string;
}

/** Keyed by the check's catalogue id (e.g. "kpi-latency"). */
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
  /** Last time the rule's checks were measured (evidence either way); null: never. */
  lastMeasuredAt: z.string().nullable().default(null),
  /** The checks whose verdicts held the condition when it was last measured true. */
  lastChecks: z.array(z.string()).default(() => []),
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
  by: "silence" | "suppression" | "inhibition";
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
  /** inhibition: held while a rule with inhibitsUnmeasured (pipeline down) fires and this alert's checks could not be measured. */
  muted: null | { by: "silence" | "suppression" | "inhibition"; source: string };
  /** Set when the rule's checks have not been measured for longer than staleAfterSeconds. */
  stale: null | { since: string };
  /** The rule explains checks that could not be measured (pipeline down). */
  inhibitsUnmeasured: boolean;
  /** The checks whose verdicts hold the condition (or held it when last measured). */
  checks: string[];
}

export interface EvaluateRulesInput {
  rules: readonly AlertRule[];
  observations: Observations;
  state: AlertState;
  clock: Clock;
  /** The checkpoint label (e.g. "02:30"), recorded in notices; "next checkpoint" escalations compare it. */
  checkpoint: string;
  silences?: readonly Silence[];
  /** A firing alert not re-measured for this long is stale (default 1800 s). */
  staleAfterSeconds?: number;
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
  /** Check ids whose verdicts make the condition hold. */
  holding: string[];
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" && !Number.isNaN(v) ? v : null;
}

/**
 * Evidence or nothing: true when a measured check in failOf is FAIL or one in warnOf is WARN or
 * FAIL; false when at least one watched check was measured and none holds; unknown when none was
 * measured (not judged at this checkpoint, not measurable, or the monitor's own ERROR).
 */
function evaluateCondition(c: Condition, observations: Observations): ConditionResult {
  const evidence: Record<string, Observation> = {};
  const holding: string[] = [];
  let measured = 0;
  let value: number | null = null;
  let decisive: Observation | undefined;
  const look = (id: string, verdicts: readonly Verdict[]) => {
    const obs = observations[id];
    if (!obs) return;
    evidence[id] = obs;
    if (!obs.measured || obs.verdict === "ERROR") return;
    measured++;
    if (verdicts.includes(obs.verdict)) {
      holding.push(id);
      if (!decisive) {
        decisive = obs;
        value = numberOrNull(obs.value);
      }
    }
  };
  for (const id of c.failOf) look(id, ["FAIL"]);
  for (const id of c.warnOf) look(id, ["WARN", "FAIL"]);
  if (holding.length) return { truth: "true", value, observation: decisive, evidence, holding };
  if (measured) {
    const first = Object.values(evidence).find((o) => o.measured);
    return { truth: "false", value: numberOrNull(first?.value), observation: first, evidence, holding };
  }
  return { truth: "unknown", value: null, evidence, holding };
}

/** The condition as text, e.g. "kpi-latency is FAIL" or "kpi-latency or cpu is WARN/FAIL". */
export function describeCondition(c: Condition): string {
  const parts: string[] = [];
  if (c.failOf.length) parts.push(`${c.failOf.join(" or ")} is FAIL`);
  if (c.warnOf.length) parts.push(`${c.warnOf.join(" or ")} is WARN or FAIL`);
  return parts.join("; or ");
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
    lastMeasuredAt: null,
    lastChecks: [],
  };
}

function escalationReached(step: Escalation, instance: AlertInstance, nowMs: number, checkpoint: string): boolean {
  if (step.afterSeconds !== undefined) return nowMs - Date.parse(instance.firedAt!) >= step.afterSeconds * 1000;
  return step.atNextCheckpoint === true && instance.firedAtCheckpoint !== checkpoint;
}

/** A firing alert whose evidence is older than the stale limit. */
function staleSince(inst: AlertInstance, nowMs: number, staleAfterMs: number): boolean {
  const last = inst.lastMeasuredAt ?? inst.firedAt;
  return last !== null && nowMs - Date.parse(last) >= staleAfterMs;
}

export function evaluateRules(input: EvaluateRulesInput): EvaluateRulesResult {
  const { rules, observations, clock, checkpoint } = input;
  const silences = input.silences ?? [];
  const staleAfterMs = (input.staleAfterSeconds ?? 1800) * 1000;
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
    if (result.truth !== "unknown") {
      inst.lastValue = result.value;
      inst.lastMeasuredAt = now;
      if (result.truth === "true") inst.lastChecks = result.holding;
    }
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

  // Pass 2: notices, with suppression and inhibition read from the new statuses.
  const inhibitors = rules.filter((r) => r.inhibitsUnmeasured).map((r) => r.id);
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
    // Down is one alert: while it fires, an alert whose checks it made unmeasurable is held (no
    // notice, no say in the decision) until they are measured again.
    const unmeasured = result.truth === "unknown" && Object.values(result.evidence).some((o) => !o.measured);
    const inhibitor = !rule.inhibitsUnmeasured && unmeasured ? inhibitors.find((id) => next[id]?.status === "firing") : undefined;
    const mute: FiringAlert["muted"] = silence
      ? { by: "silence", source: silence.id }
      : inhibitor
        ? { by: "inhibition", source: inhibitor }
        : suppressor
          ? { by: "suppression", source: suppressor }
          : null;
    let sent = false;
    const emit = (n: AlertTransition) => {
      if (mute) {
        const reason =
          mute.by === "silence" ? `silenced by ${silence!.by} until ${silence!.until}: ${silence!.reason}` : mute.by === "inhibition" ? `held while ${mute.source} fires: its checks could not be measured` : `suppressed while ${mute.source} is firing`;
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
    // Escalation timers act on evidence only: an alert not re-measured now (unknown) does not
    // escalate; it waits for a measurement, and goes stale if none comes.
    if (result.truth === "true") rule.escalations.forEach((step, i) => {
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
      inhibitsUnmeasured: rule.inhibitsUnmeasured,
      stale: result.truth === "unknown" && staleSince(inst, nowMs, staleAfterMs) ? { since: inst.lastMeasuredAt ?? inst.firedAt! } : null,
      checks: result.holding.length ? result.holding : inst.lastChecks,
    });
  }

  return { state: { version: 1, alerts: next }, notices, muted, firing };
}
