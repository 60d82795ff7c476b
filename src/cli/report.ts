/**
 * `npm run report`: the hourly report site (reports/site/), the 24-hour report and sign-off bundle
 * (reports/signoff/) and one Allure 3 report per checkpoint (reports/allure-report/), all from what
 * was recorded; `--serve` serves them on 127.0.0.1.
 */
import { staleHeartbeatLine } from "../monitor/heartbeat.js";
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { buildReport } from "../report/build.js";
import { serveDirectory } from "../report/serve.js";
import { main, parseFlags } from "./main.js";

const USAGE = "usage: npm run report -- [--serve [--port N]] [--no-allure] [--no-pdf] [--config FILE]";

/** --help: what it reads and writes, and the exit codes. */
const HELP = `${USAGE}

Builds, from <reports>/checkpoints.jsonl, monitoring_events.log and samples.jsonl (the watch's, when
it ran) (reports: CUTOVER_REPORTS_DIR, default reports):

  <reports>/site/index.html        the hourly validation report: one row per scheduled checkpoint (MISSED
                                   and late ones too), a page per checkpoint, charts, the alert history
  <reports>/signoff/               the 24-hour report and sign-off: signoff.md, .html, .json, .pdf (printed
                                   by Chromium; skipped with a notice when it is missing), SHA256SUMS, and
                                   SIGNATURE.json when a signing key exists (npm run signoff creates one)
  <reports>/allure-report/         one Allure report per checkpoint, with Allure's history (trends)

Everything opens from the file system or over HTTP; nothing is fetched from outside the machine.

  --serve          serve <reports>/ on http://127.0.0.1 after building (Ctrl-C stops it)
  --port N         the port for --serve (default: any free port)
  --no-allure      skip the Allure reports (the site and the sign-off only)
  --no-pdf         skip signoff.pdf
  --config FILE    the config file (default: cutover.config.ts)
  --help           this text

exit codes: 0 written; 2 could not run (no checkpoint recorded yet, allure failed, configuration).`;

main(async () => {
  const values = parseFlags(
    {
      serve: { type: "boolean", default: false },
      port: { type: "string" },
      "no-allure": { type: "boolean", default: false },
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
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${values.port}" is not a port number (0-65535)\n${USAGE}`);
  const loaded = await loadConfig({ file: values.config });
  const out = (line: string) => process.stdout.write(line + "\n");
  const r = await buildReport(loaded, { allure: !values["no-allure"], pdf: !values["no-pdf"], requireRecords: true, progress: (l) => process.stderr.write(l + "\n") });
  const rel = (p: string) => (path.relative(process.cwd(), p).startsWith("..") ? p : path.relative(process.cwd(), p) || p);
  out(`site: ${rel(path.join(r.site.dir, "index.html"))} (${r.model.counts.ran}/${r.model.counts.scheduled} scheduled checkpoints ran, ${r.model.counts.missed} MISSED, ${r.model.counts.late} late; ${r.site.files} files)`);
  out(`sign-off: ${rel(path.join(r.bundle.dir, "signoff.html"))}: ${r.signoff.decision} — ${r.signoff.signoffStatus}${r.bundle.signed ? `; signed by key ${r.bundle.signed.fingerprint}` : "; unsigned (no key yet: npm run signoff creates one)"}`);
  if ("skipped" in r.bundle.pdf) out(r.bundle.pdf.skipped);
  if (r.allure) out(`allure: ${rel(path.join(r.sources.paths.root, r.allure.indexPath))} (${r.allure.generated.length} launch(es) generated, ${r.allure.reused.length} kept; ${Math.round(r.allure.ms / 100) / 10} s)`);
  for (const n of r.model.notes) out(`note: ${n}`);
  // A watch that stopped beating mid-cutover: the hours after it were not watched.
  const dead = staleHeartbeatLine(path.join(r.sources.paths.state, "watch-heartbeat.json"), r.sources.cutover?.startedAt ?? null);
  if (dead) out(dead);
  if (!values.serve) return 0;
  const { url, server } = await serveDirectory(r.sources.paths.root, port);
  out(`serving ${rel(r.sources.paths.root)} on ${url}/site/index.html (sign-off: ${url}/signoff/signoff.html); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
});
