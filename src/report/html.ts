/**
 * Small HTML helpers shared by the site and the sign-off: escaping, verdict marks (a WARN is
 * never green), number formatting with units, the page frame and its style sheet. Pages load
 * nothing from outside: a Content-Security-Policy allows only the page's own files.
 */
import type { Verdict } from "../checkpoint/context.js";

export function esc(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** ✓ / ⚠ / ✗ / ? with the verdict's word: the colour is never the only sign. */
export const MARK: Record<Verdict, string> = { PASS: "✓", WARN: "⚠", FAIL: "✗", ERROR: "?" };

export function verdictBadge(v: string): string {
  const known = v === "PASS" || v === "WARN" || v === "FAIL" || v === "ERROR";
  const cls = known ? v.toLowerCase() : v === "MISSED" ? "missed" : "none";
  return `<span class="v v-${cls}" data-verdict="${esc(v)}">${known ? `${MARK[v as Verdict]} ` : ""}${esc(v)}</span>`;
}

/** "9.63 ms", or "not measured" (never 0). */
export function fmtNum(v: number | null | undefined, unit: string, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "not measured";
  const r = Math.round(v * 10 ** digits) / 10 ** digits;
  return `${r.toLocaleString("en-US", { maximumFractionDigits: digits })}${unit ? ` ${unit}` : ""}`;
}

/** The one page frame: title, style, the policy that keeps every request on the machine. */
export function page(opts: { title: string; body: string; css?: string; head?: string; scripts?: string[]; root?: string }): string {
  // At the end of the body (not deferred: measured faster to the table's paint in Chromium); the
  // chart script itself draws only after the first paint.
  const scripts = (opts.scripts ?? []).map((s) => `<script src="${esc(s)}"></script>`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'none'; form-action 'none'">
<title>${esc(opts.title)}</title>
<style>${BASE_CSS}${opts.css ?? ""}</style>
${opts.head ?? ""}
</head>
<body>
${opts.body}
${scripts}
</body>
</html>
`;
}

export const BASE_CSS = `
:root{--pass:#1b7f3b;--warn:#9a6100;--fail:#b3261e;--error:#6b3fa0;--missed:#5f6368;--line:#d0d4d9;--bg-warn:#fff4d6;--bg-fail:#fde7e5;--bg-error:#efe6fa;--bg-missed:#eceff1}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#fff}
header,main,footer{max-width:1400px;margin:0 auto;padding:12px 20px}
header{border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:6px 0}
h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
nav a{margin-right:14px}
a{color:#0b57d0}
table{border-collapse:collapse;width:100%;margin:6px 0 14px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.v{font-weight:600;white-space:nowrap}
.v-pass{color:var(--pass)}.v-warn{color:var(--warn)}.v-fail{color:var(--fail)}.v-error{color:var(--error)}.v-missed{color:var(--missed)}.v-none{color:var(--missed)}
tr.row-warn td{background:var(--bg-warn)}tr.row-fail td{background:var(--bg-fail)}tr.row-error td{background:var(--bg-error)}tr.row-missed td{background:var(--bg-missed)}
.banner{padding:10px 14px;border-radius:6px;margin:10px 0;font-size:16px;font-weight:600;border:2px solid}
.banner.go{border-color:var(--pass);color:var(--pass)}.banner.cond{border-color:var(--warn);color:var(--warn);background:var(--bg-warn)}.banner.nogo{border-color:var(--fail);color:var(--fail);background:var(--bg-fail)}.banner.pending{border-color:var(--missed);color:var(--missed)}
.muted{color:#5f6368}
.small{font-size:12px}
ul.issues{margin:0;padding-left:16px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px;font-size:12px;white-space:pre-wrap;word-break:break-word}
details summary{cursor:pointer;color:#0b57d0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(620px,1fr));gap:18px}
.chart{min-height:260px}
.chart .err{color:var(--fail)}
.legend-marks span{margin-right:12px;white-space:nowrap}
.mk{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media print{nav,.noprint{display:none}header,main{max-width:none;padding:0}a{color:inherit;text-decoration:none}.charts{display:block}}
`;

/** Colours of the chart markers (also in the legend). */
export const MARKER_COLOURS: Record<string, string> = { cutover: "#0b57d0", alert: "#b3261e", resolved: "#1b7f3b", rollback: "#000000", fault: "#8e24aa", missed: "#5f6368" };
