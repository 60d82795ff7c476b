/**
 * Every duration in judge/ and history/ (hold times, escalation timers, repeat
 * intervals, growth per hour) is measured with a Clock, so that tests and the
 * compressed 24-hour run can speed time up. Rates and slopes use the real
 * sample times (as read from this clock), never the `--at` label.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface TestClock extends Clock {
  /** Moves time forward (or back, with a negative value) by `ms`. */
  advance(ms: number): number;
  /** Jumps to an absolute epoch-ms time. */
  set(epochMs: number): void;
}

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that starts at `startEpochMs` and runs `factor` times faster than
 * `base` (factor 60: one real second is one simulated minute).
 */
export function scaledClock(startEpochMs: number, factor: number, base: Clock = systemClock): Clock {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new RangeError(`scaledClock: factor must be a positive number, got ${factor}`);
  }
  const realStart = base.now();
  return { now: () => startEpochMs + (base.now() - realStart) * factor };
}

/** A manual clock for tests: time only moves when told to. */
export function testClock(startEpochMs: number = Date.parse("2025-12-26T00:00:00.000Z")): TestClock {
  let current = startEpochMs;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
      return current;
    },
    set(epochMs: number) {
      current = epochMs;
    },
  };
}

export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
