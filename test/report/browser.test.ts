/**
 * Issue 10 §5: the report in a real browser (Debian's Chromium, driven by playwright-core). The
 * site and the Allure reports open from file:// and over HTTP with no console error, no failed
 * request and no request leaving the machine; the hourly table has one row per scheduled
 * checkpoint with the records' values; every chart draws its series; a WARN is never shown as
 * passed; the failing checkpoint's cause is on its page; the sign-off PDF has the criteria table.
 * Screenshots are kept in test-artifacts/report/ (TEST_ARTIFACTS_DIR to change).
 *
 * Without Chromium the tests say so in one loud line and are skipped; in CI (CI set) a missing
 * Chromium fails.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import type { Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { monitorConfigSchema } from "../../src/config/resolve.ts";
import { DEFAULT_SCHEDULE } from "../../src/config/schedule.ts";
import { allureReportDir, generateAllure } from "../../src/report/allure.ts";
import { buildReport, type BuildResult } from "../../src/report/build.ts";
import { CHROMIUM_PACKAGE, findChromium, launchChromium } from "../../src/report/chromium.ts";
import { serveDirectory } from "../../src/report/serve.ts";
import { writeSynthetic, type Synthetic } from "./fixtures/synthetic.ts";

vi.setConfig({ testTimeout: 90_000, hookTimeout: 240_000 });

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ARTIFACTS = process.env.TEST_ARTIFACTS_DIR ? path.resolve(process.env.TEST_ARTIFACTS_DIR, "report") : path.join(ROOT, "test-artifacts", "report");
const CHROMIUM = findChromium();
const IN_CI = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
if (!CHROMIUM && !IN_CI) {
  process.stderr.write(`\n!!!!! BROWSER TESTS SKIPPED: Chromium not found (CHROMIUM_PATH or /usr/bin/chromium); install the Debian package ${CHROMIUM_PACKAGE} to run test/report/browser.test.ts !!!!!\n\n`);
}

describe("Chromium is there (a failure in CI when it is not)", () => {
  it.runIf(IN_CI)("CI has Chromium", () => {
    expect(CHROMIUM, `Chromium not found: .ci/run must install the Debian package ${CHROMIUM_PACKAGE}`).not.toBeNull();
  });
});

/** What a page did: console errors, failed requests, and every request (none may leave the machine). */
interface Watched {
  page: Page;
  errors: string[];
  failed: string[];
  requests: string[];
  outside: string[];
}

describe.skipIf(!CHROMIUM)("the report in Chromium", () => {
  let browser: Browser;
  let syn: Synthetic;
  let built: BuildResult;
  let server: Server;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(path.join(tmpdir(), "report-browser-"));
    syn = writeSynthetic(dir, { samples: true });
    const config = monitorConfigSchema.parse({ reportsDir: dir });
    built = await buildReport({ config, source: "test" }, { allure: false, pdf: true });
    // Allure: the launches up to the failing checkpoint (the others only add minutes).
    const upTo = built.sources.records.findIndex((r) => r.checkpoint_id === syn.ids[syn.failingSlot]);
    await generateAllure(built.sources.records.slice(0, upTo + 1), config, built.sources.paths);
    ({ server, url: base } = await serveDirectory(dir));
    browser = await launchChromium(CHROMIUM!);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(() => r(undefined)) : r(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens `url`; anything but file:, data: and this test's own 127.0.0.1 server is refused and recorded. */
  async function open(url: string): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const w: Watched = { page, errors: [], failed: [], requests: [], outside: [] };
    page.on("console", (m) => {
      if (m.type() === "error") w.errors.push(m.text());
    });
    page.on("pageerror", (e) => w.errors.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => w.failed.push(`${r.url().slice(0, 120)}: ${r.failure()?.errorText}`));
    await context.route("**/*", (route) => {
      const u = route.request().url();
      w.requests.push(u);
      const local = u.startsWith("file:") || u.startsWith("data:") || u.startsWith(`${base}/`) || u === base;
      if (!local) {
        w.outside.push(u);
        return route.abort();
      }
      return route.continue();
    });
    await page.goto(url, { waitUntil: "load" });
    return w;
  }

  function clean(w: Watched): void {
    expect(w.errors, "console errors").toEqual([]);
    expect(w.failed, "failed requests").toEqual([]);
    expect(w.outside, "requests leaving the machine").toEqual([]);
  }

  const site = () => `file://${path.join(dir, "site", "index.html")}`;

  it.each([
    ["file://", () => site()],
    ["HTTP", () => `${base}/site/index.html`],
  ])("the site opens from %s: no console error, no failed request, nothing leaves the machine; every chart draws", async (how, url) => {
    const w = await open(url());
    await w.page.waitForFunction(() => document.querySelectorAll('[data-drawn="1"]').length >= 6);
    const charts = await w.page.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll("[data-drawn]")].map((e) => [e.id, { drawn: e.getAttribute("data-drawn"), series: Number(e.getAttribute("data-series")), points: Number(e.getAttribute("data-points")) }])),
    );
    expect(charts).toEqual({
      "chart-latency": { drawn: "1", series: 3, points: expect.any(Number) },
      "chart-error": { drawn: "1", series: 2, points: expect.any(Number) },
      "chart-memory": { drawn: "1", series: 3, points: expect.any(Number) },
      "chart-cpu": { drawn: "1", series: 2, points: expect.any(Number) },
      "chart-audit": { drawn: "1", series: 1, points: syn.records.filter((r) => r.phase !== "pre-cutover" && r.audit_trail_events !== null).length },
      "chart-uptime": { drawn: "1", series: 1, points: expect.any(Number) },
    });
    // A sample every 15 s for 24 hours: 5760 watch points besides the checkpoints'.
    expect(charts["chart-latency"]!.points).toBeGreaterThan(5760);
    // Each chart's canvas has ink on it (not a blank box).
    const inked = await w.page.evaluate(() =>
      [...document.querySelectorAll(".chart canvas")].map((c) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      }),
    );
    expect(inked).toHaveLength(5);
    for (const n of inked) expect(n).toBeGreaterThan(1000);
    if (how === "HTTP") expect(w.requests.every((u) => u.startsWith(base))).toBe(true);
    else expect(w.requests.every((u) => u.startsWith("file:"))).toBe(true);
    await w.page.screenshot({ path: path.join(ARTIFACTS, `site-${how === "HTTP" ? "http" : "file"}.png`), fullPage: true });
    clean(w);
    await w.page.context().close();
  });

  it("the hourly table: one row per scheduled checkpoint, MISSED and late ones included, each value the record's", async () => {
    const w = await open(site());
    const rows = await w.page.$$eval("#hourly-table tbody tr", (trs) =>
      trs.map((tr) => ({
        slot: tr.getAttribute("data-slot"),
        status: tr.getAttribute("data-status"),
        checkpoint: tr.getAttribute("data-checkpoint"),
        verdict: tr.getAttribute("data-verdict"),
        statusText: (tr.querySelector('[data-field="status"]') as HTMLElement).innerText,
        values: Object.fromEntries([...tr.querySelectorAll("td[data-value]")].map((td) => [td.getAttribute("data-field"), td.getAttribute("data-value")])),
        texts: Object.fromEntries([...tr.querySelectorAll("td[data-value]")].map((td) => [td.getAttribute("data-field"), (td as HTMLElement).innerText])),
        link: tr.querySelector("td a")?.getAttribute("href") ?? null,
      })),
    );
    expect(rows.map((r) => r.slot)).toEqual(DEFAULT_SCHEDULE.map((s) => `${s.phase}@${s.at}`));
    for (const row of rows) {
      const at = row.slot!.split("@")[1]!;
      const id = syn.ids[at];
      if (!id) {
        expect(row).toMatchObject({ status: "MISSED", checkpoint: null });
        expect(row.statusText).toBe("MISSED");
        continue;
      }
      const rec = syn.records.find((r) => r.checkpoint_id === id)!;
      expect(row.checkpoint).toBe(id);
      expect(row.verdict).toBe(rec.verdict);
      expect(row.link).toMatch(new RegExp(`^checkpoints/${id}\\.html$`));
      for (const field of ["kpi_latency_ms", "error_rate_percent", "memory_mb", "cpu_percent"] as const) {
        const v = rec[field];
        expect(row.values[field], `${at} ${field}`).toBe(v === null ? "" : String(v));
        if (v === null) expect(row.texts[field]).toBe("not measured");
        else expect(Number(row.texts[field]!.replace(/[^0-9.]/g, ""))).toBeCloseTo(v, 2);
      }
    }
    expect(rows.find((r) => r.slot === "extended@07:00")!.statusText).toMatch(/late by 25 min/);
    expect(await w.page.locator("#counts").innerText()).toBe("18/20 scheduled checkpoints ran, 2 MISSED, 1 late, 0 not yet due");
    clean(w);
    await w.page.context().close();
  });

  it("a WARN is never shown as passed: the 12:00 row and its page say WARN, in amber, with ⚠", async () => {
    const w = await open(site());
    const cell = w.page.locator(`#hourly-table tr[data-slot="day@${syn.warningSlot}"] [data-field="status"] .v`);
    expect(await cell.innerText()).toBe("⚠ WARN");
    const colour = await cell.evaluate((e) => getComputedStyle(e).color);
    expect(colour).not.toBe("rgb(27, 127, 59)"); // the PASS green
    await w.page.goto(`file://${path.join(dir, "site", "checkpoints", `${syn.ids[syn.warningSlot]}.html`)}`);
    const row = w.page.locator('tr[data-check="kpi-latency"]');
    expect(await row.getAttribute("data-verdict")).toBe("WARN");
    expect(await row.locator("td").first().innerText()).toBe("⚠ WARN");
    clean(w);
    await w.page.context().close();
  });

  it("the failing checkpoint's page names its cause: what was measured, the threshold, what to do", async () => {
    const w = await open(site());
    await w.page.click(`#hourly-table tr[data-slot="stability@${syn.failingSlot}"] td a`);
    await w.page.waitForURL(/stability-0300/);
    const cause = await w.page.locator("#cause").innerText();
    expect(cause).toMatch(/^Why FAIL/);
    expect(cause).toMatch(/✗ FAIL Error rate over the window \(error-rate\): error rate 18\.18 %: 6\/33 KPI requests failed/);
    expect(cause).toMatch(/Threshold: PASS < 0\.1 %, WARN 0\.1-5 %, FAIL > 5 %/);
    expect(await w.page.locator("#decision").innerText()).toMatch(/CRITICAL → rollback now/);
    expect(await w.page.locator("#runbook").innerText()).toMatch(/Page on-call engineer/);
    expect(await w.page.locator("#alerts").innerText()).toMatch(/fired error-rate-critical \(critical\)/);
    expect(await w.page.locator('tr[data-check="log-scan"]').innerText()).toMatch(/Sample log lines[\s\S]*ERROR kpi: calculation failed/);
    await w.page.screenshot({ path: path.join(ARTIFACTS, "checkpoint-failing.png"), fullPage: true });
    clean(w);
    await w.page.context().close();
  });

  it("the alert history: each incident fired, delivered per channel, resolved", async () => {
    const w = await open(site());
    const rows = await w.page.$$eval("#incidents tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).innerText));
    expect(rows[0]).toMatch(/error-rate-critical[\s\S]*critical[\s\S]*pagerduty: ✓ trigger .*✓ resolve[\s\S]*30 min/);
    expect(rows.find((r) => r.startsWith("latency-warning"))).toMatch(/email: ✗ trigger .*connection refused/);
    clean(w);
    await w.page.context().close();
  });

  it.each([
    ["file://", () => `file://${path.join(dir, allureReportDir(syn.ids[syn.failingSlot]!), "index.html")}`],
    ["HTTP", () => `${base}/${allureReportDir(syn.ids[syn.failingSlot]!)}/index.html`],
  ])("the Allure report of the failing checkpoint opens from %s, offline; WARN is broken, FAIL failed", async (how, url) => {
    const w = await open(url());
    await w.page.getByText("Broken", { exact: false }).first().waitFor();
    const results = await w.page.evaluate(() => {
      const data = (window as unknown as { allureReportData: Record<string, string> }).allureReportData;
      return Object.entries(data).filter(([k]) => k.startsWith("data/test-results/")).map(([, v]) => v);
    });
    const tests = results.map((b64) => JSON.parse(Buffer.from(b64, "base64").toString("utf8")) as { name: string; status: string; historyId?: string });
    const byName = Object.fromEntries(tests.map((t) => [t.name, t.status]));
    expect(byName["Error rate over the window"]).toBe("failed");
    expect(byName["Log scan over the window: no ERROR/CRITICAL (WARNING warns)"]).toBe("broken");
    expect(Object.values(byName).filter((s) => s === "passed").length).toBe(tests.length - 2);
    await w.page.screenshot({ path: path.join(ARTIFACTS, `allure-${how === "HTTP" ? "http" : "file"}.png`) });
    clean(w);
    await w.page.context().close();
  });

  it("the sign-off: its page opens clean, and signoff.pdf holds the success-criteria table", async () => {
    expect(built.bundle.pdf).toEqual({ written: true });
    const w = await open(`file://${path.join(dir, "signoff", "signoff.html")}`);
    expect(await w.page.locator("#criteria-table tbody tr").count()).toBe(8);
    expect(await w.page.locator("#decision").getAttribute("data-decision")).toBe("NO-GO");
    await w.page.screenshot({ path: path.join(ARTIFACTS, "signoff.png"), fullPage: true });
    clean(w);
    await w.page.context().close();
    const pdf = pdfText(readFileSync(path.join(dir, "signoff", "signoff.pdf")));
    expect(pdf.startsWith("%PDF-")).toBe(true);
    expect(pdf).toContain("(Success criteria)"); // the outline entry of the criteria section
    // The tagged PDF's structure: tables, and at least the criteria table's 9 rows (header + 8).
    expect(pdf.match(/\/S \/Table/g)?.length ?? 0).toBeGreaterThanOrEqual(1);
    expect(pdf.match(/\/S \/TR/g)?.length ?? 0).toBeGreaterThanOrEqual(9);
  });
});

/** The PDF with its Flate streams inflated (Chromium compresses the structure tree). */
function pdfText(buf: Buffer): string {
  let out = buf.toString("latin1");
  const re = /stream\r?\n/g;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    const start = m.index + m[0].length;
    const end = buf.indexOf("endstream", start, "latin1");
    if (end < 0) break;
    try {
      out += inflateSync(buf.subarray(start, end)).toString("latin1");
    } catch {
      // not a Flate stream (an image, a font): skipped
    }
    re.lastIndex = end;
  }
  return out;
}
