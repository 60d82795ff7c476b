/**
 * Verifies a sign-off bundle (`npm run verify -- reports/signoff`): the Ed25519 signature over
 * the manifest and the chain heads, against a public key given separately (never only the copy in
 * the bundle); every file against SHA256SUMS; the hash chain of each bundled history file; and the
 * live history beside the bundle, whose first signed lines must be the bundled ones. Names the
 * first record or file that changed. Intact, changed, or could not run: exit 0, 1, 2.
 */
import { createHash, createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { JsonlCheckpointStore } from "../history/jsonl-store.js";
import { ChainVerifier, type ChainStatus, type StoredLine } from "../history/store.js";
import { BUNDLED_HISTORY, listFiles, MANIFEST, sha256File, SIGNATURE, signedPayload, type SignatureFile } from "./signoff-bundle.js";
import { fingerprintOf, verifyText, type TrustedKey } from "./signing.js";

export interface VerifyResult {
  status: "intact" | "changed" | "could not run";
  exitCode: 0 | 1 | 2;
  /** Every change found, the first (the most specific) first. */
  changes: string[];
  /** What was checked, one line each. */
  checked: string[];
  /** Why it could not run. */
  error?: string;
}

const couldNotRun = (error: string): VerifyResult => ({ status: "could not run", exitCode: 2, changes: [], checked: [], error });

/**
 * `trusted` resolves the key (it throws a one-line error when none can be found: could not run).
 * `liveDir` holds the live history (default: the bundle's parent, the reports directory).
 */
export async function verifyBundle(bundleDir: string, trusted: () => TrustedKey, liveDir = path.dirname(path.resolve(bundleDir)), liveStore?: LiveHistory): Promise<VerifyResult> {
  const dir = path.resolve(bundleDir);
  if (!existsSync(dir)) return couldNotRun(`${bundleDir}: no such bundle (npm run report or npm run signoff writes it)`);
  const manifestFile = path.join(dir, MANIFEST);
  if (!existsSync(manifestFile)) return couldNotRun(`${path.join(bundleDir, MANIFEST)}: missing: not a sign-off bundle`);
  const sigFile = path.join(dir, SIGNATURE);
  if (!existsSync(sigFile)) return couldNotRun(`${path.join(bundleDir, SIGNATURE)}: missing: the bundle is not signed yet (npm run signoff -- --role ROLE --by NAME signs it)`);
  let key: TrustedKey;
  try {
    key = trusted();
  } catch (err) {
    return couldNotRun((err as Error).message);
  }

  const changes: string[] = [];
  const checked: string[] = [];
  let sig: SignatureFile;
  try {
    sig = JSON.parse(readFileSync(sigFile, "utf8")) as SignatureFile;
    if (typeof sig.signature !== "string" || typeof sig.manifestSha256 !== "string" || typeof sig.chains !== "object" || sig.chains === null) throw new Error("fields missing");
  } catch (err) {
    return { status: "changed", exitCode: 1, changes: [`${path.join(bundleDir, SIGNATURE)} changed: ${(err as Error).message.split("\n")[0]}`], checked };
  }

  // The key: the trusted one itself, or the bundle's copy when the trusted fingerprint names it.
  let verifyKey = key.key;
  if (!verifyKey) {
    try {
      const copy = createPublicKey(sig.publicKey);
      if (fingerprintOf(copy) !== key.fingerprint) {
        changes.push(`${path.join(bundleDir, SIGNATURE)}: signed by key ${sig.publicKeyFingerprint}, not the trusted ${key.fingerprint} (${key.source})`);
      } else verifyKey = copy;
    } catch {
      changes.push(`${path.join(bundleDir, SIGNATURE)} changed: its public key copy is not a PEM key`);
    }
  } else if (sig.publicKeyFingerprint !== key.fingerprint) {
    changes.push(`${path.join(bundleDir, SIGNATURE)}: signed by key ${sig.publicKeyFingerprint}, not the trusted ${key.fingerprint} (${key.source})`);
  }
  const manifest = readFileSync(manifestFile);
  const manifestSha = createHash("sha256").update(manifest).digest("hex");
  if (manifestSha !== sig.manifestSha256) changes.push(`${path.join(bundleDir, MANIFEST)} changed: its hash is not the signed one`);
  if (verifyKey && !verifyText(verifyKey, signedPayload(sig.manifestSha256, sig.chains), sig.signature)) {
    changes.push(`${path.join(bundleDir, SIGNATURE)} changed: the signature does not match its manifest hash and chain heads`);
  } else if (verifyKey) checked.push(`signature: Ed25519 by ${key.fingerprint} (trusted: ${key.source})`);

  // Every file against the manifest, and nothing added.
  const listed = new Map<string, string>();
  for (const line of manifest.toString("utf8").split("\n")) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m) listed.set(m[2]!, m[1]!);
  }
  // A changed history copy is named by its first changed record (below), before the file itself.
  const fileChanges: string[] = [];
  for (const [rel, sum] of listed) {
    const f = path.join(dir, rel);
    if (!existsSync(f)) fileChanges.push(`${path.join(bundleDir, rel)} removed`);
    else if (sha256File(f) !== sum) fileChanges.push(`${path.join(bundleDir, rel)} changed (sha256 differs from ${MANIFEST})`);
  }
  for (const rel of listFiles(dir)) if (rel !== MANIFEST && rel !== SIGNATURE && !listed.has(rel)) fileChanges.push(`${path.join(bundleDir, rel)} added (not in ${MANIFEST})`);
  checked.push(`${listed.size} files against ${MANIFEST}`);

  const recordChanges: string[] = [];
  for (const [name, signed] of Object.entries(sig.chains)) {
    const copy = path.join(dir, "history", name);
    const shown = path.join(bundleDir, "history", name);
    if (!existsSync(copy)) continue; // named as removed above
    const chain = await new JsonlCheckpointStore(copy).chain();
    if (chain.broken) recordChanges.push(`${shown}: ${chain.broken.reason}`);
    else if (chain.records !== signed.records || chain.head !== signed.head) {
      recordChanges.push(chain.records < signed.records ? `${shown}: ${signed.records - chain.records} record(s) removed at the end (signed: ${signed.records})` : `${shown}: line ${chain.records} (the last) changed or lines added: the head is not the signed one`);
    } else checked.push(`${shown}: chain of ${chain.records} records intact${chain.unchained ? ` (${chain.unchained} early line(s) predate the chain; covered by ${MANIFEST})` : ""}`);

    // The live file: its chain up to the signed record must end in the signed head; what was
    // appended since must chain on from it.
    // The live history: the storage's log when given (a database), else the file beside the bundle.
    const fromStore = liveStore?.(name) ?? null;
    const live = fromStore ? fromStore.where : path.join(liveDir, name);
    if (fromStore || (existsSync(live) && path.resolve(live) !== path.resolve(copy))) {
      const c = await liveChain(fromStore ? fromStore.lines() : new JsonlCheckpointStore(live).lines(), signed.records);
      if (c.atSigned.broken) recordChanges.push(`${live}: ${c.atSigned.broken.reason} (since the sign-off)`);
      else if (c.atSigned.records < signed.records) recordChanges.push(`${live}: ${signed.records - c.atSigned.records} signed record(s) removed (signed: ${signed.records}, now ${c.atSigned.records})`);
      else if (c.atSigned.head !== signed.head) recordChanges.push(`${live}: line ${c.signedLine} (the last signed record) changed since the sign-off`);
      else if (c.all.broken) recordChanges.push(`${live}: ${c.all.broken.reason} (appended after the sign-off)`);
      else checked.push(`${live}: the ${signed.records} signed records unchanged${c.all.records > signed.records ? `; ${c.all.records - signed.records} appended since (chained)` : ""}`);
    }
  }
  const all = [...recordChanges, ...changes, ...fileChanges];
  return all.length ? { status: "changed", exitCode: 1, changes: all, checked } : { status: "intact", exitCode: 0, changes: [], checked };
}

/** Where the live history is when not in files beside the bundle (a database): each bundled name's log, or null. */
export type LiveHistory = (name: string) => { where: string; lines(): AsyncIterable<StoredLine> } | null;

/** The chain of a live log as it stood at its `n`-th record (the signed one), and over the whole log. */
async function liveChain(lines: AsyncIterable<StoredLine>, n: number): Promise<{ atSigned: ChainStatus; all: ChainStatus; signedLine: number }> {
  const verifier = new ChainVerifier();
  let atSigned: ChainStatus | null = null;
  let signedLine = 0;
  for await (const raw of lines) {
    if (raw.text === null) continue;
    verifier.push(raw.text, raw.line);
    if (!atSigned && raw.text.trim() !== "" && verifier.result().records === n) {
      atSigned = verifier.result();
      signedLine = raw.line;
    }
  }
  const all = verifier.result();
  // A mismatch on the signed line itself is settled only by the line after it: take the whole file's view.
  const at = atSigned ?? all;
  return { atSigned: all.broken && all.broken.line <= signedLine ? { ...at, broken: all.broken } : at, all, signedLine };
}

export { BUNDLED_HISTORY };
