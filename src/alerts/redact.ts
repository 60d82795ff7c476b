/**
 * Keeps webhook URLs, routing keys, SMTP passwords (and every secret of src/secrets.ts) out of
 * every message the monitor prints, stores or sends: each secret in each form it travels in.
 */

const MIN_SECRET_LENGTH = 4;
/** A base64 fragment shorter than this could match ordinary text. */
const MIN_ENCODED_LENGTH = 8;
export const REDACTED = "[REDACTED]";

/**
 * base64 of a value (standard and URL-safe, padded or not), also where it sits inside a longer
 * base64 stream (an SMTP AUTH PLAIN blob, a base64 mail body): at each of the three byte
 * alignments, the characters that depend on the value's bytes only.
 */
export function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = new Set<string>();
  const whole = bytes.toString("base64");
  forms.add(whole);
  forms.add(whole.replace(/=+$/, ""));
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    // 6 bits a character: the first ones mix in the preceding bytes, the last one the following.
    forms.add(encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)));
  }
  for (const f of [...forms]) forms.add(f.replace(/\+/g, "-").replace(/\//g, "_"));
  return [...forms].filter((f) => f.length >= MIN_ENCODED_LENGTH);
}

/** Every form of one secret: raw, URL-encoded, JSON-escaped and base64 (see base64Forms). */
export function secretForms(secret: string): string[] {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return [];
  return [secret, encodeURIComponent(secret), encodeURI(secret), JSON.stringify(secret).slice(1, -1), ...base64Forms(secret)];
}

/**
 * The secrets an SMTP login puts on the wire, for redactSecrets: the password, AUTH PLAIN's
 * "authzid\0user\0pass" (RFC 4616; with an empty or a repeated authzid) and AUTH LOGIN's base64
 * user name. An SMTP server that echoes the command shows one of them in its reply.
 */
export function smtpAuthSecrets(user: string | undefined, pass: string | undefined): string[] {
  if (!pass) return [];
  if (!user) return [pass];
  return [pass, `\u0000${user}\u0000${pass}`, `${user}\u0000${user}\u0000${pass}`, `${user}\u0000${pass}`, Buffer.from(user, "utf8").toString("base64")];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Replaces a fixed set of literal strings with [REDACTED], in one pass, longest first. */
export class Redactor {
  readonly #pattern: RegExp | null;

  constructor(forms: Iterable<string>) {
    const unique = [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
    // Longest first, so a URL is replaced whole before its path would be.
    unique.sort((a, b) => b.length - a.length);
    this.#pattern = unique.length > 0 ? new RegExp(unique.map(escapeRegExp).join("|"), "g") : null;
  }

  get empty(): boolean {
    return this.#pattern === null;
  }

  redact(text: string): string {
    if (this.#pattern === null || text.length < MIN_SECRET_LENGTH) return text;
    return text.replace(this.#pattern, REDACTED);
  }
}

/** Replaces every occurrence of each secret, in each of its forms (secretForms), with [REDACTED]. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  return new Redactor(secrets.flatMap(secretForms)).redact(text);
}

/**
 * The secret parts of a URL whose path or query is the credential (Slack and generic webhooks):
 * the whole URL, its path plus query, and each path segment long enough to be a token.
 */
export function urlSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const u = new URL(url);
    const pathAndQuery = `${u.pathname}${u.search}`;
    if (pathAndQuery.length > 1) secrets.push(pathAndQuery);
    if (u.search.length > 1) secrets.push(u.search.slice(1));
    for (const segment of u.pathname.split("/")) {
      if (segment.length >= 16 || (segment.length >= 8 && /\d/.test(segment))) secrets.push(segment);
    }
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // Not a URL: the whole string is the secret.
  }
  return secrets;
}

/** Where a request went, without its secret path: "https://hooks.slack.com". */
export function describeEndpoint(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
