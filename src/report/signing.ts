/**
 * The sign-off bundle's Ed25519 key (node:crypto). The private key comes from the environment
 * (the config's `signoff.privateKeyEnv`, CUTOVER_SIGNING_KEY by default, a PEM; a secret of the
 * registry by its name, never printed or stored); without it, the first sign-off creates a key pair
 * under <reports>/state/signing/ (the private key readable by its owner only) and says so. The
 * public key `verify` trusts is given separately: a PEM path or a fingerprint in the config or on
 * the command line, else the one under the reports' state; never only the copy inside a bundle.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MonitorUserError } from "../errors.js";
import type { SignoffConfig } from "./signoff-config.js";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  fingerprint: string;
  /** Where it came from, for messages ("$CUTOVER_SIGNING_KEY", a path). */
  source: string;
  /** This call created it (say so once). */
  created: boolean;
}

/** "sha256:<hex>" of the public key's DER (SubjectPublicKeyInfo): what the config may name instead of a file. */
export function fingerprintOf(publicKey: KeyObject): string {
  return `sha256:${createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex")}`;
}

export function keyFiles(signingDir: string) {
  return { privateKey: path.join(signingDir, "ed25519.key"), publicKey: path.join(signingDir, "ed25519.pub.pem") };
}

function checkEd25519(key: KeyObject, where: string): void {
  if (key.asymmetricKeyType !== "ed25519") throw new MonitorUserError("E_SIGNING_KEY", `${where}: not an Ed25519 key (${key.asymmetricKeyType ?? key.type})`);
}

/**
 * The signing key: from the environment, else the reports' key file, else (when `create`) a new
 * pair written there. null when there is none and `create` is false.
 */
export function signingKey(sc: SignoffConfig, signingDir: string, opts: { create: boolean; env?: NodeJS.ProcessEnv }): SigningKey | null {
  const env = opts.env ?? process.env;
  const fromEnv = env[sc.privateKeyEnv]?.trim();
  if (fromEnv) {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(fromEnv.includes("-----BEGIN") ? fromEnv : Buffer.from(fromEnv, "base64").toString("utf8"));
    } catch (err) {
      // The message never carries the key itself.
      throw new MonitorUserError("E_SIGNING_KEY", `$${sc.privateKeyEnv}: not a PEM private key (${(err as Error).message.split("\n")[0]})`);
    }
    checkEd25519(privateKey, `$${sc.privateKeyEnv}`);
    return withPublic(privateKey, `$${sc.privateKeyEnv}`, false);
  }
  const files = keyFiles(signingDir);
  if (existsSync(files.privateKey)) {
    const mode = statSync(files.privateKey).mode & 0o077;
    if (mode !== 0) throw new MonitorUserError("E_SIGNING_KEY", `${files.privateKey}: readable by others (mode ${(statSync(files.privateKey).mode & 0o777).toString(8)}); chmod 600 it`);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(readFileSync(files.privateKey, "utf8"));
    } catch (err) {
      throw new MonitorUserError("E_SIGNING_KEY", `${files.privateKey}: not a PEM private key (${(err as Error).message.split("\n")[0]})`);
    }
    checkEd25519(privateKey, files.privateKey);
    return withPublic(privateKey, files.privateKey, false);
  }
  if (!opts.create) return null;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  mkdirSync(signingDir, { recursive: true, mode: 0o700 });
  chmodSync(signingDir, 0o700);
  writeFileSync(files.privateKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  chmodSync(files.privateKey, 0o600);
  writeFileSync(files.publicKey, publicKey.export({ type: "spki", format: "pem" }));
  return withPublic(privateKey, files.privateKey, true);
}

function withPublic(privateKey: KeyObject, source: string, created: boolean): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicPem: String(publicKey.export({ type: "spki", format: "pem" })), fingerprint: fingerprintOf(publicKey), source, created };
}

export function signText(key: KeyObject, text: string): string {
  return sign(null, Buffer.from(text, "utf8"), key).toString("base64");
}

export function verifyText(key: KeyObject, text: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(text, "utf8"), key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** The public key verify trusts, or the fingerprint the bundle's key must have. */
export type TrustedKey = { key: KeyObject; fingerprint: string; source: string } | { fingerprint: string; source: string; key?: undefined };

/**
 * `given`: a fingerprint ("sha256:<hex>") or a PEM path (relative to `baseDir`); else the reports'
 * own public key. Throws a one-line error naming what is missing (verify then exits 2).
 */
export function trustedKey(given: string | undefined, baseDir: string, signingDir: string, givenWhere: string): TrustedKey {
  if (given && /^sha256:[0-9a-f]{64}$/i.test(given)) return { fingerprint: given.toLowerCase(), source: `${givenWhere} (fingerprint)` };
  const file = given ? path.resolve(baseDir, given) : keyFiles(signingDir).publicKey;
  const where = given ? `${givenWhere}: ${file}` : file;
  if (!existsSync(file)) {
    throw new MonitorUserError(
      "E_NO_PUBLIC_KEY",
      given ? `${where}: public key file not found` : `${file}: no public key to verify with; pass --public-key PATH|sha256:FINGERPRINT (or set signoff.publicKey in the config)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(file, "utf8"));
  } catch (err) {
    throw new MonitorUserError("E_NO_PUBLIC_KEY", `${where}: not a PEM public key (${(err as Error).message.split("\n")[0]})`);
  }
  checkEd25519(key, where);
  return { key, fingerprint: fingerprintOf(key), source: where };
}
