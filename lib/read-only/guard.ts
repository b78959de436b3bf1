import { READ_ONLY_MESSAGE } from "./message";
import { readOnlyGuardPlan } from "./tables";

/** Advisory-lock keys: (LIFT, 1) guards writes; see enableReadOnly for why a lock. */
export const readOnlyLockKey = [0x4c494654, 1] as const;
/**
 * (LIFT, 100) serialises changes to the guard itself: installing it (held by
 * enable until the flag is on) and removing it (only with the flag off).
 */
export const guardChangeLockKey = [0x4c494654, 100] as const;

export const READ_ONLY_SQLSTATE = "25006";

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The guard every protected table runs before a write. Two checks, because
 * each alone has a hole:
 * - the shared advisory lock fails while enable holds (or waits for) the
 *   exclusive one, whatever the writer's snapshot or isolation level, and makes
 *   enable wait for writers that got in first;
 * - the persisted flag keeps the guard up if the lock holder's connection dies.
 * Row-level triggers get the exempt columns as arguments: an update that
 * changes nothing else passes.
 */
const checkFunction = `
create or replace function public.liftoff_read_only_check(operation text, target text) returns void
language plpgsql as $check$
begin
  if not pg_try_advisory_xact_lock_shared(${readOnlyLockKey[0]}, ${readOnlyLockKey[1]}) then
    raise exception using errcode = '${READ_ONLY_SQLSTATE}',
      message = ${quoteLiteral(READ_ONLY_MESSAGE)},
      detail = format('%s on %s was refused.', operation, target),
      hint = 'Writes resume when read-only mode ends.';
  end if;
  if exists (select 1 from liftoff_cluster.read_only_state where enabled) then
    raise exception using errcode = '${READ_ONLY_SQLSTATE}',
      message = ${quoteLiteral(READ_ONLY_MESSAGE)},
      detail = format('%s on %s was refused.', operation, target),
      hint = 'Writes resume when read-only mode ends.';
  end if;
end
$check$`;

const guardFunction = `
create or replace function public.liftoff_read_only_guard() returns trigger
language plpgsql as $guard$
begin
  if tg_level = 'ROW' and tg_op = 'UPDATE' and tg_nargs > 0 then
    if (to_jsonb(new) - tg_argv) = (to_jsonb(old) - tg_argv) then
      return new;
    end if;
  end if;
  perform public.liftoff_read_only_check(tg_op, tg_table_name);
  if tg_level = 'ROW' then
    return new;
  end if;
  return null;
end
$guard$`;

/**
 * For tables where only some rows may change while frozen: argument 0 names
 * the key column, the rest are the keys that pass. An insert needs its new
 * key listed, a delete its old one, an update both (a listed key cannot be
 * renamed into a guarded one, nor the reverse).
 */
const rowGuardFunction = `
create or replace function public.liftoff_read_only_guard_rows() returns trigger
language plpgsql as $guard$
declare
  listed text[] := tg_argv[1:tg_nargs - 1];
begin
  if (tg_op = 'DELETE' or (to_jsonb(new) ->> tg_argv[0]) = any(listed))
     and (tg_op = 'INSERT' or (to_jsonb(old) ->> tg_argv[0]) = any(listed)) then
    if tg_op = 'DELETE' then
      return old;
    end if;
    return new;
  end if;
  perform public.liftoff_read_only_check(tg_op, tg_table_name);
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end
$guard$`;

export const GUARD_TRIGGERS = ["liftoff_read_only_guard", "liftoff_read_only_guard_row"] as const;

/** The functions the triggers call; `create or replace`, so idempotent. */
export function guardFunctionStatements(): string[] {
  return [checkFunction, guardFunction, rowGuardFunction];
}

export interface TableGuard {
  table: string;
  /** Trigger name → its `create or replace trigger` statement; empty for a fully exempt table. */
  triggers: Map<string, string>;
}

/** What each app table carries while read-only mode is on. */
export function tableGuards(): TableGuard[] {
  return readOnlyGuardPlan().map(({ table, exemption }) => {
    const t = quoteIdent(table);
    const triggers = new Map<string, string>();
    const create = (name: string, rest: string) =>
      triggers.set(name, `create or replace trigger ${name} ${rest.replace("%t", t)}`);
    if (exemption === null) {
      create(
        GUARD_TRIGGERS[0],
        "before insert or update or delete or truncate on %t for each statement execute function public.liftoff_read_only_guard()",
      );
    } else if (exemption.kind === "rows") {
      const args = [exemption.column, ...exemption.keys].map(quoteLiteral).join(", ");
      create(
        GUARD_TRIGGERS[0],
        "before truncate on %t for each statement execute function public.liftoff_read_only_guard()",
      );
      create(
        GUARD_TRIGGERS[1],
        `before insert or update or delete on %t for each row execute function public.liftoff_read_only_guard_rows(${args})`,
      );
    } else if (exemption.kind === "columns") {
      const args = exemption.columns.map(quoteLiteral).join(", ");
      create(
        GUARD_TRIGGERS[0],
        "before insert or delete or truncate on %t for each statement execute function public.liftoff_read_only_guard()",
      );
      create(
        GUARD_TRIGGERS[1],
        `before update on %t for each row execute function public.liftoff_read_only_guard(${args})`,
      );
    }
    return { table, triggers };
  });
}

export { quoteIdent, quoteLiteral };
