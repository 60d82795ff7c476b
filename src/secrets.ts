/**
 * The one registry of secrets. It holds every environment variable the config names as a secret
 * (the alert channels' webhook URLs, routing key and SMTP password, the PostgreSQL audit
 * connection string) and every variable whose name says it is one (…_PASS, …_PASSWORD, …_TOKEN,
 * …_KEY, …_SECRET, webhook and database URLs). It decides both
 * - what a target command may receive: none of them (commandEnvironment), and
 * - what is redacted: each value in each form it travels in (raw, URL-encoded, JSON-escaped,
 *   base64, inside an SMTP AUTH exchange), from everything the monitor prints, stores or sends.
 *
 * One registry per process, set when the config is resolved (setSecretRegistry); until then the
 * default channel variables and the secret-looking names of the environment are used.
 */
import { alertChannelsSchema, type AlertChannelsConfig, type AlertChannelsConfigInput } from "./alerts/config-schema.js";
import { Redactor, secretForms, smtpAuthSecrets, urlSecrets } from "./alerts/redact.js";

type Env = Record<string, string | undefined>;

export interface SecretEntry {
  /** The environment variable. */
  name: string;
  /** Why it is a secret: the config field naming it, or "name" (its name says so). */
  source: string;
}

/** What the registry reads from the config (a MonitorConfig, parsed or not, fits). */
export interface SecretSources {
  alerts?: { channels?: AlertChannelsConfigInput | AlertChannelsConfig };
  target?: {
    audit?: { source?: { kind?: string; connectionStringEnv?: string } };
    outputs?: { azure?: { connectionStringEnv?: string } | null; supabase?: { connectionStringEnv?: string } | null };
  };
  signoff?: { privateKeyEnv?: string };
  history?: { kind?: string; connectionStringEnv?: string };
}

/** Names that say "secret", whatever the config calls them. */
const SECRET_NAME = /(^|_)(PASS|PASSWD|PASSWORD|PASSPHRASE|TOKEN|SECRET|KEY|APIKEY|CREDENTIALS?|AUTH|CONNECTION_STRING)$|WEBHOOK\w*_URL$|_WEBHOOK$|(^|_)(DATABASE|DB)_URL$|(^|_)DSN$/i;
/** A secret found by its name only must be this long, so "true" or "1" is never redacted everywhere. */
const MIN_NAMED_SECRET_LENGTH = 8;

/**
 * What a target command inherits from the monitor's environment: enough to find and run programs
 * (PATH, HOME), the locale, the time zone and the temp directory. Everything else it needs is
 * configured in target.commandEnv (the reference pipeline: PIPELINE_DIR and PIPELINE_PORT, the
 * default).
 */
export const INHERITED_COMMAND_ENV: readonly string[] = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

export class SecretRegistry {
  readonly entries: readonly SecretEntry[];
  readonly #names: Set<string>;
  readonly #redactor: Redactor;

  /** `secrets`: the values (and the forms of them that are secrets too, such as SMTP AUTH blobs). */
  constructor(entries: readonly SecretEntry[], secrets: readonly string[]) {
    this.entries = entries;
    this.#names = new Set(entries.map((e) => e.name));
    this.#redactor = new Redactor(secrets.flatMap(secretForms));
  }

  static empty(): SecretRegistry {
    return new SecretRegistry([], []);
  }

  /** True for a variable the registry holds (set or not). */
  isSecret(name: string): boolean {
    return this.#names.has(name) || SECRET_NAME.test(name);
  }

  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  /** A copy of a JSON-like value with every string (and key) redacted; the value itself is untouched. */
  redactDeep<T>(value: T): T {
    if (this.#redactor.empty) return value;
    return walk(value, (s) => this.#redactor.redact(s), new WeakMap()) as T;
  }
}

function walk(v: unknown, redact: (s: string) => string, seen: WeakMap<object, unknown>): unknown {
  if (typeof v === "string") return redact(v);
  if (typeof v !== "object" || v === null) return v;
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(walk(x, redact, seen));
    return out;
  }
  if (v instanceof Error) {
    const copy = new Error(redact(v.message));
    copy.name = v.name;
    seen.set(v, copy);
    return copy;
  }
  const proto = Object.getPrototypeOf(v);
  // Dates, Buffers, Maps: not JSON text the monitor writes as such; kept as they are.
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const [k, x] of Object.entries(v)) out[redact(k)] = walk(x, redact, seen);
  return out;
}

function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** The secret parts of a value: a webhook URL's token path, a connection string's password. */
function valueSecrets(value: string, isWebhook: boolean): string[] {
  if (isWebhook) return urlSecrets(value);
  const out = [value];
  // An Azure storage connection string: its account key (or SAS token and its signature) is a secret alone too.
  for (const m of value.matchAll(/(?:^|;)\s*(AccountKey|SharedAccessSignature)=([^;]+)/gi)) {
    out.push(m[2]!.trim());
    const sig = /(?:^|&)sig=([^&]+)/i.exec(m[2]!)?.[1];
    if (sig) out.push(sig);
  }
  try {
    const u = new URL(value);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
  } catch {
    // Not a URL: the whole value is the secret.
  }
  return out;
}

/** The registry for a config: its named secrets and the environment's secret-looking names. */
export function secretRegistryFromConfig(config: SecretSources = {}, env: Env = process.env): SecretRegistry {
  const channels = alertChannelsSchema.parse(config.alerts?.channels ?? { slack: {}, pagerduty: {}, email: {}, webhook: {} });
  const entries: SecretEntry[] = [];
  const secrets: string[] = [];
  const named = (name: string, source: string, isWebhook = false) => {
    entries.push({ name, source });
    const value = read(env, name);
    if (value) secrets.push(...valueSecrets(value, isWebhook));
  };
  if (channels.slack) named(channels.slack.webhookUrlEnv, "alerts.channels.slack.webhookUrlEnv", true);
  if (channels.pagerduty) named(channels.pagerduty.routingKeyEnv, "alerts.channels.pagerduty.routingKeyEnv");
  if (channels.webhook) named(channels.webhook.urlEnv, "alerts.channels.webhook.urlEnv", true);
  if (channels.email) {
    named(channels.email.passEnv, "alerts.channels.email.passEnv");
    // The user name is not a secret, but a login's base64 blob holds it beside the password.
    secrets.push(...smtpAuthSecrets(read(env, channels.email.userEnv), read(env, channels.email.passEnv)));
  }
  const audit = config.target?.audit?.source;
  if (audit?.kind === "postgres") named(audit.connectionStringEnv ?? "AUDIT_DATABASE_URL", "target.audit.source.connectionStringEnv");
  named(config.signoff?.privateKeyEnv ?? "CUTOVER_SIGNING_KEY", "signoff.privateKeyEnv");
  if (config.history?.kind === "postgres") named(config.history.connectionStringEnv ?? "CUTOVER_HISTORY_DATABASE_URL", "history.connectionStringEnv");
  const outputs = config.target?.outputs;
  if (outputs?.azure) named(outputs.azure.connectionStringEnv ?? "AZURE_STORAGE_CONNECTION_STRING", "target.outputs.azure.connectionStringEnv");
  if (outputs?.supabase) named(outputs.supabase.connectionStringEnv ?? "SUPABASE_DB_URL", "target.outputs.supabase.connectionStringEnv");

  const known = new Set(entries.map((e) => e.name));
  for (const [name, raw] of Object.entries(env)) {
    if (known.has(name) || !SECRET_NAME.test(name)) continue;
    entries.push({ name, source: "name" });
    const value = raw?.trim();
    if (value && value.length >= MIN_NAMED_SECRET_LENGTH) secrets.push(...valueSecrets(value, /WEBHOOK/i.test(name)));
  }
  return new SecretRegistry(entries, secrets);
}

let current: SecretRegistry | undefined;

/** Set once, where the config is resolved; later calls replace it (a test, a second config). */
export function setSecretRegistry(registry: SecretRegistry): void {
  current = registry;
}

/** The process's registry; before one is set, the defaults read from the environment at first use. */
export function secretRegistry(): SecretRegistry {
  current ??= secretRegistryFromConfig({}, process.env);
  return current;
}

/** Forgets the registry (tests): the next use rebuilds the defaults from the environment. */
export function resetSecretRegistry(): void {
  current = undefined;
}

/** Redacts every secret of the process's registry from a text: for what is printed or stored. */
export function redactAll(text: string): string {
  return secretRegistry().redact(text);
}

/** A copy of a record, event or attachment with every string redacted. */
export function redactDeep<T>(value: T): T {
  return secretRegistry().redactDeep(value);
}

/**
 * The environment of a target command: the few inherited variables (INHERITED_COMMAND_ENV, never a
 * secret) and what the target's config gives it (target.commandEnv, already expanded).
 */
export function commandEnvironment(configured: Record<string, string>, env: Env = process.env, registry: SecretRegistry = secretRegistry()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED_COMMAND_ENV) {
    const v = env[name];
    if (v !== undefined && !registry.isSecret(name)) out[name] = v;
  }
  return { ...out, ...configured };
}
