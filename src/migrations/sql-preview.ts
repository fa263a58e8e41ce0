import path from 'node:path';
import type { Connection, Dialect, DialectName, Row } from '../dialects/dialect.js';
import { dialectNamed, registeredDialects } from '../dialects/registry.js';
import { resolveTarget } from './apply.js';
import { type EngineOptions, readOnlyView } from './engine.js';
import { compareIds, discoverMigrations, type MigrationFile } from './files.js';
import { type LoadedMigration, loadMigration, runsInTransaction } from './load.js';
import { compareFilesWithHistory } from './plan.js';

/** One migration's statements, as `sql` prints them. */
export interface MigrationSql {
  id: string;
  name: string;
  transaction: boolean;
  statements: string[];
  /** True when statements came from running a TS/JS migration against a recorder. */
  recorded: boolean;
}

/**
 * Statements of a loaded migration's up step. TS/JS functions run against a recorder. DSL
 * operations compile statically where the dialect's compiler can (`scratch` is null there);
 * elsewhere (SQLite) they run against `scratch`, a schema-only copy kept in step with the
 * earlier migrations, so a table rebuild shows its exact statements.
 */
async function statementsOf(
  m: LoadedMigration,
  dialect: Dialect,
  scratch: Connection | null,
): Promise<MigrationSql> {
  const base = { id: m.file.id, name: m.file.name, transaction: runsInTransaction(m.up, dialect) };
  const up = m.up;
  if (up.kind === 'sql') {
    if (scratch) for (const s of up.statements) await scratch.exec(s).catch(() => {});
    return { ...base, statements: up.statements, recorded: false };
  }
  if (up.kind === 'ops') {
    const { compiler } = dialect;
    const statements = compiler.statements
      ? compiler.statements(up.ops)
      : scratch
        ? await compiler.run(scratch, up.ops)
        : [];
    return { ...base, statements, recorded: false };
  }
  const statements: string[] = [];
  const note = (text: string, params?: readonly unknown[]) =>
    statements.push(params && params.length > 0 ? `${text} /* params: ${JSON.stringify(params)} */` : text);
  await up.run({
    dialect: dialect.name,
    sql: async (text, params) => {
      note(text, params);
      if (scratch) await scratch.query(text, params ?? []).catch(() => {});
    },
    query: async <R extends Row = Row>(text: string, params?: readonly unknown[]) => {
      note(text, params);
      return [] as R[];
    },
  });
  return { ...base, statements, recorded: true };
}

/**
 * Statements around a migration that `apply` runs in its transaction, for running it by hand.
 * SQLite: `apply` switches foreign key enforcement off outside the transaction (inside one,
 * SQLite ignores the pragma) so that DROP TABLE of a rebuilt parent cannot fire the children's
 * ON DELETE CASCADE, and checks the references before COMMIT (see dialects/sqlite/guard.ts).
 */
const BY_HAND: Partial<Record<DialectName, { before: string[]; beforeCommit: string[]; after: string[] }>> = {
  sqlite: {
    before: ['PRAGMA foreign_keys = OFF'],
    beforeCommit: [
      '-- must list nothing: a row it lists references a parent that is gone; then run ROLLBACK instead of COMMIT\nPRAGMA foreign_key_check',
    ],
    after: ['PRAGMA foreign_keys = ON'],
  },
};

/**
 * The migrations as one script that is safe to run by hand (psql, sqlite3): each migration that
 * `apply` runs in a transaction is wrapped as `apply` wraps it. dbdoctor's history is not
 * written by it: `dbdoctor stamp <id>` records it afterwards.
 */
export function byHandScript(dialect: DialectName, migrations: readonly MigrationSql[]): string {
  if (migrations.length === 0) return '-- nothing to apply\n';
  const wrap = BY_HAND[dialect] ?? { before: [], beforeCommit: [], after: [] };
  const stmt = (s: string) => `${s};`;
  const parts = migrations.map((m) => {
    const head = `-- ${m.id}_${m.name}${m.transaction ? '' : ' (outside a transaction)'}${m.recorded ? ' (recorded from a TS/JS migration)' : ''}`;
    const body = m.statements.map(stmt);
    const lines = m.transaction
      ? [
          ...wrap.before.map(stmt),
          'BEGIN;',
          ...body,
          ...wrap.beforeCommit.map(stmt),
          'COMMIT;',
          ...wrap.after.map(stmt),
        ]
      : body;
    return `${head}\n${lines.join('\n')}\n`;
  });
  const last = migrations[migrations.length - 1]!;
  return `${parts.join('\n')}\n-- run by hand, this does not write dbdoctor's history: then run \`dbdoctor stamp ${last.id}\`\n`;
}

/**
 * The SQL `apply` would run. With `dialect` and no `database`, every migration up to `to`
 * (offline); otherwise the pending ones of that database.
 */
export async function previewSql(
  options: Omit<EngineOptions, 'database'> & {
    database?: EngineOptions['database'];
    to?: string;
    dialect?: DialectName;
  },
): Promise<{ dialect: DialectName; migrations: MigrationSql[] }> {
  const pick = (files: MigrationFile[], all: MigrationFile[]) => {
    if (options.to === undefined) return files;
    const target = resolveTarget(all, options.to);
    return files.filter((f) => compareIds(f.id, target.id) <= 0);
  };
  const render = async (files: MigrationFile[], dialect: Dialect, live: Connection | null) => {
    const out: MigrationSql[] = [];
    // Where operations compile only against live tables, a copy of the schema stands in.
    const scratch = dialect.compiler.statements
      ? null
      : ((await dialect.compiler.previewDatabase?.(live)) ?? null);
    try {
      for (const f of files) out.push(await statementsOf(await loadMigration(f, dialect), dialect, scratch));
    } finally {
      await scratch?.close();
    }
    return { dialect: dialect.name, migrations: out };
  };
  if (options.database === undefined) {
    const files = discoverMigrations(
      path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations'),
      options.format,
    );
    // Without a database or --dialect, the first registered dialect (SQLite).
    const dialect = options.dialect === undefined ? registeredDialects()[0] : dialectNamed(options.dialect);
    if (!dialect) throw new Error('internal: no dialect is registered');
    return render(pick(files, files), dialect, null);
  }
  const database = options.database;
  // Read-only: a database that does not exist yet is not created; all its migrations are pending.
  return readOnlyView({ ...options, database }, async (view) => {
    const state = compareFilesWithHistory(view.files, view.rows, view.runner);
    return render(pick(state.pending, view.files), view.dialect, view.conn);
  });
}
