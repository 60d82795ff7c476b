import { describe, expect, it } from "vitest";
import { resolvePhase } from "../../src/checkpoint/due.js";
import { DEFAULT_SCHEDULE } from "../../src/config/schedule.js";

const start = "2026-01-01T00:00:00.000Z";
const at = (hhmm: string) => Date.parse(start) + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))) * 60_000;

describe("--phase=auto picks the latest scheduled checkpoint that is due and has not run", () => {
  it.each([
    // [now after cutover, already ran, expected phase@at or nothing]
    ["00:10", [], "hour0@00:00"],
    ["00:10", [{ phase: "hour0", scheduled_at: "00:00" }], null],
    ["01:05", [{ phase: "hour0", scheduled_at: "00:00" }], "hour1@01:00"],
    ["01:35", [{ phase: "hour1", scheduled_at: "01:00" }], "stability@01:30"],
    ["03:10", [{ phase: "stability", scheduled_at: "01:30" }], "stability@03:00"],
    ["05:59", [{ phase: "stability", scheduled_at: "05:00" }], null],
    ["06:00", [{ phase: "stability", scheduled_at: "05:00" }], "extended@06:00"],
    ["16:00", [], "day@15:00"],
    ["24:00", [], "final@24:00"],
    ["30:00", [{ phase: "final", scheduled_at: "24:00" }], null],
  ] as const)("at %s after cutover with %j -> %s", (now, ran, expected) => {
    const r = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [...ran], nowMs: at(now) });
    if (expected === null) {
      expect(r).toHaveProperty("nothingDue");
      expect((r as { nothingDue: string }).nothingDue).toMatch(/nothing due/);
    } else {
      expect(r).not.toHaveProperty("nothingDue");
      const ok = r as { phase: string; scheduledAt?: string };
      expect(`${ok.phase}@${ok.scheduledAt}`).toBe(expected);
    }
  });

  it("without a recorded cutover: pre-cutover first, then hour0", () => {
    const first = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: null, ran: [], nowMs: Date.now() });
    expect(first).toMatchObject({ phase: "pre-cutover" });
    const second = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: null, ran: [{ phase: "pre-cutover" }], nowMs: Date.now() });
    expect(second).toMatchObject({ phase: "hour0", scheduledAt: "00:00" });
  });

  it("the default schedule has the 20 checkpoints of DESIGN.md", () => {
    expect(DEFAULT_SCHEDULE).toHaveLength(20);
    expect(DEFAULT_SCHEDULE.filter((s) => s.phase === "stability").map((s) => s.at)).toEqual(["01:30", "02:00", "02:30", "03:00", "03:30", "04:00", "04:30", "05:00"]);
  });
});

describe("--phase=NAME and --at", () => {
  it("--at HH:MM labels the run; an ISO time maps to the nearest scheduled checkpoint of the phase", () => {
    expect(resolvePhase({ phase: "stability", at: "2:30", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: 0 })).toMatchObject({ phase: "stability", scheduledAt: "02:30" });
    const iso = new Date(at("02:29")).toISOString();
    expect(resolvePhase({ phase: "stability", at: iso, schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: 0 })).toMatchObject({ scheduledAt: "02:30" });
  });

  it("rejects an unknown phase or a bad --at with a usage error", () => {
    expect(() => resolvePhase({ phase: "lunch", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: null, ran: [], nowMs: 0 })).toThrow(/--phase: "lunch" is not a phase/);
    expect(() => resolvePhase({ phase: "day", at: "noonish", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: 0 })).toThrow(/--at: "noonish"/);
  });
});

describe("issue 8 §15: slots run by hand are not offered again", () => {
  it("a run labelled --at=03:05, or unlabelled at 03:10, stands for stability@03:00", () => {
    for (const ran of [
      [{ phase: "stability", scheduled_at: "03:05" }],
      [{ phase: "stability", timestamp: new Date(at("03:10")).toISOString() }],
      [{ phase: "stability", scheduled_at: new Date(at("02:58")).toISOString() }],
    ]) {
      const r = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran, nowMs: at("03:20") });
      expect(r, JSON.stringify(ran)).toHaveProperty("nothingDue");
    }
  });

  it("a run of another phase, or long before the slot, does not cover it", () => {
    const other = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [{ phase: "hour1", timestamp: new Date(at("03:10")).toISOString() }], nowMs: at("03:20") });
    expect(other).toMatchObject({ phase: "stability", scheduledAt: "03:00" });
    const early = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [{ phase: "stability", timestamp: new Date(at("02:40")).toISOString() }], nowMs: at("03:20") });
    expect(early).toMatchObject({ phase: "stability", scheduledAt: "03:00" });
  });

  it("--phase=stability without --at stands for the slot due now", () => {
    expect(resolvePhase({ phase: "stability", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: at("03:10") })).toMatchObject({ scheduledAt: "03:00" });
    expect(resolvePhase({ phase: "stability", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: at("00:20") })).not.toHaveProperty("scheduledAt");
  });
});

describe("issue 8 §8: --at takes only real times", () => {
  it.each(["25:00", "99:99", "02:61", "24:30", "", " ", "7"])("rejects %j", (bad) => {
    expect(() => resolvePhase({ phase: "stability", at: bad, schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: 0 })).toThrow(/--at: /);
  });
  it.each([["00:00", "00:00"], ["24:00", "24:00"], ["9:05", "09:05"]])("accepts %s", (good, label) => {
    expect(resolvePhase({ phase: "stability", at: good, schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran: [], nowMs: 0 })).toMatchObject({ scheduledAt: label });
  });
});

describe("nothing due: next skips the slots already run ahead of the clock", () => {
  it("after hour0, hour1, stability 01:30 and 02:00 run at 00:01 -> next is stability at 02:30", () => {
    const ran = [
      { phase: "hour0", scheduled_at: "00:00" },
      { phase: "hour1", scheduled_at: "01:00" },
      { phase: "stability", scheduled_at: "01:30" },
      { phase: "stability", scheduled_at: "02:00" },
    ];
    const r = resolvePhase({ phase: "auto", schedule: DEFAULT_SCHEDULE, cutoverStartedAt: start, ran, nowMs: at("00:01") });
    expect((r as { nothingDue: string }).nothingDue).toMatch(/next is stability at 02:30/);
  });
});
