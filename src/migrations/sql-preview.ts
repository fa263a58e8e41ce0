import path from 'node:path';
import type { Connection, DialectName, Row } from '../dialects/dialect.js';
import { dialectNamed, openConnection } from '../dialects/open.js';
import { pgStatements } from '../ops/postgres.js';
import { runOperations } from '../ops/run.js';
import { resolveTarget } from './apply.js';
import { type EngineOptions, usingSession } from './engine.js';
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
 * operations compile statically on PostgreSQL (`scratch` is null there); on SQLite they run
 * against `scratch`, a schema-only copy kept in step with the earlier migrations, so a table
 * rebuild shows its exact statements.
 */
async function statementsOf(
  m: LoadedMigration,
  dialect: DialectName,
  scratch: Connection | null,
): Promise<MigrationSql> {
  const base = { id: m.file.id, name: m.file.name, transaction: runsInTransaction(m.up, dialect) };
  const up = m.up;
  if (up.kind === 'sql') {
    if (scratch) for (const s of up.statements) await scratch.exec(s).catch(() => {});
    return { ...base, statements: up.statements, recorded: false };
  }
  if (up.kind === 'ops') {
    const statements = scratch ? await runOperations(scratch, up.ops) : up.ops.flatMap(pgStatements);
    return { ...base, statements, recorded: false };
  }
  const statements: string[] = [];
  const note = (text: string, params?: readonly unknown[]) =>
    statements.push(params && params.length > 0 ? `${text} /* params: ${JSON.stringify(params)} */` : text);
  await up.run({
    dialect,
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

/** A schema-only SQLite copy of `source` (or an empty one) to preview rebuilds against. */
async function sqliteScratch(source: Connection | null): Promise<Connection> {
  const scratch = await openConnection('sqlite::memory:');
  // As during apply, where enforcement is switched off around a rebuild.
  await scratch.exec('PRAGMA foreign_keys = OFF');
  if (source) {
    const rows = await source.query<{ sql: string }>(
      "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    );
    for (const r of rows) await scratch.exec(r.sql).catch(() => {});
  }
  return scratch;
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
  const render = async (files: MigrationFile[], dialect: DialectName, live: Connection | null) => {
    const out: MigrationSql[] = [];
    const scratch = dialect === 'sqlite' ? await sqliteScratch(live) : null;
    try {
      for (const f of files)
        out.push(await statementsOf(await loadMigration(f, dialectNamed(dialect)), dialect, scratch));
    } finally {
      await scratch?.close();
    }
    return { dialect, migrations: out };
  };
  if (options.database === undefined) {
    const files = discoverMigrations(
      path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations'),
      options.format,
    );
    return render(pick(files, files), options.dialect ?? 'sqlite', null);
  }
  const database = options.database;
  return usingSession({ ...options, database }, async (session) => {
    const state = compareFilesWithHistory(session.files, (await session.history.read()) ?? []);
    return render(pick(state.pending, session.files), session.conn.dialect.name, session.conn);
  });
}
