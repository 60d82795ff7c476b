/**
 * Writes the golden fixture: fixtures/loans-1k.csv (1000 rows, seed 1, healthy profile) and
 * fixtures/loans-1k.expected.json with its KPIs computed by the SQLite oracle from the CSV
 * text as written (read back with csv-parse), never by the engine under test.
 *
 *   npx tsx scripts/make-golden.ts
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateCsv } from "../pipeline/tape/generate.ts";
import { oracleKpisFromCsv } from "../test/pipeline/oracle.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROWS = 1000;
const SEED = 1;

const csv = generateCsv({ rows: ROWS, seed: SEED, profile: "healthy" });
const o = oracleKpisFromCsv(csv);
if (o.rows !== ROWS) throw new Error(`oracle saw ${o.rows} rows, expected ${ROWS}`);

const expected = {
  kpis: { PAR30: o.PAR30, PAR90: o.PAR90, CollectionRate: o.CollectionRate, PortfolioHealth: o.PortfolioHealth },
  rows: o.rows,
  seed: SEED,
  profile: "healthy",
  computed_by: "sqlite-oracle",
};
mkdirSync(join(ROOT, "fixtures"), { recursive: true });
writeFileSync(join(ROOT, "fixtures/loans-1k.csv"), csv);
writeFileSync(join(ROOT, "fixtures/loans-1k.expected.json"), JSON.stringify(expected, null, 2) + "\n");
console.log(JSON.stringify(expected));
