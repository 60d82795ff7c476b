/**
 * The single error boundary: known user errors print one line without a stack and exit 2;
 * anything else is the monitor's own defect and also exits 2 ("could not run").
 * Exit codes live here only.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MonitorUserError, UsageError } from "../errors.js";
import { redactAll } from "../secrets.js";
import { closeAllStorage } from "../storage/storage.js";

export async function main(run: () => Promise<number>): Promise<never> {
  // Output piped into `head` and closed early is not an error of the command.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  let code: number;
  try {
    code = await run();
  } catch (error) {
    if (error instanceof MonitorUserError) {
      process.stderr.write(`cutover-monitor: ${redactAll(error.message)}\n`);
    } else {
      const e = error as Error;
      process.stderr.write(`cutover-monitor: internal error (exit 2, the checkpoint could not run): ${redactAll(e?.message ?? String(error))}\n`);
      if (process.env.CUTOVER_MONITOR_DEBUG) process.stderr.write(`${e?.stack ?? ""}\n`);
    }
    code = 2;
  }
  // Queued history writes (a database's events log) are written and its connections closed.
  try {
    await closeAllStorage();
  } catch (error) {
    process.stderr.write(`cutover-monitor: ${redactAll(String((error as Error)?.message ?? error).split("\n")[0]!)}\n`);
    if (code === 0) code = 2;
  }
  // Give stdout a chance to flush, then exit with the code (open handles must not keep us alive).
  await new Promise((r) => process.stdout.write("", () => r(undefined)));
  process.exit(code);
}

/** Strict flags (no positionals); a bad flag is a usage error that ends with the command's usage line. */
export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(options: O, usage: string) {
  try {
    return parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]}\n${usage}`);
  }
}
