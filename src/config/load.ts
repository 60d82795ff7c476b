import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import dotenv from "dotenv";
import type { Message, Plugin } from "esbuild";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { configSchema, type MonitorConfig } from "./schema.js";
import { monitorConfigSchema } from "./resolve.js";
import { describeUnknownKey, findUnknownKeys } from "./strict.js";
import { secretRegistryFromConfig, setSecretRegistry } from "../secrets.js";

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
    let mod: { default?: unknown };
    try {
      mod = (await importConfigModule(file, cwd)) as { default?: unknown };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const first = String((error as Error)?.message ?? error).split("\n")[0];
      throw new ConfigError(source, [`cannot be loaded: ${first}`]);
    }
    // An empty file (or one exporting nothing) is a mistake, not a request for the defaults.
    if (mod.default === undefined) {
      throw new ConfigError(source, ["no configuration: the file has no default export (expected export default defineConfig({...}))"]);
    }
    fromFile = mod.default;
    if (typeof fromFile !== "object" || fromFile === null) {
      throw new ConfigError(source, ["default export: expected an object (use defineConfig({...}))"]);
    }
  }

  const merged = deepMerge(fromFile as Record<string, unknown>, options.overrides ?? {});
  // zod strips keys it does not know: a typo would silently give the default.
  const unknown = findUnknownKeys(configSchema, merged).map(describeUnknownKey);
  const parsed = monitorConfigSchema.safeParse(merged);
  if (unknown.length || !parsed.success) {
    throw new ConfigError(source, [...unknown, ...(parsed.error?.issues.map(formatIssue) ?? [])]);
  }
  // One registry of secrets (after dotenv loaded .env): what commands may receive, what is redacted.
  setSecretRegistry(secretRegistryFromConfig(parsed.data));
  return { config: parsed.data, source };
}

/**
 * A TypeScript config is bundled by esbuild, written into a fresh temp directory (the config's
 * own directory may be read-only), imported, and removed: the way vite loads vite.config.ts. Its
 * relative imports are bundled; its package imports are resolved from the config's directory, as
 * Node would, and kept as absolute file URLs so they load from the temp directory;
 * `import.meta.url` (and `.dirname`, `.filename`) are the config's own. No TypeScript loader is
 * registered for the rest of the process, which would slow every later import of the monitor.
 */
async function importConfigModule(file: string, cwd: string): Promise<unknown> {
  if (!/\.[mc]?tsx?$/.test(file)) return import(pathToFileURL(file).href);
  const esbuild = await import("esbuild");
  let text: string;
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: path.resolve(cwd),
      bundle: true,
      plugins: [packagesFromConfigDir],
      // Node's conditions only: esbuild would otherwise add "module", which Node ignores.
      conditions: [],
      format: "esm",
      platform: "node",
      target: "node20",
      define: {
        "import.meta.url": JSON.stringify(pathToFileURL(file).href),
        "import.meta.dirname": JSON.stringify(path.dirname(file)),
        "import.meta.filename": JSON.stringify(file),
      },
      write: false,
      logLevel: "silent",
    });
    text = result.outputFiles[0]!.text;
  } catch (error) {
    const first = (error as { errors?: Message[] }).errors?.[0];
    if (first) throw buildError(first, (error as { errors: Message[] }).errors.length - 1, cwd);
    throw error;
  } finally {
    await esbuild.stop(); // its service process is not needed again
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-config-"));
  try {
    const temp = path.join(dir, `${path.basename(file)}.mjs`);
    writeFileSync(temp, text);
    return await import(pathToFileURL(temp).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Package imports (`zod`, `cutover-monitor`) are resolved by esbuild from the importing file's
 * directory with Node's conditions and kept external as file URLs, so the bundle in the temp
 * directory imports the same files Node would have from beside the config. A bare import that
 * resolves outside node_modules (a tsconfig path alias, a linked package) is bundled.
 */
const packagesFromConfigDir: Plugin = {
  name: "packages-from-config-dir",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === RESOLVING) return undefined; // the build.resolve below: esbuild's own resolver
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
      if (resolved.errors.length) return { errors: resolved.errors };
      if (!resolved.external && !resolved.path.split(path.sep).includes("node_modules")) {
        return { path: resolved.path, namespace: resolved.namespace, suffix: resolved.suffix };
      }
      return { path: resolved.external ? resolved.path : pathToFileURL(resolved.path).href, external: true };
    });
  },
};
const RESOLVING = Symbol("packages-from-config-dir");

/** esbuild's first error as one line: `file:line:column: reason` (column 1-based, as editors count). */
function buildError(message: Message, more: number, cwd: string): ConfigError {
  const loc = message.location;
  const where = loc ? `${path.relative(cwd, path.resolve(cwd, loc.file)) || loc.file}:${loc.line}:${loc.column + 1}` : "(config)";
  return new ConfigError(where, [message.text + (more > 0 ? ` (and ${more} more error${more > 1 ? "s" : ""})` : "")]);
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
