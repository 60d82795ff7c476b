/**
 * The lines of a JSONL file a script reads to summarise (the demo's summary, the benches): every
 * line that parses; a missing file is no lines, a torn or unparsable line is left out.
 */
import fs from "node:fs";

export function readJsonl<T = any>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
}
