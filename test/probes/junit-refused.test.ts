/**
 * Red team: a truncated JUnit report read as PASS ("29/29 tests passing" from a file cut
 * mid-testcase, a header saying failures="3" ignored) and its count became the expected total.
 * A report that does not close is refused (ERROR: the monitor cannot read it, as a truncated
 * validation report); one whose header totals disagree with its test cases is a target failure
 * (FAIL: the target's report cannot be trusted); neither gives a count to record.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { JunitReportError, parseJunitXml, probeTestSuite } from "../../src/probes/test-suite.js";
import { keyMetrics } from "../../src/checkpoint/key-metrics.js";
import { assess } from "../../src/catalogue/check.js";
import { checkById } from "../../src/catalogue/catalogue.js";
import type { Measurements } from "../../src/probes/measurements.js";
import { checkpointContext } from "../support/checkpoint-context.js";

/** The reference pipeline's own report, as vitest wrote it: 4 suites, 29 passing tests. */
const REAL = fs.readFileSync(path.join(import.meta.dirname, "fixtures", "junit-vitest-29.xml"), "utf8");
/** Cut inside the 12th testcase (no closing tags at all). */
const CUT = REAL.slice(0, REAL.indexOf("<testcase", REAL.indexOf("tests/outputs.test.ts")) + 40);

function refusal(xml: string, file = "/r/junit.xml"): JunitReportError {
  try {
    parseJunitXml(xml, file);
  } catch (err) {
    if (err instanceof JunitReportError) return err;
    throw err;
  }
  throw new Error("the report was accepted");
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-junit-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A test-suite "command" that writes the given text as the JUnit report. */
function targetWriting(text: string) {
  const stateDir = fs.mkdtempSync(path.join(dir, "state-"));
  const junitPath = path.join(stateDir, "reports", "junit.xml");
  const script = `const fs = require("fs"); fs.mkdirSync(${JSON.stringify(path.dirname(junitPath))}, { recursive: true }); fs.writeFileSync(${JSON.stringify(junitPath)}, ${JSON.stringify(text)})`;
  return { junitPath, target: targetSchema.parse({ stateDir, testSuite: { command: [process.execPath, "-e", script], junitPath, timeoutMs: 20_000 } }) };
}

/** The test-suite check as the catalogue judges it from these measurements. */
function judged(testSuite: Measurements["testSuite"]) {
  const def = checkById("test-suite")!;
  return assess(checkpointContext({ testSuite }), [def], () => "phase")[0]!;
}

describe("a JUnit report that does not close is refused", () => {
  it("the real report reads 29/29 and agrees with its headers", () => {
    expect(parseJunitXml(REAL, "junit.xml")).toMatchObject({ total: 29, passed: 29, failed: 0, errors: 0, skipped: 0, testcases: 29 });
  });

  it("cut mid-testcase: refused as unreadable, naming the file, the line and why", () => {
    const e = refusal(CUT);
    expect(e.kind).toBe("unreadable");
    expect(e.message).toMatch(/^\/r\/junit\.xml: line \d+(, column \d+)?: /);
    expect(e.message).toMatch(/does not close|truncated/);
    expect(e.message).not.toContain("\n");
  });

  it("cut after the last suite: names the tag left open", () => {
    const e = refusal(REAL.slice(0, REAL.lastIndexOf("</testsuites>")));
    expect(e.message).toMatch(/^\/r\/junit\.xml: line \d+: the document does not close \(<testsuites> of line 2 still open at the end of the file\): truncated$/);
  });

  it("every cut of the real report short of its end is refused", () => {
    const end = REAL.lastIndexOf("</testsuites>");
    const accepted: number[] = [];
    for (let n = 0; n < end + "</testsuites>".length; n++) {
      try {
        parseJunitXml(REAL.slice(0, n), "junit.xml");
        accepted.push(n);
      } catch (err) {
        if (!(err instanceof JunitReportError)) throw err;
      }
    }
    expect(accepted).toEqual([]);
  });

  it("not XML at all, or XML but not JUnit: refused naming the file", () => {
    expect(refusal("").message).toBe("/r/junit.xml: the file is empty");
    expect(refusal("{}").message).toMatch(/^\/r\/junit\.xml: line 1/);
    expect(refusal("<html><body>502</body></html>").message).toMatch(/^\/r\/junit\.xml: no <testsuites> or <testsuite> root element/);
  });
});

describe("header totals must match the test cases", () => {
  it('a header saying failures="3" over 29 passing test cases is refused, naming both numbers', () => {
    const lied = REAL.replace(/(<testsuites\b[^>]*?)failures="0"/, '$1failures="3"');
    const e = refusal(lied, "/r/junit.xml");
    expect(e.kind).toBe("inconsistent");
    expect(e.message).toMatch(/^\/r\/junit\.xml: /);
    expect(e.message).toMatch(/<testsuites> says failures="3" but its test cases show 0/);
  });

  it("a suite header counting more tests than it holds (the rest cut and the tags closed) is refused", () => {
    const xml = `<testsuites tests="29" failures="0"><testsuite name="api" tests="29" failures="0"><testcase name="a"/><testcase name="b"/></testsuite></testsuites>`;
    const e = refusal(xml);
    expect(e.kind).toBe("inconsistent");
    expect(e.message).toContain('<testsuites> says tests="29" but its test cases show 2');
    expect(e.message).toContain('<testsuite name="api"> says tests="29" but its test cases show 2');
  });

  it("a well-formed report with 2 failures reports 2 failures (a '>' in a name is legal XML)", () => {
    const xml = `<?xml version="1.0"?>
<testsuites tests="5" failures="2" errors="0">
  <testsuite name="cmp" tests="5" failures="2" errors="0" skipped="0">
    <testcase classname="cmp" name="orders[a > b]"/>
    <testcase classname="cmp" name="orders[b > c]"><failure message="expected b > c">AssertionError</failure></testcase>
    <testcase classname="cmp" name="equal"></testcase>
    <testcase classname="cmp" name="orders[c > d]"/>
    <testcase classname="cmp" name="orders[d > e]"><failure message="no"/><system-out>log</system-out></testcase>
  </testsuite>
</testsuites>`;
    expect(parseJunitXml(xml, "r.xml")).toEqual({
      total: 5,
      failed: 2,
      errors: 0,
      skipped: 0,
      passed: 3,
      failedNames: ["cmp > orders[b > c]", "cmp > orders[d > e]"],
      testcases: 5,
    });
  });

  it("nested <testsuites><testsuite><testsuite> with skipped tests: each level's header reconciled with its subtree", () => {
    const xml = `<testsuites tests="6" failures="1" errors="1" skipped="2">
  <testsuite name="outer" tests="6" failures="1" errors="1" skipped="2">
    <testcase name="o1"/>
    <testsuite name="inner" tests="3" failures="0" skipped="2">
      <testcase name="i1"><skipped/></testcase>
      <testcase name="i2"><skipped message="todo"></skipped></testcase>
      <testcase name="i3"/>
    </testsuite>
    <testcase name="o2"><failure/></testcase>
    <testcase name="o3"><error message="boom"/></testcase>
  </testsuite>
</testsuites>`;
    expect(parseJunitXml(xml, "r.xml")).toMatchObject({ total: 6, failed: 1, errors: 1, skipped: 2, passed: 2, testcases: 6 });
    const e = refusal(xml.replace('name="inner" tests="3" failures="0" skipped="2"', 'name="inner" tests="3" failures="0" skipped="0"'));
    expect(e.message).toContain('<testsuite name="inner"> says skipped="0" but its test cases show 2');
  });

  it("nested suites with totals only (no test cases): the innermost suites count once", () => {
    const xml = `<testsuites tests="5" skipped="2"><testsuite name="outer" tests="5" skipped="2"><testsuite name="inner" tests="5" skipped="2" failures="1"/></testsuite></testsuites>`;
    expect(parseJunitXml(xml, "r.xml")).toMatchObject({ total: 5, skipped: 2, failed: 1, passed: 2, testcases: 0 });
  });
});

describe("probe and check: a refused report is not PASS and records no count", () => {
  it("truncated -> monitor failure (ERROR) naming the file; no tests_total to become the expected total", async () => {
    const { target, junitPath } = targetWriting(CUT);
    const r = await probeTestSuite(target, { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "monitor" });
    if (!r.ok) {
      expect(r.message).toContain(`JUnit report unreadable: ${junitPath}: line `);
      expect(r.message).not.toContain("\n");
    }
    const c = judged(r);
    expect(c).toMatchObject({ verdict: "ERROR", notMeasured: true });
    expect(c.measured).toContain(junitPath);
    // The expected total is the tests_total of the last pre-cutover record that has one.
    expect(keyMetrics({ testSuite: r } as unknown as Measurements).extra.tests_total).toBeUndefined();
  });

  it('failures="3" over 29 passing -> target failure (FAIL) naming the file and both numbers; no tests_total', async () => {
    const { target, junitPath } = targetWriting(REAL.replace(/(<testsuites\b[^>]*?)failures="0"/, '$1failures="3"'));
    const r = await probeTestSuite(target, { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (!r.ok) expect(r.message).toMatch(new RegExp(`JUnit report does not add up: ${junitPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: <testsuites> says failures="3" but its test cases show 0`));
    const c = judged(r);
    expect(c).toMatchObject({ verdict: "FAIL", notMeasured: true });
    expect(c.measured).toContain('failures="3"');
    // Its advice is about the report, not "the pipeline did not answer".
    expect(c.threshold).toMatch(/totals match its test cases/);
    expect(c.advice).toMatch(/JUnit report/);
    expect(keyMetrics({ testSuite: r } as unknown as Measurements).extra.tests_total).toBeUndefined();
  });

  it("the real report -> PASS 29/29 and tests_total 29", async () => {
    const { target } = targetWriting(REAL);
    const r = await probeTestSuite(target, { now: Date.now });
    expect(r).toMatchObject({ ok: true, data: { total: 29, passed: 29, junitFresh: true } });
    expect(judged(r).verdict).toBe("PASS");
    expect(keyMetrics({ testSuite: r } as unknown as Measurements).extra.tests_total).toBe(29);
  });
});
