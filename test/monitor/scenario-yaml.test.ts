/**
 * Scenarios as data in YAML (src/monitor/scenario.ts): scenarios/example.yaml is the same scenario
 * as scenarios/example.ts; a bad file is refused with one line naming the file, the field (and,
 * in YAML, its line), never with a stack or the YAML parser's multi-line excerpt.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { activeFaults, dueOneShots, loadScenario, nextChangeMs } from "../../src/monitor/scenario.js";
import { ROOT } from "../support/pipeline-harness.js";

const MIN = 60_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scenario-yaml-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The one-line error loadScenario throws for this file. */
async function errorOf(file: string): Promise<string> {
  const e = await loadScenario(file).then(
    () => null,
    (x: unknown) => x as Error,
  );
  expect(e, `${file} was accepted`).toBeInstanceOf(Error);
  expect(e!.name).toBe("MonitorUserError");
  expect(e!.message).not.toContain("\n");
  return e!.message;
}

describe("scenarios in YAML", () => {
  it("scenarios/example.yaml is the issue's example, the same scenario as scenarios/example.ts", async () => {
    const yaml = await loadScenario(path.join(ROOT, "scenarios", "example.yaml"));
    const ts = await loadScenario(path.join(ROOT, "scenarios", "example.ts"));
    expect(yaml).toEqual(ts);
    expect(yaml.faults.map((f) => [f.at, f.fault, f.clear ?? null])).toEqual([
      ["03:00", "latency:700", "03:40"],
      ["10:00", "leak:2", null],
      ["15:30", "crash", null],
    ]);
    expect(activeFaults(yaml, 3 * 60 * MIN + 39 * MIN).map((a) => a.fault.fault)).toEqual(["latency:700"]);
    expect(activeFaults(yaml, 3 * 60 * MIN + 40 * MIN)).toEqual([]);
    expect(activeFaults(yaml, 23 * 60 * MIN).map((a) => a.fault.fault)).toEqual(["leak:2"]);
    expect(dueOneShots(yaml, 15 * 60 * MIN + 29 * MIN, [])).toEqual([]);
    expect(dueOneShots(yaml, 15 * 60 * MIN + 30 * MIN, [])).toEqual([2]);
    expect(nextChangeMs(yaml, 10 * 60 * MIN)).toBe(15 * 60 * MIN + 30 * MIN);
  });

  it("YAML 1.2: unquoted 03:00 is the text 03:00 (not YAML 1.1's sexagesimal 180); .yml is YAML too", async () => {
    const s = await loadScenario(write("plain.yml", "name: plain\nfaults:\n  - at: 03:00\n    fault: latency:700\n    clear: 3:40\n"));
    expect(s).toEqual({ name: "plain", faults: [{ at: "03:00", fault: "latency:700", clear: "3:40" }] });
    expect(await loadScenario(write("none.yaml", "name: no faults\nfaults: []\n"))).toEqual({ name: "no faults", faults: [] });
  });

  const bad: [string, string, RegExp][] = [
    ["unknown fault", "name: b\nfaults:\n  - at: \"03:00\"\n    fault: gremlins\n", /^--scenario \S*unknown-fault\.yaml: faults\.0\.fault \(line 4\): expected latency:MS, errors:PCT, .* or crash$/],
    ["after 24:00", "name: b\nfaults:\n  - at: \"25:00\"\n    fault: leak:2\n", /^--scenario \S*after-24-00\.yaml: faults\.0\.at \(line 3\): after 24:00$/],
    ["not HH:MM", "name: b\nfaults:\n  - at: 3 pm\n    fault: leak:2\n", /^--scenario \S*not-HH-MM\.yaml: faults\.0\.at \(line 3\): expected "HH:MM" after the cutover start, e\.g\. "03:00"$/],
    ["a number for a time", "name: b\nfaults:\n  - at: 180\n    fault: leak:2\n", /^--scenario \S*a-number-for-a-time\.yaml: faults\.0\.at \(line 3\): .*expected string, received number$/],
    ["clear before at", "name: b\nfaults:\n  - at: \"03:00\"\n    fault: latency:700\n  - at: \"04:00\"\n    fault: errors:5\n    clear: \"03:59\"\n", /^--scenario \S*clear-before-at\.yaml: faults\.1\.clear \(line 7\): clear must come after at$/],
    ["a crash cleared", "name: b\nfaults:\n  - at: \"15:30\"\n    fault: crash\n    clear: \"16:00\"\n", /^--scenario \S*a-crash-cleared\.yaml: faults\.0\.clear \(line 5\): a crash is one event: it takes no clear$/],
    ["unknown field", "name: b\nfaults:\n  - at: \"03:00\"\n    fault: leak:2\n    severity: high\n", /^--scenario \S*unknown-field\.yaml: faults\.0\.severity \(line 5\): Unrecognized key: "severity"$/],
    ["missing fault", "name: b\nfaults:\n  - at: \"03:00\"\n", /^--scenario \S*missing-fault\.yaml: faults\.0\.fault \(line 3\): .*expected string, received undefined$/],
    ["missing faults", "name: b\n", /^--scenario \S*missing-faults\.yaml: faults \(line 1\): .*expected array, received undefined$/],
    ["negative speed", "name: b\nspeed: -480\nfaults: []\n", /^--scenario \S*negative-speed\.yaml: speed \(line 2\): .*expected number to be >0$/],
    ["empty file", "", /^--scenario \S*empty-file\.yaml: \(root\): .*expected object, received null$/],
    ["a list, not a scenario", "- at: \"03:00\"\n  fault: leak:2\n", /^--scenario \S*a-list-not-a-scenario\.yaml: \(root\) \(line 1\): .*expected object, received array$/],
    ["duplicate key", "name: b\nfaults:\n  - at: \"03:00\"\n    at: \"04:00\"\n    fault: leak:2\n", /^--scenario \S*duplicate-key\.yaml: invalid YAML at line 4, column 5: Map keys must be unique$/],
    ["two documents", "name: a\nfaults: []\n---\nname: b\nfaults: []\n", /^--scenario \S*two-documents\.yaml: invalid YAML at line 3, column 1: Source contains multiple documents; .*$/],
    ["broken syntax", "name: b\nfaults: [\n  { at: \"03:00\", fault: leak:2 \n", /^--scenario \S*broken-syntax\.yaml: invalid YAML at line \d+, column \d+: .+$/],
    ["a tab indent", "name: b\nfaults:\n\t- at: \"03:00\"\n", /^--scenario \S*a-tab-indent\.yaml: invalid YAML at line 3, column 1: .+$/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what} with one line naming the file and the field`, async () => {
      const file = write(`${what.replace(/[^A-Za-z0-9]+/g, "-")}.yaml`, text);
      expect(await errorOf(file)).toMatch(message);
    });
  }

  it("names an unknown field in a .json or .ts scenario too, and refuses a file type it does not read", async () => {
    expect(await errorOf(write("extra.json", JSON.stringify({ name: "j", faults: [], owner: "me" })))).toMatch(/^--scenario \S*extra\.json: owner: Unrecognized key: "owner"$/);
    expect(await errorOf(write("extra.ts", `export default { name: "t", faults: [{ at: "03:00", fault: "leak:2", when: 1 }] };\n`))).toMatch(/^--scenario \S*extra\.ts: faults\.0\.when: Unrecognized key: "when"$/);
    expect(await errorOf(write("scenario.txt", "name: t\nfaults: []\n"))).toMatch(/^--scenario \S*scenario\.txt: expected a \.yaml, \.yml, \.json, \.ts or \.js file$/);
    expect(await errorOf(path.join(dir, "absent.yaml"))).toMatch(/^--scenario \S*absent\.yaml: file not found$/);
  });
});
