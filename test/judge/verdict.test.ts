import { describe, expect, it } from "vitest";
import { compareVerdicts, isVerdict, worst, type Verdict } from "../../src/judge/verdict.ts";

describe("worst", () => {
  it.each<[Verdict[], Verdict]>([
    [["PASS"], "PASS"],
    [["PASS", "WARN"], "WARN"],
    [["WARN", "ERROR"], "ERROR"],
    [["ERROR", "FAIL"], "FAIL"],
    [["FAIL", "PASS", "WARN", "ERROR"], "FAIL"],
    [[], "FAIL"], // judging nothing is never a pass
  ])("worst(%j) = %s", (verdicts, expected) => {
    expect(worst(...verdicts)).toBe(expected);
  });

  it("sorts best to worst", () => {
    const list: Verdict[] = ["FAIL", "PASS", "ERROR", "WARN"];
    expect([...list].sort(compareVerdicts)).toEqual(["PASS", "WARN", "ERROR", "FAIL"]);
  });

  it("recognises verdicts", () => {
    expect(isVerdict("WARN")).toBe(true);
    expect(isVerdict("pass")).toBe(false);
    expect(isVerdict(undefined)).toBe(false);
  });
});
