/**
 * A target command gets its configured environment (target.commandEnv) plus PATH, HOME, the
 * locale, TZ and TMPDIR, never the monitor's secrets; and what it prints of a secret is redacted
 * before any sink (the console lines, the kept lines, stdout and stderr) sees it.
 * The secrets here are the default channel variables, set in this worker's environment the way a
 * .env file sets them; the registry is the default one (no config set in this process).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { runTargetCommand } from "../../src/probes/target-io.js";
import { resetSecretRegistry } from "../../src/secrets.js";

const CANARIES = {
  SMTP_USER: "alerts-canary",
  SMTP_PASS: "canary-smtp-Pass-7f3a91",
  ALERT_WEBHOOK_URL: "http://127.0.0.1:9/hooks/canary-webhook-Token-5c2e88d1",
  PAGERDUTY_ROUTING_KEY: "canary0routing0key0000000000000a",
  BILLING_API_TOKEN: "canary-api-Token-0d9e44",
};
/** Neither a secret nor configured: not passed either. */
const UNRELATED = { CUTOVER_UNRELATED_SETTING: "not-for-the-target" };
const INHERITED = new Set(["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"]);

const saved: Record<string, string | undefined> = {};
let dir: string;

beforeAll(() => {
  for (const [k, v] of Object.entries({ ...CANARIES, ...UNRELATED })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  // The default registry, rebuilt from this environment (another test file may have set one in this worker).
  resetSecretRegistry();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "command-env-"));
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetSecretRegistry();
  fs.rmSync(dir, { recursive: true, force: true });
});

function target() {
  // Port 9 (discard): nothing of the reference pipeline listens there.
  return targetSchema.parse({ stateDir: dir, baseUrl: "http://127.0.0.1:9", commandEnv: { PIPELINE_DIR: "${stateDir}", PIPELINE_PORT: "${port}", TARGET_MODE: "staging" } });
}

/** Runs argv as the target's validation command; returns every place its output reaches. */
async function run(command: string[]) {
  const printed: string[] = [];
  const out = await runTargetCommand(target(), { command, cwd: null, timeoutMs: 20_000 }, "validation", {
    onLine: (stream, line) => printed.push(`[${stream}] ${line}`),
  });
  const everywhere = [out.stdout, out.stderr, ...out.lines.map((l) => l.line), ...printed].join("\n");
  return { out, printed, everywhere };
}

/** The forms a secret leaks in: raw, URL-encoded, base64, and an SMTP AUTH PLAIN blob. */
function leakedForms(): Array<[string, string]> {
  const forms: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(CANARIES)) {
    if (name === "SMTP_USER") continue;
    forms.push([`${name} raw`, value], [`${name} url-encoded`, encodeURIComponent(value)], [`${name} base64`, Buffer.from(value).toString("base64")]);
  }
  forms.push(["webhook token", "canary-webhook-Token-5c2e88d1"]);
  forms.push(["AUTH PLAIN", Buffer.from(`\u0000${CANARIES.SMTP_USER}\u0000${CANARIES.SMTP_PASS}`).toString("base64")]);
  return forms;
}

describe("a target command's environment", () => {
  it("is target.commandEnv plus PATH and HOME (and the locale, TZ, TMPDIR when set), nothing else", async () => {
    const { out } = await run([process.execPath, "-e", "console.log(JSON.stringify(Object.keys(process.env).sort()))"]);
    expect(out.exitCode).toBe(0);
    const names: string[] = JSON.parse(out.stdout);
    expect(names).toEqual(expect.arrayContaining(["PATH", "PIPELINE_DIR", "PIPELINE_PORT", "TARGET_MODE"]));
    const extra = names.filter((n) => !INHERITED.has(n) && !["PIPELINE_DIR", "PIPELINE_PORT", "TARGET_MODE"].includes(n));
    expect(extra, `variables the target was not configured to receive: ${extra.join(", ")}`).toEqual([]);
  });

  it("`env` run by the target shows no secret of the monitor, in any form", async () => {
    const { out, everywhere } = await run(["sh", "-c", "env"]);
    expect(out.exitCode).toBe(0);
    expect(everywhere).toContain("TARGET_MODE=staging");
    for (const [what, form] of leakedForms()) expect(everywhere.includes(form), `command output contains ${what}`).toBe(false);
    expect(everywhere).not.toContain(UNRELATED.CUTOVER_UNRELATED_SETTING);
  });

  it("the reference pipeline's CLI (tsx) runs with that environment", async () => {
    const { out } = await run(["node_modules/.bin/tsx", "pipeline/cli.ts", "status"]);
    // Nothing listens on the configured port: "down", exit 1; what matters is that it ran and read PIPELINE_PORT.
    expect(out.stdout).toContain('"status":"down"');
    expect(out.stdout).toContain('"url":"http://127.0.0.1:9"');
  });
});

describe("what a target command prints of a secret", () => {
  it("is redacted at the source: printed lines, kept lines, stdout and stderr", async () => {
    // As if the target logged a secret it read elsewhere (a config file, a vault), in every form.
    const script = [
      "const [pass, hook, user] = process.argv.slice(1);",
      "console.log('smtp password=' + pass);",
      "console.log('url-encoded=' + encodeURIComponent(hook));",
      "console.error('base64=' + Buffer.from(pass).toString('base64'));",
      "console.error('535 5.7.8 AUTH PLAIN ' + Buffer.from('\\u0000' + user + '\\u0000' + pass).toString('base64') + ' rejected');",
      "console.log(JSON.stringify({ token: process.argv[4] }));",
    ].join("\n");
    const { out, printed, everywhere } = await run([process.execPath, "-e", script, CANARIES.SMTP_PASS, CANARIES.ALERT_WEBHOOK_URL, CANARIES.SMTP_USER, CANARIES.BILLING_API_TOKEN]);
    expect(out.exitCode).toBe(0);
    expect(printed).toHaveLength(5);
    for (const [what, form] of leakedForms()) expect(everywhere.includes(form), `command output contains ${what}`).toBe(false);
    // The lines still say what happened.
    expect(out.stdout).toContain("smtp password=[REDACTED]");
    expect(out.stderr).toMatch(/535 5\.7\.8 AUTH PLAIN \S*\[REDACTED\]\S* rejected/);
  });
});
