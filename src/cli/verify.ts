/**
 * `npm run verify -- reports/signoff`: recomputes the history's hash chain, the bundle's SHA256SUMS
 * and its Ed25519 signature against a public key given separately, and names the first record or
 * file that changed. Exit 0 intact, 1 changed, 2 could not run.
 */
import { parseArgs } from "node:util";
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { signoffConfigOf } from "../report/signoff-config.js";
import { trustedKey } from "../report/signing.js";
import { reportPaths } from "../report/sources.js";
import { verifyBundle } from "../report/verify.js";
import { LOG_FILES, storageFor, type LogName } from "../storage/storage.js";
import { main } from "./main.js";

const USAGE = "usage: npm run verify -- BUNDLE_DIR [--public-key PATH|sha256:FINGERPRINT] [--history DIR] [--config FILE]";

/** --help: what is checked, where the key comes from, and the exit codes. */
const HELP = `${USAGE}

Checks a sign-off bundle (e.g. reports/signoff):
  - its Ed25519 signature over SHA256SUMS and the history's chain heads, with a public key given
    apart from the bundle: --public-key, else the config's signoff.publicKey, else
    <reports>/state/signing/ed25519.pub.pem (the copy inside the bundle is never trusted alone);
  - every file against SHA256SUMS, and no file added;
  - the hash chain of each history copy in the bundle (each record names the hash of the one before);
  - the live history beside the bundle (or in --history DIR): its signed records unchanged.
Names the first record or file that changed.

  --public-key K   a PEM public key file, or its fingerprint sha256:<64 hex> (npm run signoff prints it)
  --history DIR    where the live checkpoints.jsonl and monitoring_events.log are (default: the bundle's parent,
                   or the PostgreSQL history when the config's history.kind is "postgres")
  --config FILE    the config file (default: cutover.config.ts)
  --help           this text

exit codes: 0 intact; 1 changed (the first change is named); 2 could not run (no bundle, not signed, no key).`;

main(async () => {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { "public-key": { type: "string" }, history: { type: "string" }, config: { type: "string" }, help: { type: "boolean", default: false } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`${positionals.length ? "one bundle directory, not several" : "the bundle directory is required"}\n${USAGE}`);
  const bundle = positionals[0]!;
  const loaded = await loadConfig({ file: values.config });
  const sc = signoffConfigOf(loaded.config);
  const paths = reportPaths(loaded.config.reportsDir);
  const given = values["public-key"] ?? sc.publicKey;
  const where = values["public-key"] ? "--public-key" : "signoff.publicKey";
  const baseDir = values["public-key"] ? process.cwd() : loaded.source.startsWith("(") ? process.cwd() : path.dirname(path.resolve(loaded.source));
  // The reports' own public key: the state beside this bundle (its parent), else the configured reports dir.
  const bundleState = path.join(path.dirname(path.resolve(bundle)), "state", "signing");
  const signingDir = given ? paths.signing : bundleState;
  // The live history in a database (config history.kind "postgres") unless --history names a folder.
  const storage = loaded.config.history.kind === "postgres" && !values.history ? storageFor(loaded.config) : null;
  const names = Object.entries(LOG_FILES) as [LogName, string][];
  const live = storage ? (file: string) => names.filter(([, f]) => f === file).map(([n]) => ({ where: storage.where(n), lines: () => storage.log(n).lines() }))[0] ?? null : undefined;
  const result = await verifyBundle(bundle, () => trustedKey(given, baseDir, signingDir, where), values.history, live);
  const out = (line: string) => process.stdout.write(line + "\n");
  if (result.status === "could not run") {
    process.stderr.write(`cutover-monitor: verify could not run: ${result.error}\n`);
    return 2;
  }
  if (result.status === "changed") {
    out(`CHANGED: ${bundle}: ${result.changes[0]}`);
    for (const c of result.changes.slice(1, 10)) out(`  also: ${c}`);
    if (result.changes.length > 10) out(`  … ${result.changes.length - 10} more`);
    return 1;
  }
  out(`INTACT: ${bundle}`);
  for (const c of result.checked) out(`  ${c}`);
  return 0;
});
