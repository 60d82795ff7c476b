/**
 * The README's fenced blocks as a user pastes them: a section's ```sh blocks, in order, into one
 * bash from the package root (test/readme/readme.test.ts, test/cli/demo.test.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { expect } from "vitest";
import { ROOT } from "../support/pipeline-harness.js";

export const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The text of a `## ` section, up to the next `## ` heading. */
export function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const next = README.indexOf("\n## ", start + 4);
  return README.slice(start, next < 0 ? undefined : next);
}

/** The fenced blocks of a given language, in order. */
export function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm"))].map((m) => m[1]!);
}

export const CHANNEL_VARS = ["SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "SMTP_HOST", "SMTP_USER", "SMTP_PASS", "ALERT_WEBHOOK_URL"];

/**
 * The blocks pasted in order into one bash from the package root, each after a marker; the first
 * failing command stops the script and is named. The runner's channel variables are left out.
 */
export async function paste(sh: string[], env: Record<string, string>, dir: string) {
  const script = ["set -eo pipefail", `trap 'echo "::failed (exit $?): $BASH_COMMAND" >&2' ERR`, ...sh.flatMap((b, i) => [`echo "::block ${i + 1}"`, b]), 'echo "::end"'].join("\n");
  fs.writeFileSync(path.join(dir, "readme.sh"), script);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CHANNEL_VARS.includes(k))) as Record<string, string>;
  const r = await execa("bash", [path.join(dir, "readme.sh")], { cwd: ROOT, env: { ...base, ...env, NO_COLOR: "1" }, extendEnv: false, reject: false, stdin: "ignore", timeout: 880_000 }); // the whole README sequence; a busy 2-core machine may need many minutes
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** Every block ran and every command exited 0. */
export function expectRanToTheEnd(run: { exitCode: number | undefined; stdout: string; stderr: string }, sh: string[]) {
  const tail = `${run.stdout.slice(-3000)}\n--- stderr ---\n${run.stderr.slice(-3000)}`;
  expect(run.exitCode, tail).toBe(0);
  expect(run.stdout.match(/^::block \d+$/gm), tail).toEqual(sh.map((_, i) => `::block ${i + 1}`));
  expect(run.stdout, tail).toMatch(/^::end$/m);
}
