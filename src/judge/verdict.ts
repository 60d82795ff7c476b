/**
 * The four result states of docs/DESIGN.md ("Result states").
 *
 * Ordering, from best to worst: PASS < WARN < ERROR < FAIL.
 * ERROR ranks above WARN (it is reported loudly) but below FAIL: a checkpoint
 * with a FAIL is a failure even if another check was inconclusive, which is
 * what the exit codes say (1 FAIL beats 3 inconclusive).
 */
export const VERDICTS = ["PASS", "WARN", "ERROR", "FAIL"] as const;
export type Verdict = (typeof VERDICTS)[number];

const RANK: Record<Verdict, number> = { PASS: 0, WARN: 1, ERROR: 2, FAIL: 3 };

export function isVerdict(value: unknown): value is Verdict {
  return typeof value === "string" && value in RANK;
}

/** 0 for PASS up to 3 for FAIL. */
export function verdictRank(verdict: Verdict): number {
  return RANK[verdict];
}

/** Comparator for sorting from best to worst (use `(a, b) => compareVerdicts(b, a)` for worst first). */
export function compareVerdicts(a: Verdict, b: Verdict): number {
  return RANK[a] - RANK[b];
}

/**
 * The worst of the given verdicts. With no verdict at all the answer is FAIL:
 * judging nothing is never a pass (docs/DESIGN.md: a check that measured nothing is a FAIL).
 */
export function worst(...verdicts: Verdict[]): Verdict {
  if (verdicts.length === 0) return "FAIL";
  let result: Verdict = "PASS";
  for (const v of verdicts) if (RANK[v] > RANK[result]) result = v;
  return result;
}
