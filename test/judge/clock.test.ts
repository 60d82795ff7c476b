import { describe, expect, it } from "vitest";
import { HOUR_MS, scaledClock, testClock } from "../../src/judge/clock.ts";

describe("clocks", () => {
  it("testClock only moves when told", () => {
    const clock = testClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(500);
    expect(clock.now()).toBe(1_500);
    clock.set(10);
    expect(clock.now()).toBe(10);
  });

  it("scaledClock runs factor times faster than its base", () => {
    const base = testClock(0);
    const start = Date.parse("2025-12-26T00:00:00Z");
    const clock = scaledClock(start, 60, base);
    expect(clock.now()).toBe(start);
    base.advance(60_000); // one real minute
    expect(clock.now() - start).toBe(HOUR_MS);
  });

  it("rejects a non-positive factor", () => {
    expect(() => scaledClock(0, 0)).toThrow(/factor/);
  });
});
