/** `pipeline test`: the pipeline's own suite (pipeline/tests) against a state dir, JUnit XML out. */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { PROJECT_ROOT, paths } from "../service/common.ts";

export interface SuiteResult {
  ok: boolean;
  tests: number;
  failures: number;
  junit: string;
  exitCode: number;
}

export function junitCounts(xml: string): { tests: number; failures: number } {
  const m = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (n: string) => Number(new RegExp(`\\b${n}="(\\d+)"`).exec(m)?.[1] ?? 0);
  return { tests: attr("tests"), failures: attr("failures") + attr("errors") };
}

export async function runPipelineTests(o: { dir: string; port: number; junit?: string; quiet?: boolean }): Promise<SuiteResult> {
  const junit = path.resolve(o.junit ?? paths(o.dir).junit);
  fs.mkdirSync(path.dirname(junit), { recursive: true });
  fs.rmSync(junit, { force: true });
  const r = await execa(
    path.join(PROJECT_ROOT, "node_modules", ".bin", "vitest"),
    ["run", "--config", path.join(PROJECT_ROOT, "pipeline", "vitest.config.ts"), "--reporter=default", "--reporter=junit", `--outputFile.junit=${junit}`],
    {
      cwd: PROJECT_ROOT,
      env: { PIPELINE_DIR: o.dir, PIPELINE_PORT: String(o.port), CI: "1", NO_COLOR: "1" },
      reject: false,
      timeout: 180_000,
      stdout: o.quiet ? "pipe" : "inherit",
      stderr: o.quiet ? "pipe" : "inherit",
    },
  );
  const xml = fs.existsSync(junit) ? fs.readFileSync(junit, "utf8") : "";
  const c = junitCounts(xml);
  const passed = c.tests - c.failures;
  if (!o.quiet) process.stdout.write(`pipeline tests: ${passed}/${c.tests} passing; junit=${junit}\n`);
  return { ok: r.exitCode === 0 && c.tests > 0 && c.failures === 0, tests: c.tests, failures: c.failures, junit, exitCode: r.exitCode ?? -1 };
}
