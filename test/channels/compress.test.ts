/**
 * `--speed N` (src/monitor/compress.ts): every output channel's freshness limit is scaled like the
 * local channel's, with a named floor (4 pipeline runs; for the remote channels plus the 1 s their
 * clocks tell: Azure's Last-Modified has whole seconds); a channel not configured stays so.
 */
import { describe, expect, it } from "vitest";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import { compressConfig } from "../../src/monitor/compress.js";

describe("time compression of the output channels' maximum age", () => {
  const config = monitorConfigSchema.parse({ target: { outputs: { local: { maxAgeSeconds: 120 }, azure: { maxAgeSeconds: 600 }, supabase: { maxAgeSeconds: 900 } } } });

  it("scales Azure's and Supabase's maxAgeSeconds by the speed, as the local channel's", () => {
    const { config: c, compression } = compressConfig(config, 30);
    expect(c.target.outputs.local.maxAgeSeconds).toBe(4);
    expect(c.target.outputs.azure!.maxAgeSeconds).toBe(20);
    expect(c.target.outputs.supabase!.maxAgeSeconds).toBe(30);
    expect(compression.floors.filter((f) => f.startsWith("outputs."))).toEqual([]);
    // the input is not changed
    expect(config.target.outputs.azure!.maxAgeSeconds).toBe(600);
  });

  it("floors them at 4 pipeline runs plus their clock's second of precision, and names it", () => {
    const { config: c, compression } = compressConfig(config, 3600);
    expect(c.target.outputs.local.maxAgeSeconds).toBe(1); // 4 runs of 0.25 s
    for (const ch of ["azure", "supabase"] as const) {
      expect(c.target.outputs[ch]!.maxAgeSeconds, ch).toBe(2); // 4 runs of 0.25 s + 1 s
      expect(compression.floors.some((f) => f.startsWith(`outputs.${ch}.maxAgeSeconds `) && /floor: 4 pipeline runs \+ 1 s/.test(f)), ch).toBe(true);
    }
  });

  it("leaves a channel that is not configured unconfigured", () => {
    const { config: c } = compressConfig(monitorConfigSchema.parse({}), 600);
    expect(c.target.outputs.azure).toBeNull();
    expect(c.target.outputs.supabase).toBeNull();
  });
});
