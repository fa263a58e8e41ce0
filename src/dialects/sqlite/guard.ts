/**
 * What dbdoctor does around every SQLite migration that runs in a transaction.
 *
 * SQLite ignores `PRAGMA foreign_keys` inside a transaction (sqlite.org/pragma.html#pragma_foreign_keys),
 * and with enforcement on, `DROP TABLE` of a parent first deletes its rows and so fires the
 * children's ON DELETE CASCADE / SET NULL (sqlite.org/lang_droptable.html). The table rebuild
 * SQLite documents (sqlite.org/lang_altertable.html#otheralter), written by hand inside
 * dbdoctor's transaction, would therefore empty or null the child tables. So enforcement is
 * switched off outside the transaction, on the same connection, for every migration, and
 * `PRAGMA foreign_key_check` runs before COMMIT instead: a migration that leaves a reference
 * without its parent is rolled back. Violations that existed before the migration do not block
 * it (they are returned as warnings): the migration did not cause them, and the doctor reports them.
 */

import { DbDoctorError } from '../../errors.js';
import type { Connection, MigrationGuard } from '../dialect.js';
import { compileProblem, type Dependent, viewsAndTriggers } from './dependents.js';
import { foreignKeysOn } from './rebuild.js';

/** One row of `PRAGMA foreign_key_check`. */
interface Violation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/** Violations shown in a message and kept in the error's details. */
const SHOWN = 20;

/** SQLite's schema cookie: changed by every schema change (sqlite.org/pragma.html#pragma_schema_version). */
async function schemaVersion(conn: Connection): Promise<number> {
  const [row] = await conn.query<{ schema_version: number }>('PRAGMA main.schema_version');
  return Number(row?.schema_version);
}

async function violations(conn: Connection): Promise<Violation[]> {
  return conn.query<Violation & Record<string, unknown>>('PRAGMA main.foreign_key_check');
}

/**
 * Violations are compared per foreign key (child table, parent, constraint) by count, not by
 * rowid: a rebuild of a table without an INTEGER PRIMARY KEY renumbers its rowids.
 */
function groupKey(v: Violation): string {
  return `${v.table}\u0000${v.parent}\u0000${v.fkid}`;
}

function countByGroup(list: readonly Violation[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of list) counts.set(groupKey(v), (counts.get(groupKey(v)) ?? 0) + 1);
  return counts;
}

/** The violations of every foreign key that has more of them now than before. */
function newViolations(before: readonly Violation[], after: readonly Violation[]): Violation[] {
  const was = countByGroup(before);
  const now = countByGroup(after);
  return after.filter((v) => (now.get(groupKey(v)) ?? 0) > (was.get(groupKey(v)) ?? 0));
}

/** ON DELETE action of a foreign key (`fkid` as `foreign_key_check` reports it). */
async function onDelete(conn: Connection, table: string, fkid: number): Promise<string> {
  const rows = await conn.query<{ on_delete: string }>(
    'SELECT on_delete FROM pragma_foreign_key_list(?) WHERE id = ? LIMIT 1',
    [table, fkid],
  );
  return rows[0]?.on_delete ?? 'NO ACTION';
}

function describe(v: Violation): string {
  return `"${v.table}" row ${v.rowid ?? '(WITHOUT ROWID)'} → "${v.parent}"`;
}

async function violationError(conn: Connection, found: Violation[]): Promise<DbDoctorError> {
  const actions = new Set<string>();
  for (const key of new Set(found.map(groupKey))) {
    const v = found.find((x) => groupKey(x) === key)!;
    actions.add(await onDelete(conn, v.table, v.fkid));
  }
  const fired = [...actions].filter((a) => a !== 'NO ACTION' && a !== 'RESTRICT');
  const list = found
    .slice(0, SHOWN)
    .map((v) => `  - ${describe(v)}`)
    .join('\n');
  const more = found.length > SHOWN ? `\n  … and ${found.length - SHOWN} more` : '';
  const why =
    fired.length > 0
      ? `\nIf the migration deleted their parents expecting it: ON DELETE ${fired.join(' / ')} of these references did not run. dbdoctor runs SQLite migrations with foreign key enforcement off, so that a table rebuild (DROP TABLE of a parent) cannot delete or null the child rows; no ON DELETE action fires during a migration.`
      : '';
  return new DbDoctorError(
    'MIGRATION_FOREIGN_KEY_VIOLATION',
    `The migration leaves ${found.length} row(s) referencing a parent row that does not exist (PRAGMA foreign_key_check):\n${list}${more}${why}`,
    {
      hint:
        fired.length > 0
          ? 'Delete (or update) the child rows explicitly in the migration before deleting their parents, or make every reference it writes point at an existing row; then apply again.'
          : 'Make every reference the migration writes point at an existing row (insert parents first, or repair the children), then apply again.',
      details: { violations: found.slice(0, SHOWN) },
    },
  );
}

/** Violations that were there before the migration, as a warning. */
function preexistingWarning(list: readonly Violation[]): string {
  const tables = [...new Set(list.map((v) => v.table))].join(', ');
  return `${list.length} foreign key violation(s) existed before this migration (in ${tables}) and are still there; they did not block it. \`dbdoctor doctor\` lists them.`;
}

/** Each view and trigger by name: its text, and whether it compiled before the migration. */
type DependentStates = Map<string, { sql: string; broken: boolean }>;

async function dependentStates(conn: Connection): Promise<DependentStates> {
  const states: DependentStates = new Map();
  for (const d of await viewsAndTriggers(conn))
    states.set(`${d.type}:${d.name}`, { sql: d.sql, broken: (await compileProblem(conn, d)) !== null });
  return states;
}

/**
 * Views and triggers the migration created, changed or broke that SQLite cannot compile: the
 * migration would exit 0 and every later use of them would fail (a double-quoted string taken
 * for a column, a table dropped under a view). Ones that were broken and untouched before are
 * left to the doctor.
 */
async function newlyBroken(
  conn: Connection,
  before: DependentStates,
): Promise<{ dependent: Dependent; problem: string }[]> {
  const found: { dependent: Dependent; problem: string }[] = [];
  for (const d of await viewsAndTriggers(conn)) {
    const was = before.get(`${d.type}:${d.name}`);
    if (was?.broken && was.sql === d.sql) continue;
    const problem = await compileProblem(conn, d);
    if (problem !== null) found.push({ dependent: d, problem });
  }
  return found;
}

function brokenDependentsError(broken: { dependent: Dependent; problem: string }[]): DbDoctorError {
  const list = broken.map(({ dependent: d, problem }) => `  - ${d.type} "${d.name}": ${problem}`).join('\n');
  const quoted = broken.some(({ problem }) => /no such column: "/.test(problem));
  return new DbDoctorError(
    'MIGRATION_BREAKS_DEPENDENT',
    `The migration leaves ${broken.length} view(s) or trigger(s) that SQLite cannot compile, so every later use of them would fail:\n${list}`,
    {
      hint: quoted
        ? 'This SQLite reads "double-quoted" text as a column name (DQS is off): write string literals in single quotes, then apply again.'
        : 'Drop or rewrite each one in the same migration (they read a table or column that no longer exists), then apply again.',
      details: {
        dependents: broken.map(({ dependent: d, problem }) => ({ type: d.type, name: d.name, problem })),
      },
    },
  );
}

/**
 * Switches enforcement off (outside any transaction) and records the violations that already
 * exist; the returned guard checks for new ones before COMMIT and switches enforcement back on.
 */
export async function guardSqliteMigration(conn: Connection): Promise<MigrationGuard> {
  const wasOn = await foreignKeysOn(conn);
  if (wasOn) await conn.exec('PRAGMA foreign_keys = OFF');
  // foreign_key_check reads only tables that have foreign keys: nearly free when none do.
  const before = await violations(conn);
  const dependentsBefore = await dependentStates(conn);
  const schemaBefore = await schemaVersion(conn);
  return {
    async beforeCommit() {
      const after = await violations(conn);
      const added = newViolations(before, after);
      if (added.length > 0) throw await violationError(conn, added);
      // Only DDL can break a view or trigger, and DDL bumps the schema cookie.
      if ((await schemaVersion(conn)) !== schemaBefore) {
        const broken = await newlyBroken(conn, dependentsBefore);
        if (broken.length > 0) throw brokenDependentsError(broken);
      }
      return after.length > 0 ? [preexistingWarning(after)] : [];
    },
    async restore() {
      if (wasOn) await conn.exec('PRAGMA foreign_keys = ON');
    },
  };
}
