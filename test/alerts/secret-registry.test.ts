/**
 * One registry of secrets (src/secrets.ts): every environment variable the config names as a
 * secret, and the environment's secret-looking names. It decides what a target command may
 * receive and what is redacted, in every form a secret travels in; the alert dispatcher applies it
 * to what it sends and stores. (The SMTP AUTH echo: smtp-auth-echo.test.ts.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildChannels } from "../../src/alerts/config.ts";
import { AlertDispatcher, type AlertDeliveryEvent } from "../../src/alerts/dispatcher.ts";
import {
  commandEnvironment,
  redactAll,
  redactDeep,
  resetSecretRegistry,
  secretRegistryFromConfig,
  setSecretRegistry,
} from "../../src/secrets.ts";
import { notice, tempDir } from "./helpers.ts";
import { slowHttpReceiver, type SlowHttpReceiver } from "./slow-receivers.ts";

const SMTP_USER = "alerts-canary";
const SMTP_PASS = 'canary"Mail/Pass+4b 1f07';
const HOOK_TOKEN = "canary-hook-Token-99e1c2ab";
const HOOK_URL = `http://127.0.0.1:9/hooks/${HOOK_TOKEN}?sig=canary-sig-77aa`;
const DB_PASS = "canary-db-Pw-31f0";

/** Variables only the config calls secrets: no secret-looking name would give them away. */
const env = {
  OPS_MAIL_LOGIN: SMTP_USER,
  OPS_MAIL_WORD: SMTP_PASS,
  OPS_HOOK: HOOK_URL,
  OPS_AUDIT_CONN: `postgres://monitor:${DB_PASS}@127.0.0.1:5432/audit`,
  OTHER_SERVICE_TOKEN: "canary-other-Token-5e5e",
  FEATURE_FLAG_KEY: "true",
  PATH: "/usr/bin:/bin",
  HOME: "/home/monitor",
  TZ: "UTC",
  EDITOR: "vi",
};
const config = {
  alerts: { channels: { email: { userEnv: "OPS_MAIL_LOGIN", passEnv: "OPS_MAIL_WORD" }, webhook: { urlEnv: "OPS_HOOK" } } },
  target: { audit: { source: { kind: "postgres", connectionStringEnv: "OPS_AUDIT_CONN" } } },
};

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const AUTH_PLAIN = b64(`\u0000${SMTP_USER}\u0000${SMTP_PASS}`);

/** Each secret in each form it travels in. */
const FORMS: Array<[string, string]> = [
  ["password raw", SMTP_PASS],
  ["password URL-encoded", encodeURIComponent(SMTP_PASS)],
  ["password JSON-escaped", JSON.stringify(SMTP_PASS).slice(1, -1)],
  ["password base64", b64(SMTP_PASS)],
  ["password base64 URL-safe", b64(SMTP_PASS).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")],
  ["AUTH PLAIN", AUTH_PLAIN],
  ["AUTH PLAIN with authzid", b64(`${SMTP_USER}\u0000${SMTP_USER}\u0000${SMTP_PASS}`)],
  ["AUTH LOGIN user", b64(SMTP_USER)],
  ["webhook URL", HOOK_URL],
  ["webhook URL-encoded", encodeURIComponent(HOOK_URL)],
  ["webhook token", HOOK_TOKEN],
  ["webhook token base64", b64(HOOK_TOKEN)],
  ["database password", DB_PASS],
  ["another token by its name", "canary-other-Token-5e5e"],
];

afterEach(() => resetSecretRegistry());

describe("the registry built from the config", () => {
  it("names every variable the config calls a secret, and the secret-looking names of the environment", () => {
    const r = secretRegistryFromConfig(config, env);
    const byName = Object.fromEntries(r.entries.map((e) => [e.name, e.source]));
    expect(byName).toMatchObject({
      OPS_MAIL_WORD: "alerts.channels.email.passEnv",
      OPS_HOOK: "alerts.channels.webhook.urlEnv",
      OPS_AUDIT_CONN: "target.audit.source.connectionStringEnv",
      OTHER_SERVICE_TOKEN: "name",
    });
    // Without an alerts section: the default channels and their default variables.
    expect(secretRegistryFromConfig({}, {}).entries.map((e) => e.name).sort()).toEqual(["ALERT_WEBHOOK_URL", "CUTOVER_SIGNING_KEY", "PAGERDUTY_ROUTING_KEY", "SLACK_WEBHOOK_URL", "SMTP_PASS"]);
    for (const name of ["OPS_MAIL_WORD", "OPS_HOOK", "OPS_AUDIT_CONN", "OTHER_SERVICE_TOKEN", "SMTP_PASS", "SOME_PASSWORD"]) expect(r.isSecret(name), name).toBe(true);
    for (const name of ["PATH", "HOME", "TZ", "EDITOR", "OPS_MAIL_LOGIN"]) expect(r.isSecret(name), name).toBe(false);
  });

  it.each(FORMS)("redacts the %s", (_what, form) => {
    const r = secretRegistryFromConfig(config, env);
    const text = `before ${form} after`;
    expect(r.redact(text)).toBe("before [REDACTED] after");
  });

  it("redacts a secret inside a longer base64 stream, at any alignment", () => {
    const r = secretRegistryFromConfig(config, env);
    for (const prefix of ["", "x", "xy", "xyz", "a longer prefix "]) {
      const blob = b64(`${prefix}${SMTP_PASS} and more`);
      expect(r.redact(blob), `prefix "${prefix}"`).toContain("[REDACTED]");
      expect(r.redact(blob).includes(b64(SMTP_PASS).slice(4, 16))).toBe(false);
    }
  });

  it("redacts an Azure storage connection string's account key (and SAS signature) also where it appears alone", () => {
    const key = "Q2FuYXJ5LWF6dXJlLWFjY291bnQta2V5LTdmM2Ex+canary/Key==";
    const sig = "canary%2BSig%2Fa1b2c3";
    const azureEnv = {
      OPS_BLOB: `DefaultEndpointsProtocol=http;AccountName=canaryacct;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/canaryacct;`,
      OPS_BLOB_SAS: `BlobEndpoint=https://canaryacct.blob.core.windows.net;SharedAccessSignature=sv=2024-05-04&ss=b&sig=${sig}`,
    };
    // Names that say nothing: only the config makes them secrets.
    const r = secretRegistryFromConfig({ target: { outputs: { azure: { connectionStringEnv: "OPS_BLOB" } } } }, azureEnv);
    expect(r.entries.find((e) => e.name === "OPS_BLOB")?.source).toBe("target.outputs.azure.connectionStringEnv");
    expect(r.redact(`whole ${azureEnv.OPS_BLOB} end`)).toBe("whole [REDACTED] end");
    expect(r.redact(`the SDK said: key ${key} rejected`)).toBe("the SDK said: key [REDACTED] rejected");
    expect(r.redact(`in a URL: ${encodeURIComponent(key)}`)).toBe("in a URL: [REDACTED]");
    expect(r.redact("AccountName=canaryacct")).toBe("AccountName=canaryacct");
    const sas = secretRegistryFromConfig({ target: { outputs: { azure: { connectionStringEnv: "OPS_BLOB_SAS" } } } }, azureEnv);
    expect(sas.redact(`GET /c/b?sv=2024-05-04&sig=${sig}`)).toBe("GET /c/b?sv=2024-05-04&sig=[REDACTED]");
  });

  it("leaves ordinary text alone: the user name, short values under secret names, the rest", () => {
    const r = secretRegistryFromConfig(config, env);
    const text = `login ${SMTP_USER} flag true, PATH /usr/bin:/bin, postgres://monitor@127.0.0.1:5432/audit`;
    expect(r.redact(text)).toBe(text);
  });

  it("redactDeep redacts every string and key of a record, and leaves the record itself untouched", () => {
    setSecretRegistry(secretRegistryFromConfig(config, env));
    const record = { check: "validation", evidence: { lines: [`AUTH PLAIN ${AUTH_PLAIN}`, "ok"], [HOOK_TOKEN]: 1, n: 3, at: null } };
    const copy = redactDeep(record);
    expect(copy).toEqual({ check: "validation", evidence: { lines: ["AUTH PLAIN [REDACTED]", "ok"], "[REDACTED]": 1, n: 3, at: null } });
    expect(record.evidence.lines[0]).toContain(AUTH_PLAIN);
    expect(redactAll(`GET ${HOOK_URL}`)).toBe("GET [REDACTED]");
  });
});

describe("what a target command may receive", () => {
  it("PATH, HOME, the locale, TZ and TMPDIR from the monitor, plus its configured environment; never a secret", () => {
    const r = secretRegistryFromConfig(config, env);
    expect(commandEnvironment({ PIPELINE_DIR: "/srv/p", PIPELINE_PORT: "8787" }, env, r)).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/monitor",
      TZ: "UTC",
      PIPELINE_DIR: "/srv/p",
      PIPELINE_PORT: "8787",
    });
  });
});

describe("a secret the alert channel does not know", () => {
  let hook: SlowHttpReceiver;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    hook = await slowHttpReceiver({ path: "/hooks/local-receiver-0001", holdFirst: 0, status: 200, answer: "{}" });
    tmp = tempDir();
  });
  afterAll(async () => {
    await hook?.close();
    tmp?.cleanup();
  });

  it("(in a notice's evidence) is kept out of what is sent and stored, once the registry is set", async () => {
    setSecretRegistry(secretRegistryFromConfig(config, env));
    const { channels } = buildChannels({ webhook: { urlEnv: "OPS_HOOK_LOCAL" }, timeoutMs: 5_000 }, { OPS_HOOK_LOCAL: hook.url });
    const events: AlertDeliveryEvent[] = [];
    const d = new AlertDispatcher({
      channels,
      routing: { critical: ["webhook"], warning: [], info: [] },
      outboxPath: join(tmp.dir, "evidence-outbox.json"),
      onEvent: (e) => events.push(e),
    });
    const leaky = notice({ dedupKey: "k/leaky", summary: `validation printed ${SMTP_PASS}`, evidence: { checkpoint: "hour1", output: `AUTH PLAIN ${AUTH_PLAIN}` } });
    const [report] = await d.dispatch([leaky]);
    expect(report).toMatchObject({ status: "delivered" });
    const sent = JSON.stringify(hook.requests.at(-1)!.body) + readFileSync(d.sentLogPath, "utf8") + JSON.stringify(events);
    for (const [what, form] of FORMS.slice(0, 8)) expect(sent.includes(form), `sent or stored: the ${what}`).toBe(false);
    expect(hook.requests.at(-1)!.body.summary).toBe("validation printed [REDACTED]");
  });
});
