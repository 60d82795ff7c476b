/**
 * Which output channels a pipeline writes besides its local files, from the command line. A
 * channel is on only when its flag is given; its secret comes from an environment variable (by
 * default AZURE_STORAGE_CONNECTION_STRING, SUPABASE_DB_URL), never from a flag, so it does not
 * show in `ps` nor in the serve command line `start` spawns. Without these flags the pipeline
 * writes its local files only, as it always did.
 */
import { UsageError } from "../service/common.ts";

export interface SupabaseTables {
  runs: string;
  loans_processed: string;
  kpi_results: string;
}

export interface ChannelOptions {
  /** Azure Blob Storage container (turns the channel on). */
  azureContainer?: string;
  azureEnv?: string;
  /** PostgreSQL schema of the Supabase tables (turns the channel on). */
  supabaseSchema?: string;
  supabaseEnv?: string;
  supabaseTables?: SupabaseTables;
  /** Runs kept in Azure and Supabase (older ones are deleted). */
  keepRuns?: number;
}

export const DEFAULT_AZURE_ENV = "AZURE_STORAGE_CONNECTION_STRING";
export const DEFAULT_SUPABASE_ENV = "SUPABASE_DB_URL";
export const DEFAULT_KEEP_RUNS = 5;
export const DEFAULT_TABLES: SupabaseTables = { runs: "runs", loans_processed: "loans_processed", kpi_results: "kpi_results" };

/** The parseArgs options of the channel flags (start, serve, run-once). */
export const CHANNEL_FLAGS = {
  "azure-container": { type: "string" },
  "azure-env": { type: "string" },
  "supabase-schema": { type: "string" },
  "supabase-env": { type: "string" },
  "supabase-tables": { type: "string" },
  "keep-runs": { type: "string" },
} as const;
export const CHANNEL_FLAG_NAMES = Object.keys(CHANNEL_FLAGS) as (keyof typeof CHANNEL_FLAGS)[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates the flags; throws UsageError naming the flag. */
export function channelOptionsFrom(v: Partial<Record<keyof typeof CHANNEL_FLAGS, string>>): ChannelOptions {
  const o: ChannelOptions = {};
  if (v["azure-container"] !== undefined) {
    // Azure's rule: 3-63 lower-case letters, digits and single hyphens.
    if (!/^(?!-)(?!.*--)[a-z0-9-]{3,63}(?<!-)$/.test(v["azure-container"])) throw new UsageError(`invalid --azure-container "${v["azure-container"]}" (3-63 lower-case letters, digits, hyphens)`);
    o.azureContainer = v["azure-container"];
  }
  if (v["azure-env"] !== undefined) {
    if (!ENV.test(v["azure-env"])) throw new UsageError(`invalid --azure-env "${v["azure-env"]}" (an environment variable name)`);
    if (o.azureContainer === undefined) throw new UsageError("--azure-env needs --azure-container");
    o.azureEnv = v["azure-env"];
  }
  if (v["supabase-schema"] !== undefined) {
    if (!IDENT.test(v["supabase-schema"])) throw new UsageError(`invalid --supabase-schema "${v["supabase-schema"]}" (a plain SQL identifier)`);
    o.supabaseSchema = v["supabase-schema"];
  }
  for (const k of ["supabase-env", "supabase-tables"] as const) if (v[k] !== undefined && o.supabaseSchema === undefined) throw new UsageError(`--${k} needs --supabase-schema`);
  if (v["supabase-env"] !== undefined) {
    if (!ENV.test(v["supabase-env"])) throw new UsageError(`invalid --supabase-env "${v["supabase-env"]}" (an environment variable name)`);
    o.supabaseEnv = v["supabase-env"];
  }
  if (v["supabase-tables"] !== undefined) {
    const t: SupabaseTables = { ...DEFAULT_TABLES };
    for (const part of v["supabase-tables"].split(",")) {
      const [k, name] = part.split("=");
      if (!k || !(k in t) || !name || !IDENT.test(name)) throw new UsageError(`invalid --supabase-tables "${v["supabase-tables"]}" (runs=NAME,loans_processed=NAME,kpi_results=NAME)`);
      t[k as keyof SupabaseTables] = name;
    }
    o.supabaseTables = t;
  }
  if (v["keep-runs"] !== undefined) {
    const n = Number(v["keep-runs"]);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`invalid --keep-runs "${v["keep-runs"]}" (1..1000)`);
    o.keepRuns = n;
  }
  return o;
}

/** The same options as flags again (start -> serve, supervisor -> serve). */
export function channelArgs(o: ChannelOptions | undefined): string[] {
  if (!o) return [];
  const a: string[] = [];
  if (o.azureContainer) a.push("--azure-container", o.azureContainer);
  if (o.azureEnv) a.push("--azure-env", o.azureEnv);
  if (o.supabaseSchema) a.push("--supabase-schema", o.supabaseSchema);
  if (o.supabaseEnv) a.push("--supabase-env", o.supabaseEnv);
  if (o.supabaseTables) a.push("--supabase-tables", Object.entries(o.supabaseTables).map(([k, v]) => `${k}=${v}`).join(","));
  if (o.keepRuns !== undefined) a.push("--keep-runs", String(o.keepRuns));
  return a;
}

/** The secrets the options need, checked before a service starts (a clear usage error instead of failing runs). */
export function missingSecrets(o: ChannelOptions, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (o.azureContainer && !env[o.azureEnv ?? DEFAULT_AZURE_ENV]?.trim()) out.push(`--azure-container needs the connection string in ${o.azureEnv ?? DEFAULT_AZURE_ENV}`);
  if (o.supabaseSchema && !env[o.supabaseEnv ?? DEFAULT_SUPABASE_ENV]?.trim()) out.push(`--supabase-schema needs the database URL in ${o.supabaseEnv ?? DEFAULT_SUPABASE_ENV}`);
  return out;
}
