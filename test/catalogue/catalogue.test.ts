/**
 * The check catalogue is the one wiring between checks, rules, specs and docs: these tests fail
 * when a rule names an unknown check, a check feeds an unknown rule, a check has neither a rule
 * nor a stated reason for none, a spec binds a check its phase does not judge, a phase judges a
 * check no spec reports, or a spec id is missing from specs/TRACEABILITY.md.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE, checkById } from "../../src/catalogue/catalogue.js";
import { alertRulesFor } from "../../src/judge/rules.js";
import { monitorConfigSchema as configSchema } from "../../src/config/resolve.js";
import { PHASES } from "../../specs/phase-project.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const config = configSchema.parse({});
const rules = config.alerts.rules;

/** Every `line(title, spec, checks)` call of a phase's spec files. */
function specLines(phase: string): { title: string; spec: string; checks: string[] }[] {
  const dir = path.join(ROOT, "specs", phase);
  const out: { title: string; spec: string; checks: string[] }[] = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".spec.ts"))) {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    const re = /\bline\(\s*"((?:[^"\\]|\\.)*)",\s*"([^"]+)",\s*(\[[^\]]*\]|"[^"]+")/g;
    for (const m of text.matchAll(re)) out.push({ title: m[1]!, spec: m[2]!, checks: JSON.parse(m[3]!) as string[] | string } as never);
  }
  return out.map((l) => ({ ...l, checks: Array.isArray(l.checks) ? l.checks : [l.checks as unknown as string] }));
}

describe("check catalogue", () => {
  it("ids are unique and every check states its alert rule or why it has none", () => {
    const ids = CATALOGUE.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CATALOGUE) {
      if ("none" in c.alert) expect(c.alert.none.length, `${c.id}: a reason for no alert`).toBeGreaterThan(20);
      else expect(rules.some((r) => r.id === (c.alert as { rule: string }).rule), `${c.id} feeds unknown rule`).toBe(true);
      if ("warnRule" in c.alert && c.alert.warnRule) expect(rules.some((r) => r.id === (c.alert as { warnRule: string }).warnRule), `${c.id} feeds unknown warn rule`).toBe(true);
      expect(c.phases.length, `${c.id} runs in some phase`).toBeGreaterThan(0);
      expect(c.lines.length, `${c.id} answers a checklist line`).toBeGreaterThan(0);
    }
  });

  it("every default rule watches known checks, and each watched check declares that rule", () => {
    for (const r of rules) {
      const watched = [...r.condition.failOf, ...r.condition.warnOf];
      expect(watched.length, `${r.id} watches something`).toBeGreaterThan(0);
      for (const id of r.condition.failOf) {
        const c = checkById(id);
        expect(c, `${r.id} names unknown check ${id}`).toBeTruthy();
        expect((c!.alert as { rule?: string }).rule).toBe(r.id);
      }
      for (const id of r.condition.warnOf) expect((checkById(id)!.alert as { warnRule?: string }).warnRule).toBe(r.id);
    }
  });

  it("a configured rule naming an unknown check is refused with the field's path", () => {
    const rule = { ...alertRulesFor(config.thresholds)[0]!, condition: { failOf: ["latency"], warnOf: [] } };
    const r = configSchema.safeParse({ alerts: { rules: [rule] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join(".")).toBe("alerts.rules.0.condition.failOf.0");
    expect(r.error!.issues[0]!.message).toMatch(/unknown check "latency"/);
  });

  it.each(PHASES)("phase %s: its specs bind only checks it judges, and every check it judges has a spec", (phase) => {
    const lines = specLines(phase);
    expect(lines.length).toBeGreaterThan(0);
    const judged = CATALOGUE.filter((c) => c.phases.includes(phase)).map((c) => c.id);
    const bound = new Set(lines.flatMap((l) => l.checks));
    for (const l of lines) for (const id of l.checks) expect(judged, `${l.spec} binds ${id}, not judged in ${phase}`).toContain(id);
    for (const id of judged) expect(bound.has(id), `${phase} judges ${id} but no spec reports it`).toBe(true);
    const specIds = lines.map((l) => l.spec);
    expect(new Set(specIds).size, "spec ids unique").toBe(specIds.length);
  });

  it("every spec id and every check id is in specs/TRACEABILITY.md", () => {
    const doc = fs.readFileSync(path.join(ROOT, "specs", "TRACEABILITY.md"), "utf8");
    const missing = PHASES.flatMap((p) => specLines(p).map((l) => l.spec)).filter((id) => !doc.includes(`\`${id}\``));
    expect(missing).toEqual([]);
    expect(CATALOGUE.map((c) => c.id).filter((id) => !doc.includes(`\`${id}\``))).toEqual([]);
  });
});
