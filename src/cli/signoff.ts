/**
 * `npm run signoff -- --role ROLE --by NAME [--note TEXT]`: one of the three leads signs the
 * 24-hour decision as it stands (GO, GO WITH CONDITIONS or NO-GO: signing a NO-GO is allowed and
 * shown as such). A verb over the attestations: it records the role's attestation item, and beside
 * it the decision and the history's chain heads it signed; then rewrites the sign-off bundle and
 * signs it (Ed25519; the key from the environment, or created under the reports' state at the
 * first sign-off, which says so).
 */
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { monitorState } from "../checkpoint/state.js";
import { MonitorUserError, UsageError } from "../errors.js";
import { buildReport } from "../report/build.js";
import { storageFor } from "../storage/storage.js";
import { buildModel } from "../report/model.js";
import { SIGNOFF_ROLES, signoffConfigOf } from "../report/signoff-config.js";
import { buildSignoff } from "../report/signoff-model.js";
import { keyFiles, signingKey } from "../report/signing.js";
import { readSources, signoffsFile, type SignoffEntry } from "../report/sources.js";
import { main, parseFlags } from "./main.js";

const ROLES = SIGNOFF_ROLES.map((r) => r.role);
const USAGE = `usage: npm run signoff -- --role ${ROLES.join("|")} --by NAME [--note TEXT] [--no-pdf] [--config FILE]`;

/** --help: what a sign-off records, the key, the options and the exit codes. */
const HELP = `${USAGE}

Signs the 24-hour decision as it stands now (npm run report shows it): GO, GO WITH CONDITIONS or
NO-GO. Signing a NO-GO is allowed and shown as such. Signatures are not criteria: the decision comes
from the checks; the bundle is "awaiting sign-off (n/3)" until the three roles have signed.

Records, under <reports> (CUTOVER_REPORTS_DIR, default reports):
  state/attestations.json    the role's attestation item (signoff-engineering, -operations, -data-quality)
  state/signoffs.json        who, when, the note, the decision signed and the history's chain heads
  monitoring_events.log      a "signoff" event
then rewrites <reports>/site/ and <reports>/signoff/ and signs the bundle (SHA256SUMS + SIGNATURE.json).

The signing key (Ed25519): the PEM in $CUTOVER_SIGNING_KEY (config signoff.privateKeyEnv); without it
the first sign-off creates <reports>/state/signing/ed25519.key (mode 600) and ed25519.pub.pem and says
so. Verify with: npm run verify -- <reports>/signoff [--public-key PATH|sha256:FINGERPRINT]

  --role ROLE      ${ROLES.join(", ")} (${SIGNOFF_ROLES.map((r) => r.title).join(", ")})
  --by NAME        who signs
  --note TEXT      optional: a condition accepted, a ticket, a link
  --no-pdf         do not print signoff.pdf
  --config FILE    the config file (default: cutover.config.ts)
  --help           this text

exit codes: 0 signed; 2 could not run (usage, no checkpoint recorded, the key, configuration).`;

main(async () => {
  const values = parseFlags(
    {
      role: { type: "string" },
      by: { type: "string" },
      note: { type: "string" },
      "no-pdf": { type: "boolean", default: false },
      config: { type: "string" },
      help: { type: "boolean", default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const role = SIGNOFF_ROLES.find((r) => r.role === values.role);
  if (!values.role || !values.by?.trim()) throw new UsageError(`--role and --by are required\n${USAGE}`);
  if (!role) throw new UsageError(`--role: "${values.role}" is not a sign-off role; expected one of ${ROLES.join(", ")}`);
  const loaded = await loadConfig({ file: values.config });
  const { config } = loaded;
  const out = (line: string) => process.stdout.write(line + "\n");

  // The decision as it stands, and the history it stands on.
  const sources = await readSources(loaded);
  if (!sources.records.length) throw new MonitorUserError("E_NO_RECORDS", `${storageFor(config).where("checkpoints")}: no checkpoint recorded yet: nothing to sign`);
  const now = buildSignoff(sources, buildModel(sources));
  const key = signingKey(signoffConfigOf(config), sources.paths.signing, { create: true })!;
  if (key.created) {
    out(`created a signing key pair: ${key.source} (private, mode 600) and ${keyFiles(sources.paths.signing).publicKey}; fingerprint ${key.fingerprint}`);
    out(`  keep the public key or its fingerprint apart from the bundle (config signoff.publicKey, or verify --public-key): a bundle never vouches for itself`);
  }
  const entry: SignoffEntry = {
    role: role.role,
    by: values.by.trim(),
    at: new Date().toISOString(),
    ...(values.note ? { note: values.note } : {}),
    decision: now.decision,
    conditions: now.decision === "NO-GO" ? now.reasons : now.conditions,
    chain: {
      checkpoints: { records: sources.chains.checkpoints.records, head: sources.chains.checkpoints.head },
      events: { records: sources.chains.events.records, head: sources.chains.events.head },
    },
    publicKeyFingerprint: key.fingerprint,
  };
  const storage = storageFor(config);
  await signoffsFile(storage).update((f) => ({ ...f, signoffs: [...f.signoffs, entry] }));
  if (config.attestations.some((a) => a.id === role.attestation)) {
    const state = monitorState(storage);
    await state.attestations.update((f) => ({ ...f, attestations: [...f.attestations, { id: role.attestation, by: entry.by, at: entry.at, note: `${entry.decision}${entry.note ? `; ${entry.note}` : ""}` }] }));
  }
  storage.events().write({ type: "signoff", severity: entry.decision === "NO-GO" ? "critical" : "info", role: entry.role, by: entry.by, at: entry.at, note: entry.note, decision: entry.decision, chain: entry.chain, publicKeyFingerprint: entry.publicKeyFingerprint });

  await storage.flush(); // the event is in the history before the bundle copies it
  const r = await buildReport(loaded, { allure: false, pdf: !values["no-pdf"] });
  const rel = (p: string) => (path.relative(process.cwd(), p).startsWith("..") ? p : path.relative(process.cwd(), p) || p);
  out(`signed ${entry.decision} as ${role.title} (${entry.by}) at ${entry.at}${entry.decision === "NO-GO" ? ` — a NO-GO: ${now.reasons.slice(0, 2).join("; ")}` : entry.decision === "GO WITH CONDITIONS" ? ` — conditions: ${now.conditions.length}` : ""}`);
  out(`${r.signoff.signoffStatus}; history signed: ${entry.chain.checkpoints.records} checkpoint records (head ${entry.chain.checkpoints.head?.slice(0, 16) ?? "none"}…)`);
  out(`bundle ${rel(r.bundle.dir)} signed by key ${key.fingerprint}${"skipped" in r.bundle.pdf ? `; ${r.bundle.pdf.skipped}` : ""}`);
  out(`verify: npm run verify -- ${rel(r.bundle.dir)}`);
  return 0;
});
