/**
 * What the output-channel tests share: Azurite (really running, from node_modules, by its pid) and
 * a real PostgreSQL 15 server (test/support/postgres-server.ts; outside CI, where the server is
 * missing, the embedded PGlite is used and the test says so loudly); the reference pipeline
 * started with its Azure and Supabase channels; and the monitor's own probe, catalogue checks,
 * alert rules and decision tree run in this process on what it measures (the same functions a
 * checkpoint runs; test/channels/checkpoint.test.ts runs the real CLI end to end).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startAzurite, startEmbeddedPostgres, type Azurite } from "../../src/channels/local-services.js";
import { startPostgres } from "../support/postgres-server.js";
import { freePort, runCli, waitFor } from "../support/pipeline-harness.js";
import { generateCsv } from "../../pipeline/tape/generate.ts";
import { monitorConfigSchema } from "../../src/config/resolve.js";
import type { MonitorConfig } from "../../src/config/schema.js";
import { probeDataQuality, type DataQualityMeasurement } from "../../src/probes/data-quality.js";
import { CATALOGUE } from "../../src/catalogue/catalogue.js";
import { assess } from "../../src/catalogue/check.js";
import type { CheckpointContext, CheckRecord } from "../../src/checkpoint/context.js";
import { emptyAlertState, evaluateRules } from "../../src/judge/alert-rules.js";
import { testClock } from "../../src/judge/clock.js";
import { decide, type Decision } from "../../src/judge/decide.js";
import { observationsOf } from "../../src/judge/judge-checkpoint.js";

/** The checks the output channels answer (catalogue ids). */
export const OUTPUT_CHECKS = ["data-quality", "data-quality-azure", "data-quality-supabase", "output-reconciliation", "output-local", "output-azure", "output-supabase"] as const;
export const DQ_OF = { local: "data-quality", azure: "data-quality-azure", supabase: "data-quality-supabase" } as const;
export const OUTPUT_OF = { local: "output-local", azure: "output-azure", supabase: "output-supabase" } as const;

export interface Services {
  azurite: Azurite;
  pgUrl: string;
  pgKind: string;
  env: { AZURE_STORAGE_CONNECTION_STRING: string; SUPABASE_DB_URL: string };
  stopAzurite(): Promise<void>;
  stopPostgres(): Promise<void>;
  stop(): Promise<void>;
}

/** Azurite and PostgreSQL, both really running. */
export async function startServices(): Promise<Services> {
  const azurite = await startAzurite();
  let pg: { url: string; stop(): Promise<void> };
  let pgKind = "PostgreSQL 15 server";
  try {
    pg = await startPostgres();
  } catch (err) {
    if (process.env.CI) {
      await azurite.stop();
      throw err;
    }
    pgKind = "embedded PGlite (NO PostgreSQL server on this machine)";
    process.stderr.write(
      `\n!!! ${path.basename(import.meta.filename)}: no PostgreSQL server (${(err as Error).message.split("\n")[0]}); ` +
        `the Supabase channel is tested against the EMBEDDED PGlite instead. Install postgresql-15 (.ci/run does) to test it against a real server.\n\n`,
    );
    pg = await startEmbeddedPostgres();
  }
  let pgStopped = false;
  return {
    azurite,
    pgUrl: pg.url,
    pgKind,
    env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, SUPABASE_DB_URL: pg.url },
    stopAzurite: () => azurite.stop(),
    async stopPostgres() {
      if (pgStopped) return;
      pgStopped = true;
      await pg.stop();
    },
    async stop() {
      await azurite.stop();
      if (!pgStopped) {
        pgStopped = true;
        await pg.stop();
      }
    },
  };
}

/** A small generated input tape (fast writes to three channels every half second). */
export function writeInput(dir: string, rows = 2000, seed = 7): string {
  const file = path.join(dir, `input-${rows}.csv`);
  fs.writeFileSync(file, generateCsv({ rows, seed }));
  return file;
}

export interface ChannelPipeline {
  dir: string;
  port: number;
  url: string;
  input: string;
  container: string;
  schema: string;
  tables?: { runs: string; loans_processed: string; kpi_results: string };
  fault(...specs: string[]): Promise<void>;
  /** Resolves once a run that started after now has finished. */
  nextRun(): Promise<void>;
  stop(): Promise<void>;
}

/** The reference pipeline (V2) writing to the local files, Azure (container) and Supabase (schema). */
export async function startChannelPipeline(s: Services, o: { container: string; schema: string; tables?: ChannelPipeline["tables"]; interval?: number; rows?: number }): Promise<ChannelPipeline> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "channels-pipeline-"));
  const input = writeInput(dir, o.rows ?? 2000);
  let port = 0;
  let r;
  for (let attempt = 1; attempt <= 5; attempt++) {
    port = await freePort();
    const args = ["start", "--dir", dir, "--port", String(port), "--version", "v2", "--interval", String(o.interval ?? 0.5), "--input", input, "--allow-faults", "--azure-container", o.container, "--supabase-schema", o.schema];
    if (o.tables) args.push("--supabase-tables", `runs=${o.tables.runs},loans_processed=${o.tables.loans_processed},kpi_results=${o.tables.kpi_results}`);
    r = await runCli(args, { timeout: 60_000, env: s.env });
    if (r.exitCode === 0 || !/EADDRINUSE/.test(`${r.stderr}${r.stdout}`)) break;
  }
  if (r!.exitCode !== 0) throw new Error(`pipeline start failed: ${r!.stderr} ${r!.stdout}\n${fs.existsSync(path.join(dir, "logs", "serve.out")) ? fs.readFileSync(path.join(dir, "logs", "serve.out"), "utf8").slice(-2000) : ""}`);
  const url = `http://127.0.0.1:${port}`;
  const health = async () => (await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) })).json()) as { last_run?: { finished_at?: string } };
  const p: ChannelPipeline = {
    dir,
    port,
    url,
    input,
    container: o.container,
    schema: o.schema,
    ...(o.tables ? { tables: o.tables } : {}),
    async fault(...specs) {
      const f = await runCli(["fault", ...specs, "--dir", dir, "--port", String(port)], { timeout: 30_000, env: s.env });
      if (f.exitCode !== 0) throw new Error(`pipeline fault ${specs.join(" ")} failed: ${f.stderr}`);
    },
    async nextRun() {
      const since = Date.now();
      await waitFor(async () => {
        const at = (await health()).last_run?.finished_at;
        return at && Date.parse(at) > since + 20 ? true : undefined;
      }, 30_000, "a run that started after now", 50);
      // and the one after it: the first may have started before `since`
      const after = Date.now();
      await waitFor(async () => {
        const at = (await health()).last_run?.finished_at;
        return at && Date.parse(at) > after + 20 ? true : undefined;
      }, 30_000, "a second run", 50);
    },
    async stop() {
      await runCli(["stop", "--dir", dir], { timeout: 30_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return p;
}

/** The monitor's config for that pipeline (every channel configured). */
export function configFor(p: ChannelPipeline, extra: { maxAgeSeconds?: number } = {}): MonitorConfig {
  const max = extra.maxAgeSeconds ?? 4;
  return monitorConfigSchema.parse({
    target: {
      stateDir: p.dir,
      baseUrl: p.url,
      outputs: {
        local: { inputFile: p.input, maxAgeSeconds: max },
        azure: { container: p.container, maxAgeSeconds: max },
        supabase: { schema: p.schema, maxAgeSeconds: max, ...(p.tables ? { tables: { runs: p.tables.runs, rows: p.tables.loans_processed, kpis: p.tables.kpi_results } } : {}) },
      },
    },
  });
}

export interface Judged {
  measurement: DataQualityMeasurement;
  checks: CheckRecord[];
  byId: Record<string, CheckRecord>;
  firing: string[];
  decision: Decision;
}

/** A stability checkpoint's context holding only a dataQuality probe result, for assess(). */
export function dataQualityContext(config: MonitorConfig, r: unknown): CheckpointContext {
  return {
    config,
    checkpoint: { id: "t", phase: "stability", label: "stability @ test", startedAt: new Date().toISOString() },
    measurements: { phase: "stability", checkpoint: "t", startedAt: "", finishedAt: "", probes: ["dataQuality"], dataQuality: r, state: {} },
    cutover: null,
    baselines: { hour1: null },
    history: [],
    attestations: [],
  } as unknown as CheckpointContext;
}

/**
 * One checkpoint's worth of output checks: the dataQuality probe, the catalogue's output checks
 * judged by assess(), then the default alert rules and the decision tree, from a fresh alert state.
 * The probe needs the channels' secrets in this process's environment (as the monitor would).
 */
export async function judgeOutputs(config: MonitorConfig, env: Services["env"]): Promise<Judged> {
  // Set for the probe only: the test files of a worker share its environment (isolate: false).
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const r = await probeDataQuality(config.target, { now: () => Date.now() }).finally(() => {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  });
  if (!r.ok) throw new Error(`dataQuality probe failed: ${r.failure}: ${r.message}`);
  const context = dataQualityContext(config, r);
  const defs = CATALOGUE.filter((d) => (OUTPUT_CHECKS as readonly string[]).includes(d.id));
  const checks = assess(context, defs, () => "phase");
  const rules = evaluateRules({ rules: config.alerts.rules, observations: observationsOf(checks, "test"), state: emptyAlertState(), clock: testClock(Date.now()), checkpoint: "test", staleAfterSeconds: config.alerts.staleAfterSeconds });
  const decision = decide({ firing: rules.firing, checks, decisionTree: config.decisionTree, rollbackCommand: config.target.rollback.command.join(" ") });
  return { measurement: r.data, checks, byId: Object.fromEntries(checks.map((c) => [c.id, c])), firing: rules.firing.filter((f) => !f.muted).map((f) => f.ruleId).sort(), decision };
}

/** "id=VERDICT: measured" lines, for assertion messages. */
export function show(j: Judged): string {
  return `${j.checks.map((c) => `${c.id}=${c.verdict}${c.notMeasured ? " (not measured)" : ""}: ${c.measured}`).join("\n")}\nfiring: ${j.firing.join(", ") || "none"}; decision ${j.decision.severity} rollback ${j.decision.rollback}`;
}

export { waitFor };
