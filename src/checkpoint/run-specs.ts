/**
 * Runs one phase's vitest project (only that phase's spec files are loaded) with the
 * checkpoint's measurements provided to the specs, and collects each spec's verdict.
 */
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Reporter, TestCase, TestModule } from "vitest/node";

/**
 * Importing vitest/node costs about 1.4 s of CPU on this machine: start it while the probes
 * wait on the target (the CPU sampling window, HTTP), not after them.
 */
let vitestModule: Promise<typeof import("vitest/node")> | undefined;
export function preloadVitest(): Promise<typeof import("vitest/node")> {
  vitestModule ??= import("vitest/node");
  return vitestModule;
}
import type { CheckpointContext, CheckRecord } from "./context.js";
import { phaseTestOptions } from "../../specs/phase-project.js";

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Collects every test case's check record; a test without one (a spec defect) is an ERROR. */
class CheckCollector implements Reporter {
  readonly records: CheckRecord[] = [];
  readonly problems: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state === "skipped" || result.state === "pending") return;
    const meta = testCase.meta();
    if (meta.check) {
      this.records.push(meta.check);
      return;
    }
    const message = result.errors?.[0]?.message ?? "the spec recorded no verdict";
    this.records.push({
      id: `spec:${testCase.module.moduleId ? path.relative(PACKAGE_ROOT, testCase.module.moduleId) : "?"}:${testCase.name}`,
      title: testCase.name,
      section: testCase.parent.type === "suite" ? testCase.parent.name : "",
      verdict: "ERROR",
      measured: `spec defect: ${message.split("\n")[0]}`,
      threshold: "every spec records a verdict through check()",
      advice: "fix the spec; the monitor could not judge this line",
      value: null,
    });
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message?: string }>): void {
    for (const m of modules) {
      for (const e of m.errors()) this.problems.push(`${path.relative(PACKAGE_ROOT, m.moduleId)}: ${e.message}`);
    }
    for (const e of unhandledErrors) this.problems.push(`unhandled: ${e.message ?? "error"}`);
  }
}

export interface SpecRunResult {
  checks: CheckRecord[];
  /** Load errors and unhandled errors: each becomes an ERROR check. */
  problems: string[];
  durationMs: number;
}

export interface SpecRunOptions {
  phase: string;
  allureResultsDir?: string;
  environmentInfo?: Record<string, string>;
  verbose?: boolean;
}

export interface PreparedSpecRun {
  vitest: Awaited<ReturnType<(typeof import("vitest/node"))["createVitest"]>>;
  collector: CheckCollector;
}

/**
 * Creates the phase's vitest instance (config, projects, reporters). A checkpoint calls it
 * before collecting, so vitest starts while the probes wait on the target.
 */
export async function prepareSpecRun(options: SpecRunOptions): Promise<PreparedSpecRun> {
  const collector = new CheckCollector();
  const reporters: unknown[] = [collector];
  if (options.allureResultsDir) {
    reporters.push([
      "allure-vitest/reporter",
      { resultsDir: options.allureResultsDir, environmentInfo: options.environmentInfo ?? {} },
    ]);
  }
  if (options.verbose) reporters.push("verbose");

  const { createVitest } = await preloadVitest();
  const vitest = await createVitest(
    "test",
    {
      root: PACKAGE_ROOT,
      // The phase's settings inline (specs/phase-project.ts), not vitest.config.ts: no config
      // file to bundle, no other projects to resolve.
      config: false,
      name: options.phase,
      ...phaseTestOptions(options.phase),
      watch: false,
      run: true,
      // The dashboard is ours; vitest stays quiet unless --verbose.
      reporters: reporters as never,
      passWithNoTests: false,
    },
    {},
    { stdout: options.verbose ? (process.stdout as unknown as Writable) : devNull(), stderr: options.verbose ? (process.stderr as unknown as Writable) : devNull() },
  );
  return { vitest, collector };
}

/** Runs the prepared phase specs with the checkpoint's measurements provided to them. */
export async function runPhaseSpecs(prepared: PreparedSpecRun | Promise<PreparedSpecRun>, context: CheckpointContext): Promise<SpecRunResult> {
  const started = performance.now();
  const { vitest, collector } = await prepared;
  try {
    vitest.provide("checkpoint", context);
    await vitest.start();
  } finally {
    await vitest.close();
  }

  const checks = collector.records;
  for (const p of collector.problems) {
    checks.push({
      id: "spec-load",
      title: "Phase specs load and run",
      section: "monitor",
      verdict: "ERROR",
      measured: p.split("\n")[0],
      threshold: "every spec file loads",
      advice: "fix the spec file; the checkpoint is inconclusive",
      value: null,
    });
  }
  return { checks, problems: collector.problems, durationMs: performance.now() - started };
}

/** A writable that drops everything (vitest writes its banner and summary there). */
function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
