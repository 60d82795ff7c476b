import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import dotenv from "dotenv";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { MonitorConfig } from "./schema.js";
import { monitorConfigSchema } from "./resolve.js";

export interface LoadConfigOptions {
  /** Config file; default `cutover.config.ts` in cwd if it exists, else built-in defaults. */
  file?: string;
  /** Highest priority, e.g. from command-line flags or tests. */
  overrides?: Record<string, unknown>;
  cwd?: string;
  /** .env file to load (default `.env` in cwd); values already in the environment win. */
  envFile?: string;
}

export interface LoadedConfig {
  config: MonitorConfig;
  /** Where it came from, for messages: a path or "(built-in defaults)". */
  source: string;
}

/**
 * Priority: overrides > config file > defaults. The environment (and .env) feeds defaults
 * such as PIPELINE_DIR / PIPELINE_PORT and secrets; secrets are referenced by variable name only.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  dotenv.config({ path: options.envFile ?? path.join(cwd, ".env"), quiet: true });

  let source = "(built-in defaults)";
  let fromFile: unknown = {};
  const file = options.file ? path.resolve(cwd, options.file) : path.join(cwd, "cutover.config.ts");
  if (options.file && !existsSync(file)) {
    throw new ConfigError(options.file, ["file not found"]);
  }
  if (existsSync(file)) {
    source = path.relative(cwd, file) || file;
    try {
      const mod = (await importConfigModule(file)) as { default?: unknown };
      fromFile = mod.default ?? {};
    } catch (error) {
      const first = String((error as Error)?.message ?? error).split("\n")[0];
      throw new ConfigError(source, [`cannot be loaded: ${first}`]);
    }
    if (typeof fromFile !== "object" || fromFile === null) {
      throw new ConfigError(source, ["default export: expected an object (use defineConfig({...}))"]);
    }
  }

  const merged = deepMerge(fromFile as Record<string, unknown>, options.overrides ?? {});
  const parsed = monitorConfigSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(source, parsed.error.issues.map(formatIssue));
  }
  return { config: parsed.data, source };
}

/**
 * A TypeScript config is bundled by esbuild into a temporary .mjs beside it (so its package
 * imports resolve as they would from the config), imported, and removed: the way vite loads
 * vite.config.ts. No TypeScript loader is registered for the rest of the process, which would
 * slow every later import of the monitor.
 */
async function importConfigModule(file: string): Promise<unknown> {
  if (!/\.[mc]?tsx?$/.test(file)) return import(pathToFileURL(file).href);
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  await esbuild.stop(); // its service process is not needed again
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.mjs`);
  writeFileSync(temp, result.outputFiles[0]!.text);
  try {
    return await import(pathToFileURL(temp).href);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** One line per problem: the key path and what was expected. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  return `${key}: ${issue.message}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars from `b` replace those of `a`. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}
