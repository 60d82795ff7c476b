/** Helpers shared by the cutover, validation and rollback scripts. */
import fs from "node:fs";
import path from "node:path";
import { sha256File } from "../service/common.ts";

/** A script log: lines appended to a file and echoed on stdout. */
export class ScriptLog {
  readonly lines: string[] = [];
  constructor(public file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  write(msg: string): void {
    const l = `${new Date().toISOString()} ${msg}`;
    this.lines.push(l);
    fs.appendFileSync(this.file, l + "\n");
    process.stdout.write(l + "\n");
  }
}

/** All files under `root`, as paths relative to `root` (posix separators), sorted. */
export function listFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && !e.name.endsWith(".tmp")) out.push(path.relative(root, full).split(path.sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}

/** sha256 of every file of `sub` (e.g. "outputs") relative to the state dir: {"outputs/kpis.json": "<sha256>"}. */
export function checksumsOf(base: string, sub: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const f of listFiles(path.join(base, sub))) r[`${sub}/${f}`] = sha256File(path.join(base, sub, f));
  return r;
}

/** The latest rollback/<ts>/ directory prepared by a cutover, or undefined. */
export function latestRollbackDir(rollbackRoot: string): string | undefined {
  if (!fs.existsSync(rollbackRoot)) return undefined;
  const dirs = fs
    .readdirSync(rollbackRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d{8}_\d{6}/.test(e.name) && fs.existsSync(path.join(rollbackRoot, e.name, "checksums.json")))
    .map((e) => e.name)
    .sort();
  return dirs.length ? path.join(rollbackRoot, dirs[dirs.length - 1]!) : undefined;
}
