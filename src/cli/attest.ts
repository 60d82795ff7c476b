import { UsageError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import { monitorState } from "../checkpoint/state.js";
import { storageFor } from "../storage/storage.js";
import { main, parseFlags } from "./main.js";

const USAGE = 'usage: npm run attest -- --item ID --by NAME [--note TEXT] [--config FILE]   (npm run attest -- --list shows the items)';

/** --help: what a person's line is, the options and the exit codes. */
const HELP = `usage: npm run attest -- --item ID --by NAME [--note TEXT] [--config FILE]
       npm run attest -- --list [--config FILE]

Records a checklist line only a person can do (a briefing, a training, a sign-off). A line not
recorded is WARN "awaiting sign-off" at the checkpoints, never a FAIL.

  --item ID        the line's id (the config's attestations; --list shows them)
  --by NAME        who did it
  --note TEXT      optional: where, how, a link
  --list           every line with who recorded it and when, or MISSING
  --config FILE    the config file (default: cutover.config.ts)
  --help           this text

Written to <reports>/state/attestations.json and monitoring_events.log (reports: CUTOVER_REPORTS_DIR, default reports).

exit codes: 0 recorded or listed; 2 could not run (usage, unknown item, configuration).`;

main(async () => {
  const values = parseFlags({ item: { type: "string" }, by: { type: "string" }, note: { type: "string" }, config: { type: "string" }, list: { type: "boolean", default: false }, help: { type: "boolean", default: false } }, USAGE);
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const { config } = await loadConfig({ file: values.config });
  const storage = storageFor(config);
  const state = monitorState(storage);
  const recorded = (await state.attestations.load()).attestations;
  if (values.list) {
    for (const a of config.attestations) {
      const r = [...recorded].reverse().find((x) => x.id === a.id);
      process.stdout.write(`${a.id.padEnd(24)} ${r ? `attested by ${r.by} at ${r.at}` : "MISSING"}  — ${a.line}\n`);
    }
    return 0;
  }
  if (!values.item || !values.by?.trim()) throw new UsageError(`--item and --by are required\n${USAGE}`);
  const item = config.attestations.find((a) => a.id === values.item);
  if (!item) throw new UsageError(`--item: "${values.item}" is not an attestation item; known: ${config.attestations.map((a) => a.id).join(", ")}`);
  const entry = { id: item.id, by: values.by.trim(), at: new Date().toISOString(), ...(values.note ? { note: values.note } : {}) };
  await state.attestations.update((f) => ({ ...f, attestations: [...f.attestations, entry] }));
  storage.events().write({ type: "attestation", ...entry });
  process.stdout.write(`attested: ${item.line} — by ${entry.by} at ${entry.at}\n`);
  return 0;
});
