/**
 * Headless Chromium through playwright-core, for the sign-off PDF (and the report's browser tests
 * and bench). Debian's `chromium` package is used as installed; nothing is downloaded. The flags
 * keep Chromium from reaching any network service of its own (component updates, sync, field
 * trials): a closed network refuses those, and the report must not need them.
 */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";

/** Where Chromium may be: CHROMIUM_PATH first, then the Debian and Ubuntu package paths. */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome"];

/** The Debian package to install when it is missing (named in the one-line notice). */
export const CHROMIUM_PACKAGE = "chromium (apt-get install chromium)";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only", "--no-pings"];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured) return existsSync(configured) ? configured : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Launches it headless with a fresh profile (playwright's own temporary user-data-dir). */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

/** A Chromium being started (or why it cannot be): started early, it launches while the report is built. */
export type ChromiumHandle = Promise<{ browser: Browser } | { skipped: string }>;

export function startChromium(): ChromiumHandle {
  const exe = findChromium();
  if (!exe) return Promise.resolve({ skipped: `signoff.pdf skipped: Chromium not found (CHROMIUM_PATH, ${CANDIDATES.join(", ")}); install the Debian package ${CHROMIUM_PACKAGE}` });
  return launchChromium(exe).then(
    (browser) => ({ browser }),
    (err: Error) => {
      const msg = String(err?.message ?? err).split("\n")[0];
      if (/Cannot find (module|package) 'playwright-core'/.test(msg)) return { skipped: "signoff.pdf skipped: the npm package playwright-core is not installed (npm ci installs it)" };
      return { skipped: `signoff.pdf skipped: ${exe} did not start: ${msg}` };
    },
  );
}

/**
 * Prints an HTML file to PDF with the given (or a new) Chromium, and closes it; without Chromium
 * (or playwright-core), says why in one line and writes nothing.
 */
export async function printPdf(htmlFile: string, pdfFile: string, handle: ChromiumHandle = startChromium()): Promise<{ written: true } | { skipped: string }> {
  const h = await handle;
  if ("skipped" in h) return h;
  try {
    const page = await h.browser.newPage();
    // Only the file itself: anything else would be a request leaving the page.
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(`file://${htmlFile}`, { waitUntil: "load" });
    await page.pdf({ path: pdfFile, format: "A4", printBackground: true, tagged: true, outline: true, margin: { top: "14mm", bottom: "14mm", left: "12mm", right: "12mm" } });
    return { written: true };
  } finally {
    await h.browser.close();
  }
}
