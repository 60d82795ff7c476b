/** What the reports keep of a check is bounded like the history: monitoring_events.log lines and the Allure evidence attachment. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckRecord } from "../../src/checkpoint/context.ts";
import { EventsLog } from "../../src/report/events-log.ts";
import { evidenceAttachment, verdictText } from "../../src/report/spec-kit.ts";

const MB = 1024 * 1024;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "report-bound-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const huge = "L".repeat(10 * MB);
const check: CheckRecord = {
  id: "log-scan",
  title: "Log scan",
  section: "errors",
  verdict: "FAIL",
  measured: `1 ERROR line: e.g. "${huge}"`,
  threshold: "zero ERROR lines",
  advice: "read the sample lines",
  value: 1,
  evidence: { samples: { error: [{ level: "ERROR", offset: 0, line: huge }] }, lines: Array.from({ length: 300 }, (_, i) => `line ${i}`) },
};

describe("reports are bounded", () => {
  it("a monitoring_events.log line carries a 10 MB string cut to 4 KB with a note", async () => {
    const log = new EventsLog(join(dir, "monitoring_events.log"));
    log.write({ type: "alert_fired", severity: "critical", rule: "log-errors", measured: huge });
    const text = await readFile(log.file, "utf8");
    expect(text.length).toBeLessThan(8 * 1024);
    expect(text.endsWith("\n")).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ type: "alert_fired", rule: "log-errors", measured: `${"L".repeat(4096)}…[cut ${10 * MB - 4096} bytes]` });
  });

  it("the Allure evidence attachment is bounded (strings and sample lines)", () => {
    const json = evidenceAttachment([check]);
    expect(json.length).toBeLessThan(32 * 1024);
    const [e] = JSON.parse(json);
    expect(e.evidence.samples.error[0].line).toMatch(/^L{4096}…\[cut \d+ bytes\]$/);
    expect(e.evidence.lines).toHaveLength(21);
    expect(e.measured).toMatch(/…\[cut \d+ bytes\]$/);
  });

  it("the FAIL message a spec reports is bounded too", () => {
    const text = verdictText([check]);
    expect(text.length).toBeLessThan(8 * 1024);
    expect(text).toMatch(/^FAIL: 1 ERROR line: e\.g\. "L+…\[cut \d+ bytes\]; threshold: zero ERROR lines\. What to do: read the sample lines$/);
  });
});
