import type { MonitorConfigInput } from "./schema.js";

/** Typed identity for `cutover.config.ts`; validation happens when the config is loaded. */
export function defineConfig(config: MonitorConfigInput): MonitorConfigInput {
  return config;
}
export type { MonitorConfigInput, MonitorConfig } from "./schema.js";
