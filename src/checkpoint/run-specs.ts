/**
 * Runs one phase's vitest project (only that phase's spec files are loaded) with the
 * checkpoint's judged checks provided to the specs, and collects which line reports which check.
 */
import { redactDeep } from "../secrets.js";
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

/** A spec that ran: the checklist line and the checks it reports. */
export interface SpecLine {
  spec: string;
  title: string;
  section: string;
  checks: string[];
}

/** Collects each spec's binding; a spec that failed without reporting one (a spec defect) is an ERROR. */
class LineCollector implements Reporter {
  readonly lines: SpecLine[] = [];
  readonly defects: CheckRecord[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state === "skipped" || result.state === "pending") return;
    const section = testCase.parent.type === "suite" ? testCase.parent.name : "";
    const meta = testCase.meta();
    if (meta.line) {
      this.lines.push({ spec: meta.line.spec, title: testCase.name, section, checks: meta.line.checks });
      return;
    }
    const message = result.errors?.[0]?.message ?? "the spec recorded no verdict";
    this.defects.push({
      id: `spec:${testCase.module.moduleId ? path.relative(PACKAGE_ROOT, testCase.module.moduleId) : "?"}:${testCase.name}`,
      title: testCase.name,
      section,
      verdict: "ERROR",
      notMeasured: true,
      measured: `spec defect: ${message.split("\n")[0]}`,
      threshold: "every spec reports its checks through line()",
      advice: "fix the spec; the monitor could not report this line",
      value: null,
    });
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message?: string }>): void {
    const problem = (measured: string) =>
      this.defects.push({ id: "spec-load", title: "Phase specs load and run", section: "monitor", verdict: "ERROR", notMeasured: true, measured: measured.split("\n")[0]!, threshold: "every spec file loads", advice: "fix the spec file; the checkpoint is inconclusive", value: null });
    for (const m of modules) for (const e of m.errors()) problem(`${path.relative(PACKAGE_ROOT, m.moduleId)}: ${e.message}`);
    for (const e of unhandledErrors) problem(`unhandled: ${e.message ?? "error"}`);
  }
}

export interface SpecRunResult {
  lines: SpecLine[];
  /** Spec defects, load errors and unhandled errors: each an ERROR check. */
  defects: CheckRecord[];
  durationMs: number;
}

export interface SpecRunOptions {
  phase: string;
  allureResultsDir?: string;
  environmentInfo?: Record<string, string>;
  verbose?: boolean;
  /** Where --verbose sends vitest's output: stderr when stdout carries JSON (--json). */
  verboseTo?: "stdout" | "stderr";
}

export interface PreparedSpecRun {
  vitest: Awaited<ReturnType<(typeof import("vitest/node"))["createVitest"]>>;
  collector: LineCollector;
}

/**
 * Creates the phase's vitest instance (config, projects, reporters). A checkpoint calls it
 * before collecting, so vitest starts while the probes wait on the target.
 */
export async function prepareSpecRun(options: SpecRunOptions): Promise<PreparedSpecRun> {
  const collector = new LineCollector();
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
    {
      stdout: options.verbose ? ((options.verboseTo === "stderr" ? process.stderr : process.stdout) as unknown as Writable) : devNull(),
      stderr: options.verbose ? (process.stderr as unknown as Writable) : devNull(),
    },
  );
  return { vitest, collector };
}

/** Runs the prepared phase specs with the checkpoint's measurements provided to them. */
export async function runPhaseSpecs(prepared: PreparedSpecRun | Promise<PreparedSpecRun>, context: CheckpointContext): Promise<SpecRunResult> {
  const started = performance.now();
  const { vitest, collector } = await prepared;
  try {
    // The specs run in workers without the registry: they get the context already redacted.
    vitest.provide("checkpoint", redactDeep(context));
    await vitest.start();
  } finally {
    await vitest.close();
  }

  return { lines: collector.lines, defects: collector.defects, durationMs: performance.now() - started };
}

/** A writable that drops everything (vitest writes its banner and summary there). */
function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
