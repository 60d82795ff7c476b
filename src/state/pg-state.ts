/**
 * A state document in PostgreSQL: the same JSON a state file holds (src/state/state-file.ts), one
 * row of `cutover_monitor_state` per (cutover id, name), validated on read and before every write,
 * never reset silently. `update` is a read-modify-write in one transaction under the row's lock
 * (SELECT ... FOR UPDATE), so two runners changing it at once do not lose each other's changes.
 */
import type { z } from "zod";
import { StateFileError } from "../errors.js";
import { redactDeep } from "../secrets.js";
import type { PgHistory } from "../storage/postgres.js";
import type { StateFile } from "./state-file.js";

export function pgStateDoc<S extends z.ZodType>(db: PgHistory, name: string, schema: S, initial: () => z.infer<S>): StateFile<z.infer<S>> {
  type T = z.infer<S>;
  const where = `${db.where}, state ${name}`;

  const parse = (text: string | null | undefined): T => {
    if (text == null) return initial();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new StateFileError(where, `corrupt state, not valid JSON (${(err as Error).message}); fix the row (cutover_monitor_state) or delete it, it is never reset silently`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new StateFileError(where, `invalid state at ${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}; fix the row (cutover_monitor_state) or delete it, it is never reset silently`);
    }
    return parsed.data as T;
  };

  const text = (value: T): string => {
    const checked = schema.safeParse(value);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new StateFileError(where, `refusing to save invalid state at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    return JSON.stringify(redactDeep(value));
  };

  const args = [db.cutoverId, name];
  return {
    path: where,
    exists: async () => (await db.query(`cannot read state ${name}`, "SELECT 1 FROM cutover_monitor_state WHERE cutover_id = $1 AND name = $2 AND value IS NOT NULL", args)).length > 0,
    load: async () => parse((await db.query<{ value: string | null }>(`cannot read state ${name}`, "SELECT value FROM cutover_monitor_state WHERE cutover_id = $1 AND name = $2", args))[0]?.value),
    save: async (value) => {
      const t = text(value);
      await db.query(
        `cannot write state ${name}`,
        "INSERT INTO cutover_monitor_state (cutover_id, name, value) VALUES ($1, $2, $3) ON CONFLICT (cutover_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        [...args, t],
      );
    },
    update: (change) =>
      db.transaction(`cannot update state ${name}`, async (q) => {
        await q("INSERT INTO cutover_monitor_state (cutover_id, name, value) VALUES ($1, $2, NULL) ON CONFLICT DO NOTHING", args);
        const [row] = await q<{ value: string | null }>("SELECT value FROM cutover_monitor_state WHERE cutover_id = $1 AND name = $2 FOR UPDATE", args);
        const next = await change(parse(row?.value));
        await q("UPDATE cutover_monitor_state SET value = $3, updated_at = now() WHERE cutover_id = $1 AND name = $2", [...args, text(next)]);
        return next;
      }),
  };
}
