/**
 * .github/workflows/cutover-monitor.yml, validated offline: the @action-validator/cli command
 * (pinned; its workflow schema is bundled with its WebAssembly core, @action-validator/core,
 * nothing is fetched), the core in process for mutated copies that it must reject (controls);
 * then the workflow's own promises, read from the parsed YAML.
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/pipeline-harness.js";
import { validateWorkflow } from "@action-validator/core";

const WORKFLOW = path.join(ROOT, ".github", "workflows", "cutover-monitor.yml");
const VALIDATOR = path.join(ROOT, "node_modules", "@action-validator", "cli", "cli.mjs");
const text = fs.readFileSync(WORKFLOW, "utf8");
const wf = parse(text) as Record<string, any>;
const job = wf.jobs.checkpoint as Record<string, any>;
const steps = job.steps as Record<string, any>[];

const validate = (file: string) => execa(process.execPath, [VALIDATOR, file], { reject: false, timeout: 30_000, env: { NO_COLOR: "1" } });


describe("the cutover-monitor workflow", () => {
  it("is a valid workflow for @action-validator/cli 0.6.0, which rejects broken copies of it", async () => {
    for (const p of ["cli", "core"]) expect(JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@action-validator", p, "package.json"), "utf8")).version, p).toBe("0.6.0");
    const r = await validate(WORKFLOW);
    expect(r.stderr + r.stdout).toBe("");
    expect(r.exitCode).toBe(0);
    expect(validateWorkflow(text).errors).toEqual([]);
    // controls: each mutation must be caught, or the validation above proves nothing
    const broken: [string, string, string][] = [
      ["cancel-in-progress: false", "cancel-in-progress: sometimes", "/concurrency"],
      ["    runs-on: ubuntu-latest\n", "", "/jobs/checkpoint"],
      ["  workflow_dispatch:", "  workflow_dispatched:", "/on"],
      ["timeout-minutes: 20", "timeout-minutes: twenty", "/jobs/checkpoint"],
    ];
    for (const [from, to, where] of broken) {
      expect(text).toContain(from);
      const errors = validateWorkflow(text.replace(from, to)).errors as { path?: string }[];
      expect(errors.length, `${from} -> ${to}`).toBeGreaterThan(0);
      expect(errors.map((e) => e.path ?? ""), `${from} -> ${to}`).toContainEqual(expect.stringMatching(new RegExp(`^${where}`)));
    }
  });

  it("runs every 10 minutes at off-minutes and by hand", () => {
    expect(wf.on.schedule).toEqual([{ cron: "7-59/10 * * * *" }]);
    const [minute, ...rest] = (wf.on.schedule[0].cron as string).split(" ");
    const m = /^(\d+)-59\/10$/.exec(minute!);
    expect(m).not.toBeNull();
    const minutes = Array.from({ length: 6 }, (_, i) => Number(m![1]) + 10 * i);
    expect(minutes.every((x) => x < 60 && x % 10 !== 0)).toBe(true); // never on :00, :10, ...
    expect(rest).toEqual(["*", "*", "*", "*"]);
    expect(wf.on.workflow_dispatch.inputs.phase.default).toBe("auto");
    expect(job.if).toBe("github.event_name == 'workflow_dispatch' || vars.CUTOVER_MONITOR_ENABLED == 'true'");
  });

  it("one run at a time, never cancelled half-way", () => {
    expect(wf.concurrency).toEqual({ group: "cutover-monitor", "cancel-in-progress": false });
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  it("node 20, npm ci, then --phase=auto with the CI runner's config", () => {
    const setup = steps.find((s) => String(s.uses).startsWith("actions/setup-node@"));
    expect(setup?.with["node-version"]).toBe("20");
    const runs = steps.filter((s) => s.run).map((s) => s.run as string);
    expect(runs).toContain("npm ci");
    expect(runs.indexOf("npm ci")).toBeLessThan(runs.findIndex((r) => r.startsWith("npm run checkpoint")));
    const cp = steps.find((s) => String(s.run).startsWith("npm run checkpoint"))!;
    expect(cp.run).toBe('npm run checkpoint -- --phase="$PHASE" --config deploy/ci/cutover.config.ts');
    expect(cp.env.PHASE).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.phase || 'auto' }}");
    expect(fs.existsSync(path.join(ROOT, "deploy", "ci", "cutover.config.ts"))).toBe(true);
  });

  it("secrets come from repository secrets as environment variables, never literal", () => {
    const env = job.env as Record<string, string>;
    const secretNames = ["CUTOVER_HISTORY_DATABASE_URL", "AUDIT_DATABASE_URL", "AZURE_STORAGE_CONNECTION_STRING", "SUPABASE_DB_URL", "SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "SMTP_HOST", "SMTP_USER", "SMTP_PASS", "ALERT_WEBHOOK_URL"];
    for (const name of secretNames) expect(env[name], name).toBe(`\${{ secrets.${name} }}`);
    expect(env.CUTOVER_TARGET_URL).toBe("${{ vars.CUTOVER_TARGET_URL }}");
    // nothing else is set to a value that could be a credential
    for (const [name, value] of Object.entries(env)) {
      if (!/^\$\{\{ (secrets|vars)\.[A-Z_]+ \}\}$/.test(value)) expect(name).toBe("CUTOVER_REPORTS_DIR");
    }
    // every variable the CI config names is given to the job
    const config = fs.readFileSync(path.join(ROOT, "deploy", "ci", "cutover.config.ts"), "utf8");
    const named = [...config.matchAll(/(?:connectionStringEnv: |required\()"([A-Z_]+)"/g)].map((m) => m[1]!);
    expect(named.sort()).toEqual(["AUDIT_DATABASE_URL", "AZURE_STORAGE_CONNECTION_STRING", "CUTOVER_HISTORY_DATABASE_URL", "CUTOVER_TARGET_URL", "SUPABASE_DB_URL"]);
    for (const name of named) expect(Object.keys(env), name).toContain(name);
  });

  it("the report is built and uploaded as an artifact after every run that was not cancelled", () => {
    const report = steps.find((s) => String(s.run).startsWith("npm run report"))!;
    expect(report.run).toBe("npm run report -- --config deploy/ci/cutover.config.ts");
    expect(report.if).toBe("${{ !cancelled() }}");
    const upload = steps.find((s) => String(s.uses).startsWith("actions/upload-artifact@"))!;
    expect(upload.uses).toBe("actions/upload-artifact@v4");
    expect(upload.if).toBe("${{ !cancelled() }}");
    expect(upload.with.path).toBe("reports/");
    expect(job.env.CUTOVER_REPORTS_DIR).toBe("reports");
    expect(upload.with.name).toBe("cutover-report-${{ github.run_id }}-${{ github.run_attempt }}");
  });
});
