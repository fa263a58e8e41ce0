import path from 'node:path';
import type { DialectName, Row } from '../dialects/dialect.js';
import { resolveTarget } from './apply.js';
import { type EngineOptions, usingSession } from './engine.js';
import { compareIds, discoverMigrations, type MigrationFile } from './files.js';
import { type LoadedMigration, loadMigration } from './load.js';
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

/** Statements of a loaded migration's up step, recording TS/JS calls without running them. */
export async function statementsOf(m: LoadedMigration, dialect: DialectName): Promise<MigrationSql> {
  const base = { id: m.file.id, name: m.file.name, transaction: m.up.transaction };
  if (m.up.kind === 'sql') return { ...base, statements: m.up.statements, recorded: false };
  const statements: string[] = [];
  const note = (text: string, params?: readonly unknown[]) =>
    statements.push(params && params.length > 0 ? `${text} /* params: ${JSON.stringify(params)} */` : text);
  await m.up.run({
    dialect,
    sql: async (text, params) => void note(text, params),
    query: async <R extends Row = Row>(text: string, params?: readonly unknown[]) => {
      note(text, params);
      return [] as R[];
    },
  });
  return { ...base, statements, recorded: true };
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
  const render = async (files: MigrationFile[], dialect: DialectName) => {
    const out: MigrationSql[] = [];
    for (const f of files) out.push(await statementsOf(await loadMigration(f), dialect));
    return { dialect, migrations: out };
  };
  if (options.database === undefined) {
    const files = discoverMigrations(path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations'));
    return render(pick(files, files), options.dialect ?? 'sqlite');
  }
  const database = options.database;
  return usingSession({ ...options, database }, async (session) => {
    const state = compareFilesWithHistory(session.files, (await session.history.read()) ?? []);
    return render(pick(state.pending, session.files), session.conn.dialect.name);
  });
}
