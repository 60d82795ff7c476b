import { UsageError } from "../errors.js";
import { loadConfig } from "../config/load.js";
import { monitorPaths } from "../checkpoint/paths.js";
import { monitorState } from "../checkpoint/state.js";
import { EventsLog } from "../report/events-log.js";
import { main, parseFlags } from "./main.js";

const USAGE = 'usage: npm run attest -- --item ID --by NAME [--note TEXT] [--config FILE]   (npm run attest -- --list shows the items)';

main(async () => {
  const values = parseFlags({ item: { type: "string" }, by: { type: "string" }, note: { type: "string" }, config: { type: "string" }, list: { type: "boolean", default: false } }, USAGE);
  const { config } = await loadConfig({ file: values.config });
  const state = monitorState(monitorPaths(config.reportsDir));
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
  new EventsLog(monitorPaths(config.reportsDir).events).write({ type: "attestation", ...entry });
  process.stdout.write(`attested: ${item.line} — by ${entry.by} at ${entry.at}\n`);
  return 0;
});
