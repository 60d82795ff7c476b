import { describe, expect, it } from "vitest";
import { parseJunitXml } from "../../src/probes/test-suite.js";

describe("JUnit XML parser", () => {
  it("counts testcases, failures, errors and skips, with failed names", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="5" failures="1" errors="1" time="1.2">
  <testsuite name="tests/api.test.ts" tests="3" failures="1">
    <testcase classname="tests/api.test.ts" name="POST /kpis &amp; health" time="0.1"/>
    <testcase classname="tests/api.test.ts" name="rejects bad body" time="0.1">
      <failure message="expected 400"><![CDATA[AssertionError: <testcase name="fake"/>]]></failure>
    </testcase>
    <testcase classname="tests/api.test.ts" name="skipped one"><skipped/></testcase>
  </testsuite>
  <testsuite name="tests/runs.test.ts" tests="2">
    <testcase classname="tests/runs.test.ts" name="a"></testcase>
    <testcase classname="tests/runs.test.ts" name="b"><error message="boom"/></testcase>
  </testsuite>
</testsuites>`;
    expect(parseJunitXml(xml, "junit.xml")).toEqual({
      total: 5,
      failed: 1,
      errors: 1,
      skipped: 1,
      passed: 2,
      failedNames: ["tests/api.test.ts > rejects bad body", "tests/runs.test.ts > b"],
      testcases: 5,
    });
  });

  it("falls back to suite attributes when there are no testcase elements", () => {
    const xml = `<testsuites><testsuite name="a" tests="29" failures="2" errors="1" skipped="0"></testsuite></testsuites>`;
    expect(parseJunitXml(xml)).toMatchObject({ total: 29, failed: 2, errors: 1, passed: 26, testcases: 0 });
  });

  it("an empty suite has zero tests; not JUnit throws", () => {
    expect(parseJunitXml(`<testsuites tests="0"></testsuites>`).total).toBe(0);
    expect(() => parseJunitXml("{}", "junit.xml")).toThrow(/^junit\.xml: line 1, column 1: /);
    expect(() => parseJunitXml("<results/>", "junit.xml")).toThrow(/no <testsuites> or <testsuite> root element/);
  });

  it("a header total that is not a count is refused naming the attribute", () => {
    expect(() => parseJunitXml(`<testsuite name="a" tests="many"><testcase name="x"/></testsuite>`, "junit.xml")).toThrow(
      /^junit\.xml: <testsuite name="a"> tests="many" is not a count$/,
    );
  });
});
