/**
 * `reports/signoff/`: the final 24-hour report and its sign-off, in four formats (md, html, json,
 * pdf printed from the html), with copies of the history it was made from, a SHA256SUMS manifest
 * and an Ed25519 signature over the manifest and the history's chain heads (SIGNATURE.json).
 * `npm run verify -- reports/signoff` checks all of it against a public key given separately.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JsonlCheckpointStore } from "../history/jsonl-store.js";
import type { ChainStatus } from "../history/store.js";
import { redactAll, redactDeep } from "../secrets.js";
import { printPdf, type ChromiumHandle } from "./chromium.js";
import { esc, page, verdictBadge } from "./html.js";
import { fmtTime } from "./model.js";
import { incidentTable } from "./site.js";
import type { SignoffModel } from "./signoff-model.js";
import { signText, type SigningKey } from "./signing.js";

/** The history files a bundle carries, as named inside it. */
export const BUNDLED_HISTORY = ["checkpoints.jsonl", "monitoring_events.log", "samples.jsonl"] as const;
export const MANIFEST = "SHA256SUMS";
export const SIGNATURE = "SIGNATURE.json";

export interface SignatureFile {
  version: 1;
  algorithm: "Ed25519";
  signedAt: string;
  publicKeyFingerprint: string;
  /** A copy for convenience; verify trusts only the key given to it separately. */
  publicKey: string;
  manifestSha256: string;
  /** Each bundled history file's chain: records and head (the hash of its last line). */
  chains: Record<string, { records: number; head: string | null }>;
  /** What was signed, exactly (signedPayload(manifest, chains)). */
  signature: string;
}

/** The text the signature covers: the manifest's hash and every chain head, one per line. */
export function signedPayload(manifestSha256: string, chains: SignatureFile["chains"]): string {
  const lines = ["cutover-monitor sign-off v1", `manifest sha256 ${manifestSha256}`];
  for (const name of Object.keys(chains).sort()) lines.push(`chain ${name} ${chains[name]!.records} ${chains[name]!.head ?? "none"}`);
  return lines.join("\n") + "\n";
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

export interface BundleResult {
  dir: string;
  files: string[];
  pdf: { written: true } | { skipped: string };
  signed: { fingerprint: string; source: string } | null;
  chains: Record<string, ChainStatus>;
}

/**
 * Writes the bundle into a fresh folder and swaps it in. `history` maps each bundled name to the
 * live file (those that exist are copied before their chains are read, so the signature pins
 * exactly the copies). Without a key the bundle is complete but unsigned (no SIGNATURE.json).
 */
export async function writeBundle(model: SignoffModel, opts: { dir: string; history: Record<string, string>; key: SigningKey | null; siteHref: string; pdf?: boolean; chromium?: ChromiumHandle }): Promise<BundleResult> {
  const next = `${opts.dir}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(path.join(next, "history"), { recursive: true });
  const chains: Record<string, ChainStatus> = {};
  for (const name of BUNDLED_HISTORY) {
    const live = opts.history[name];
    if (!live || !existsSync(live)) continue;
    const copy = path.join(next, "history", name);
    copyFileSync(live, copy);
    chains[name] = await new JsonlCheckpointStore(copy).chain();
  }
  const bundled = { ...model, chains: Object.fromEntries(Object.entries(chains)) };
  writeFileSync(path.join(next, "signoff.json"), JSON.stringify(redactDeep(bundled), null, 2) + "\n");
  writeFileSync(path.join(next, "signoff.md"), redactAll(renderMarkdown(model, opts.siteHref)));
  const htmlFile = path.join(next, "signoff.html");
  writeFileSync(htmlFile, redactAll(renderHtml(model, opts.siteHref)));
  const pdf = opts.pdf === false ? { skipped: "signoff.pdf skipped (--no-pdf)" } : await printPdf(htmlFile, path.join(next, "signoff.pdf"), opts.chromium);
  if (opts.key) writeFileSync(path.join(next, "public-key.pem"), opts.key.publicPem);

  // The manifest: every file of the bundle but the manifest and the signature.
  const files = listFiles(next).filter((f) => f !== MANIFEST && f !== SIGNATURE);
  const manifest = files.map((f) => `${sha256File(path.join(next, f))}  ${f}`).join("\n") + "\n";
  writeFileSync(path.join(next, MANIFEST), manifest);
  let signed: BundleResult["signed"] = null;
  if (opts.key) {
    const manifestSha256 = createHash("sha256").update(manifest).digest("hex");
    const heads = Object.fromEntries(Object.entries(chains).map(([k, c]) => [k, { records: c.records, head: c.head }]));
    const sig: SignatureFile = {
      version: 1,
      algorithm: "Ed25519",
      signedAt: new Date().toISOString(),
      publicKeyFingerprint: opts.key.fingerprint,
      publicKey: opts.key.publicPem,
      manifestSha256,
      chains: heads,
      signature: signText(opts.key.privateKey, signedPayload(manifestSha256, heads)),
    };
    writeFileSync(path.join(next, SIGNATURE), JSON.stringify(sig, null, 2) + "\n");
    signed = { fingerprint: opts.key.fingerprint, source: opts.key.source };
  }
  const old = `${opts.dir}.old-${process.pid}`;
  if (existsSync(opts.dir)) renameSync(opts.dir, old);
  renameSync(next, opts.dir);
  rmSync(old, { recursive: true, force: true });
  return { dir: opts.dir, files: [...files, MANIFEST, ...(signed ? [SIGNATURE] : [])], pdf, signed, chains };
}

/** Every file under `dir`, relative, with "/" separators, sorted. */
export function listFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (statSync(path.join(dir, r)).isFile()) out.push(r);
  }
  return out.sort();
}

const CLS: Record<string, string> = { GO: "go", "GO WITH CONDITIONS": "cond", "NO-GO": "nogo", PENDING: "pending" };

function renderHtml(s: SignoffModel, siteHref: string): string {
  const link = (pg: string, anchor: string) => `${siteHref}/${pg}#${anchor}`;
  const body = `<header>
<h1>${esc(s.name)}: 24-hour report and sign-off</h1>
<p>${s.cutover ? `Cutover started ${esc(fmtTime(s.cutover.startedAt))}` : "No cutover recorded"} · generated ${esc(fmtTime(s.generatedAt))} · criteria read from ${s.source ? `<a href="${esc(link(s.source.page, "checks"))}">${esc(s.source.slot ?? s.source.id)}</a> (${esc(fmtTime(s.source.timestamp))})` : "<b>no final checkpoint</b>"} · ${s.counts.ran}/${s.counts.scheduled} scheduled checkpoints ran, ${s.counts.missed} MISSED, ${s.counts.late} late</p>
<div class="banner ${CLS[s.decision]}" id="decision" data-decision="${esc(s.decision)}">${esc(s.decision)} — ${esc(s.signoffStatus)}</div>
<nav class="noprint"><a href="${esc(siteHref)}/index.html">Hourly report</a><a href="#criteria">Success criteria</a><a href="#decision-rules">GO / NO-GO</a><a href="#incidents">Incidents</a><a href="#recommendations">Recommendations</a><a href="#signoff">Sign-off</a></nav>
</header>
<main>
<section id="criteria"><h2>Success criteria</h2>
<table id="criteria-table"><thead><tr><th>Criteria</th><th>Target</th><th>Achieved</th><th>Verdict</th><th>Evidence</th></tr></thead><tbody>
${s.criteria.map((c) => `<tr class="row-${c.verdict === "NOT MEASURED" ? "missed" : c.verdict.toLowerCase()}" data-criterion="${esc(c.key)}" data-verdict="${esc(c.verdict)}"><td><b>${esc(c.title)}</b><div class="small muted">${esc(c.check)}: ${esc(c.how)}</div></td><td>${esc(c.target)}</td><td>${esc(c.achieved)}</td><td>${verdictBadge(c.verdict)}</td><td>${c.evidence.length ? c.evidence.map((e) => `<a href="${esc(link(e.page, e.anchor))}">${esc(e.label)}</a>`).join(", ") : '<span class="muted">none</span>'}</td></tr>`).join("\n")}
</tbody></table></section>
<section id="decision-rules"><h2>GO / NO-GO: ${esc(s.decision)}</h2>
${s.reasons.length ? `<h3>${s.decision === "PENDING" ? "Pending" : "NO-GO because"}</h3><ul>${s.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : ""}
${s.conditions.length ? `<h3>Conditions</h3><ul>${s.conditions.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : s.decision === "GO" ? "<p>No condition: every criterion passed, every checkpoint ran.</p>" : ""}
<p class="small muted">Rules (config signoff.rules): ${Object.entries(s.rules).map(([k, v]) => `${esc(k)} → ${esc(v)}`).join(", ")}. Signatures are not criteria.</p>
<h3>Rollback history</h3>${s.rollbacks.length ? `<ul>${s.rollbacks.map((r) => `<li>cutover of ${esc(fmtTime(r.cutoverStartedAt))} rolled back at ${esc(fmtTime(r.at))}${r.verified ? " (verified)" : " (not verified)"}: ${esc(r.reason)}</li>`).join("")}</ul>` : "<p>No rollback.</p>"}
</section>
<section id="incidents"><h2>Incidents (${s.incidents.length}; ${s.openIncidents.length} open)</h2>${s.incidents.length ? incidentTable(s.incidents, s.cutover ? Date.parse(s.cutover.startedAt) : null).replace(/href="checkpoints\//g, `href="${esc(siteHref)}/checkpoints/`) : "<p>No alert fired.</p>"}</section>
<section id="recommendations"><h2>Recommendations</h2>${s.recommendations.length ? `<ol>${s.recommendations.map((r) => `<li><span class="small muted">[${esc(r.source)}]</span> ${esc(r.text)}${r.page ? ` (<a href="${esc(link(r.page, "cause"))}">evidence</a>)` : ""}</li>`).join("")}</ol>` : "<p>None: nothing warned, no incident, no near miss.</p>"}
<div class="grid2"><div><h3>If PASS (GO)${s.actions.applies === "pass" ? " — applies" : ""}</h3><ol>${s.actions.pass.map((a) => `<li>${esc(a)}</li>`).join("")}</ol></div><div><h3>If FAIL (NO-GO, rollback)${s.actions.applies === "fail" ? " — applies" : ""}</h3><ol>${s.actions.fail.map((a) => `<li>${esc(a)}</li>`).join("")}</ol></div></div>
</section>
<section id="signoff"><h2>Sign-off: ${esc(s.signoffStatus)}</h2>
<table id="signatures"><thead><tr><th>Role</th><th>Name</th><th>Time</th><th>Signed decision</th><th>Note</th><th>History signed</th></tr></thead><tbody>
${s.signatures.map((g) => (g.signed ? `<tr data-role="${esc(g.role)}" data-signed="1"><td>${esc(g.title)}</td><td>${esc(g.signed.by)}</td><td>${esc(fmtTime(g.signed.at))}</td><td><b>${esc(g.signed.decision)}</b>${g.decisionChanged ? ` <span class="v v-warn">(now ${esc(s.decision)})</span>` : ""}</td><td>${esc(g.signed.note ?? "")}</td><td class="small">${g.signed.chain.checkpoints.records} records, head ${esc((g.signed.chain.checkpoints.head ?? "none").slice(0, 16))}…${g.recordsSince ? ` <span class="v v-warn">${g.recordsSince} record(s) added since</span>` : ""}</td></tr>` : `<tr data-role="${esc(g.role)}" data-signed="0"><td>${esc(g.title)}</td><td colspan="5"><span class="v v-warn">⚠ awaiting sign-off</span> <span class="small muted">npm run signoff -- --role ${esc(g.role)} --by NAME [--note TEXT]</span></td></tr>`)).join("\n")}
</tbody></table>
<p class="small muted">History chain heads: ${Object.entries(s.chains).filter(([, c]) => c).map(([k, c]) => `${esc(k)} ${c!.records} records, head ${esc((c!.head ?? "none").slice(0, 16))}…${c!.broken ? ` <b class="v v-fail">BROKEN: ${esc(c!.broken.reason)}</b>` : ""}`).join(" · ")}. Verify this bundle: <code>npm run verify -- reports/signoff</code>.</p>
</section>
</main>`;
  return page({ title: `${s.name}: 24-hour sign-off (${s.decision})`, body });
}

function renderMarkdown(s: SignoffModel, siteHref: string): string {
  const cell = (t: string) => t.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const link = (pg: string, anchor: string) => `${siteHref}/${pg}#${anchor}`;
  const out: string[] = [];
  out.push(`# ${s.name}: 24-hour report and sign-off`, "");
  out.push(`**${s.decision}** — ${s.signoffStatus}`, "");
  out.push(`${s.cutover ? `Cutover started ${fmtTime(s.cutover.startedAt)}` : "No cutover recorded"}; generated ${fmtTime(s.generatedAt)}; criteria read from ${s.source ? `${s.source.slot ?? s.source.id} (${fmtTime(s.source.timestamp)})` : "no final checkpoint"}; ${s.counts.ran}/${s.counts.scheduled} scheduled checkpoints ran, ${s.counts.missed} MISSED, ${s.counts.late} late.`, "");
  out.push("## Success criteria", "", "| Criteria | Target | Achieved | Verdict | Evidence |", "|---|---|---|---|---|");
  for (const c of s.criteria) out.push(`| ${cell(c.title)} | ${cell(c.target)} | ${cell(c.achieved)} | ${c.verdict} | ${c.evidence.map((e) => `[${e.label}](${link(e.page, e.anchor)})`).join(", ") || "none"} |`);
  out.push("", `## GO / NO-GO: ${s.decision}`, "");
  if (s.reasons.length) out.push(s.decision === "PENDING" ? "Pending:" : "NO-GO because:", "", ...s.reasons.map((r) => `- ${r}`), "");
  if (s.conditions.length) out.push("Conditions:", "", ...s.conditions.map((r) => `- ${r}`), "");
  out.push(`Rollback history: ${s.rollbacks.length ? s.rollbacks.map((r) => `cutover of ${fmtTime(r.cutoverStartedAt)} rolled back at ${fmtTime(r.at)}: ${r.reason}`).join("; ") : "none"}.`, "");
  out.push(`## Incidents (${s.incidents.length}; ${s.openIncidents.length} open)`, "");
  if (s.incidents.length) {
    out.push("| Incident | Severity | Fired | Escalated | Delivered | Resolved |", "|---|---|---|---|---|---|");
    for (const i of s.incidents) out.push(`| ${i.rule} | ${i.severity} | ${fmtTime(i.firedAt)} | ${i.escalations.length || "no"} | ${[...new Set(i.deliveries.filter((d) => d.ok).map((d) => d.channel))].join(", ") || "none"} | ${i.resolvedAt ? `${fmtTime(i.resolvedAt)} (${i.minutes} min)` : "open"} |`);
    out.push("");
  } else out.push("No alert fired.", "");
  out.push("## Recommendations", "", ...(s.recommendations.length ? s.recommendations.map((r, n) => `${n + 1}. [${r.source}] ${r.text}`) : ["None."]), "");
  out.push(`### If PASS (GO)${s.actions.applies === "pass" ? " — applies" : ""}`, "", ...s.actions.pass.map((a, n) => `${n + 1}. ${a}`), "");
  out.push(`### If FAIL (NO-GO, rollback)${s.actions.applies === "fail" ? " — applies" : ""}`, "", ...s.actions.fail.map((a, n) => `${n + 1}. ${a}`), "");
  out.push(`## Sign-off: ${s.signoffStatus}`, "", "| Role | Name | Time | Signed decision | Note |", "|---|---|---|---|---|");
  for (const g of s.signatures) out.push(g.signed ? `| ${g.title} | ${cell(g.signed.by)} | ${fmtTime(g.signed.at)} | ${g.signed.decision}${g.decisionChanged ? ` (now ${s.decision})` : ""} | ${cell(g.signed.note ?? "")} |` : `| ${g.title} | _awaiting sign-off_ | | | |`);
  out.push("", "Verify: `npm run verify -- reports/signoff`.", "");
  return out.join("\n");
}
