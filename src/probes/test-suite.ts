import fs from "node:fs";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, monitorFailure, runProbe, runTargetCommand, tail, targetFailure } from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";

export interface JunitSummary {
  total: number;
  failed: number;
  errors: number;
  skipped: number;
  passed: number;
  failedNames: string[];
  testcases: number;
}

export interface TestSuiteMeasurement extends JunitSummary {
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  commandDurationMs: number;
  junitPath: string;
  junitFresh: boolean;
  expectedTotal: number | null;
  /** total >= expectedTotal and failed + errors === 0; null when no expectation. */
  meetsExpected: boolean | null;
  stdoutTail: string;
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out[m[1]!] = unescapeXml(m[2] ?? m[3] ?? "");
  return out;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
}

/**
 * Counts from JUnit XML, from its <testcase> elements (a <failure>/<error> child fails it, a
 * <skipped> child skips it); the <testsuite(s)> attributes are used only when there are no
 * testcases. Not JUnit XML -> throws (the caller classifies it).
 */
export function parseJunitXml(xml: string): JunitSummary {
  if (!/<testsuites?\b/.test(xml)) throw new Error("no <testsuite> or <testsuites> element");
  const body = xml.replace(/<!--[\s\S]*?-->/g, "").replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "");
  let testcases = 0;
  let failed = 0;
  let errors = 0;
  let skipped = 0;
  const failedNames: string[] = [];
  // <testcase .../> or <testcase ...> ... </testcase>
  const caseRe = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of body.matchAll(caseRe)) {
    testcases++;
    const a = attrs(m[1]!);
    const inner = m[3] ?? "";
    const name = a.classname ? `${a.classname} > ${a.name ?? "?"}` : (a.name ?? "?");
    if (/<failure\b/.test(inner)) {
      failed++;
      failedNames.push(name);
    } else if (/<error\b/.test(inner)) {
      errors++;
      failedNames.push(name);
    } else if (/<skipped\b/.test(inner)) skipped++;
  }
  if (testcases === 0) {
    // Only suite totals (some tools write no testcase elements): sum the innermost suites.
    const suites = [...body.matchAll(/<testsuite\b([^>]*)>/g)].map((m) => attrs(m[1]!));
    const src = suites.length > 0 ? suites : [...body.matchAll(/<testsuites\b([^>]*)>/g)].map((m) => attrs(m[1]!));
    const sum = (k: string) => src.reduce((n, a) => n + (Number(a[k]) || 0), 0);
    const total = sum("tests");
    failed = sum("failures");
    errors = sum("errors");
    skipped = sum("skipped");
    return { total, failed, errors, skipped, passed: Math.max(0, total - failed - errors - skipped), failedNames, testcases: 0 };
  }
  return { total: testcases, failed, errors, skipped, passed: testcases - failed - errors - skipped, failedNames, testcases };
}

/**
 * Run the pipeline's own test suite and count passed/total from its JUnit XML, against the
 * expected total. JUnit file missing or zero tests -> target failure; not JUnit -> monitor.
 */
export function probeTestSuite(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<TestSuiteMeasurement>> {
  return runProbe(async () => {
    const t = target.testSuite;
    const out = await runTargetCommand(target, t, "test suite", { onLine: ctx.onLine, keepLines: 50, now: ctx.now });
    if (out.timedOut) throw targetFailure(`test suite command timed out after ${t.timeoutMs} ms: ${out.argv.join(" ")}`);
    const junitPath = resolveTargetPath(target, t.junitPath);
    let xml: string;
    let mtimeMs: number;
    try {
      xml = await fs.promises.readFile(junitPath, "utf8");
      mtimeMs = (await fs.promises.stat(junitPath)).mtimeMs;
    } catch (err) {
      throw targetFailure(`JUnit report missing: ${junitPath} (testSuite.junitPath) after the command exited ${out.exitCode}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
    }
    let summary: JunitSummary;
    try {
      summary = parseJunitXml(xml);
    } catch (err) {
      throw monitorFailure(`JUnit report unreadable: ${junitPath}: ${errorText(err)}`);
    }
    if (summary.total === 0) throw targetFailure(`test suite ran zero tests: ${junitPath} (measured nothing)`);
    const expectedTotal = t.expectedTotal ?? null;
    return {
      ...summary,
      command: out.argv,
      exitCode: out.exitCode,
      timedOut: out.timedOut,
      commandDurationMs: out.durationMs,
      junitPath,
      junitFresh: mtimeMs >= out.startedAtMs - 1000,
      expectedTotal,
      meetsExpected: expectedTotal === null ? null : summary.total >= expectedTotal && summary.failed + summary.errors === 0,
      stdoutTail: tail(out.stdout),
    };
  });
}
