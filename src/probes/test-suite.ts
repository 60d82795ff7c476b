import fs from "node:fs";
import { XMLParser, XMLValidator } from "fast-xml-parser";
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

/**
 * Why a JUnit report was refused. "unreadable": not well formed (a truncated file does not
 * close), not JUnit, a total that is not a count: the monitor cannot judge it (ERROR, as a
 * truncated validation report). "inconsistent": its header totals disagree with its test
 * cases: the target's report cannot be trusted (FAIL, never PASS).
 */
export class JunitReportError extends Error {
  constructor(
    readonly kind: "unreadable" | "inconsistent",
    message: string,
  ) {
    super(message);
    this.name = "JunitReportError";
  }
}

/** The header attributes reconciled with the test cases (each only when the header has it). */
const TOTALS = ["tests", "failures", "errors", "skipped"] as const;
type Totals = Record<(typeof TOTALS)[number], number>;
type XmlNode = Record<string, unknown>;

const REPEATED = new Set(["testsuites", "testsuite", "testcase", "failure", "error", "skipped"]);

function list(v: unknown): XmlNode[] {
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

function zero(): Totals {
  return { tests: 0, failures: 0, errors: 0, skipped: 0 };
}

function attr(node: XmlNode, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === "string" ? v : undefined;
}

/** The validator's reason as one line; an unclosed document names what is left open at its end. */
function notWellFormed(xml: string, file: string, err: { msg: string; line: number; col?: number }): JunitReportError {
  const lastLine = xml.trimEnd().split("\n").length;
  // fast-xml-parser reports tags left open at the end as "Invalid '[\"a\", \"b\"]' found." at line 1.
  const open = /^Invalid '(\[[\s\S]*\])' found\.$/.exec(err.msg);
  if (open) {
    let tags: string[] = [];
    try {
      tags = JSON.parse(open[1]!) as string[];
    } catch {
      /* keep the validator's own words below */
    }
    if (tags.length > 0) {
      return new JunitReportError("unreadable", `${file}: line ${lastLine}: the document does not close (${tags.map((t) => `<${t}>`).join(", ")} still open at the end of the file): truncated`);
    }
  }
  const unclosed = /^Unclosed tag '(.+)'\.$/.exec(err.msg);
  if (unclosed) {
    return new JunitReportError("unreadable", `${file}: line ${lastLine}: the document does not close (<${unclosed[1]}> of line ${err.line} still open at the end of the file): truncated`);
  }
  const where = `line ${err.line}${err.col ? `, column ${err.col}` : ""}`;
  const atEnd = err.line >= lastLine ? " (the last line of the file: truncated?)" : "";
  return new JunitReportError("unreadable", `${file}: ${where}: ${err.msg}${atEnd}`);
}

/**
 * Counts from JUnit XML, parsed by a real XML parser after the document is checked to be well
 * formed (a report cut anywhere does not close and is refused). A <testcase> with a <failure>
 * child fails, else with <error> errors, else with <skipped> is skipped. Every <testsuites> and
 * <testsuite> header total (tests, failures, errors, skipped; those present) must equal what
 * the test cases under it show, or the report is refused as inconsistent. With no testcase
 * elements at all (some tools write only totals) the innermost suites' totals are the counts.
 * Throws JunitReportError naming `file` (the caller classifies it).
 */
export function parseJunitXml(xml: string, file = "JUnit report"): JunitSummary {
  if (xml.trim() === "") throw new JunitReportError("unreadable", `${file}: the file is empty`);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw notWellFormed(xml, file, valid.err);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && REPEATED.has(name),
  }).parse(xml) as XmlNode;
  const roots = [...list(doc.testsuites).map((n) => ({ tag: "testsuites", n })), ...list(doc.testsuite).map((n) => ({ tag: "testsuite", n }))];
  if (roots.length === 0) throw new JunitReportError("unreadable", `${file}: no <testsuites> or <testsuite> root element`);

  const hasCases = (n: XmlNode): boolean => list(n.testcase).length > 0 || list(n.testsuite).some(hasCases);
  const fromHeaders = !roots.some((r) => hasCases(r.n));
  const summary: JunitSummary = { total: 0, failed: 0, errors: 0, skipped: 0, passed: 0, failedNames: [], testcases: 0 };
  const mismatches: string[] = [];
  let unnamed = 0;

  /** What a suite's subtree shows; its header totals are checked against it. */
  function suite(tag: string, n: XmlNode): Totals {
    const name = attr(n, "name");
    const label = tag === "testsuites" ? "<testsuites>" : name !== undefined ? `<testsuite name="${name}">` : `<testsuite> #${++unnamed}`;
    const header: Partial<Totals> = {};
    for (const k of TOTALS) {
      const raw = attr(n, k);
      if (raw === undefined) continue;
      if (!/^\s*\d+\s*$/.test(raw)) throw new JunitReportError("unreadable", `${file}: ${label} ${k}="${raw}" is not a count`);
      header[k] = Number(raw);
    }
    const children = list(n.testsuite);
    const shown = zero();
    if (fromHeaders && children.length === 0) {
      // Totals only: this innermost suite's header is the only evidence.
      for (const k of TOTALS) shown[k] = header[k] ?? 0;
      summary.total += shown.tests;
      summary.failed += shown.failures;
      summary.errors += shown.errors;
      summary.skipped += shown.skipped;
      return shown;
    }
    for (const tc of list(n.testcase)) {
      const failure = list(tc.failure).length > 0;
      const error = list(tc.error).length > 0;
      const skip = list(tc.skipped).length > 0;
      shown.tests++;
      if (failure) shown.failures++;
      if (error) shown.errors++;
      if (skip) shown.skipped++;
      summary.testcases++;
      const caseName = attr(tc, "name") ?? "?";
      const classname = attr(tc, "classname");
      const full = classname ? `${classname} > ${caseName}` : caseName;
      if (failure || error) summary.failedNames.push(full);
      if (failure) summary.failed++;
      else if (error) summary.errors++;
      else if (skip) summary.skipped++;
    }
    for (const child of children) {
      const c = suite("testsuite", child);
      for (const k of TOTALS) shown[k] += c[k];
    }
    for (const k of TOTALS) {
      if (header[k] !== undefined && header[k] !== shown[k]) mismatches.push(`${label} says ${k}="${header[k]}" but its test cases show ${shown[k]}`);
    }
    return shown;
  }

  for (const r of roots) suite(r.tag, r.n);
  if (mismatches.length > 0) {
    const more = mismatches.length > 3 ? `; and ${mismatches.length - 3} more` : "";
    throw new JunitReportError("inconsistent", `${file}: ${mismatches.slice(0, 3).join("; ")}${more}`);
  }
  if (fromHeaders) {
    summary.passed = Math.max(0, summary.total - summary.failed - summary.errors - summary.skipped);
  } else {
    summary.total = summary.testcases;
    summary.passed = summary.testcases - summary.failed - summary.errors - summary.skipped;
  }
  return summary;
}

/**
 * Run the pipeline's own test suite and count passed/total from its JUnit XML, against the
 * expected total. JUnit file missing, zero tests, or header totals that disagree with the test
 * cases -> target failure; not well formed (truncated) or not JUnit -> monitor.
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
    // A refused report gives no counts at all, so none can be recorded as the expected total.
    let summary: JunitSummary;
    try {
      summary = parseJunitXml(xml, junitPath);
    } catch (err) {
      if (err instanceof JunitReportError && err.kind === "inconsistent") throw targetFailure(`JUnit report does not add up: ${err.message}: its totals cannot be trusted`);
      throw monitorFailure(`JUnit report unreadable: ${err instanceof JunitReportError ? err.message : `${junitPath}: ${errorText(err)}`}`);
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
