/** Keeps webhook URLs, routing keys and SMTP passwords out of every message a channel produces. */

const MIN_SECRET_LENGTH = 4;
export const REDACTED = "[REDACTED]";

/** Replaces every occurrence of each secret (and its URL-encoded form) with [REDACTED]. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    variants.add(secret);
    variants.add(encodeURIComponent(secret));
    variants.add(encodeURI(secret));
    variants.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a URL is replaced whole before its path would be.
  let out = text;
  for (const v of [...variants].sort((a, b) => b.length - a.length)) {
    if (v.length >= MIN_SECRET_LENGTH) out = out.split(v).join(REDACTED);
  }
  return out;
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
    if (u.password) secrets.push(u.password);
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
