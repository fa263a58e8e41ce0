import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DialectName } from '../dialects/dialect.js';
import { dialectOfInput } from '../dialects/open.js';
import { type MigrateResult, migrate } from '../migrations/apply.js';
import type { EngineOptions } from '../migrations/engine.js';

/** History table of the separate namespace the session tables can be applied in. */
export const SESSIONS_HISTORY_TABLE = 'dbdoctor_sessions_migrations';

/**
 * The folder holding the session tables' migrations for a dialect (shipped with the
 * package, beside dist/). Copy its files into a project's migrations folder to manage them
 * with the rest, or apply them in their own namespace with {@link installSessionTables}.
 */
export function sessionMigrationsDir(dialect: DialectName): string {
  return fileURLToPath(new URL(`../../sessions-migrations/${dialect}/`, import.meta.url));
}

/** Copies the session migrations into `dir` (a project's migrations folder); returns the files written. */
export function copySessionMigrations(dialect: DialectName, dir: string): string[] {
  const source = sessionMigrationsDir(dialect);
  fs.mkdirSync(dir, { recursive: true });
  return fs.readdirSync(source).map((f) => {
    fs.copyFileSync(source + f, `${dir}/${f}`);
    return f;
  });
}

/**
 * Applies the session tables' migrations in their own history namespace
 * (`dbdoctor_sessions_migrations`), with the same lock and guarantees as `migrate`: safe
 * from every worker at start-up.
 */
export async function installSessionTables(
  options: Omit<EngineOptions, 'dir' | 'historyTable'>,
): Promise<MigrateResult> {
  return migrate({
    backup: { enabled: false },
    ...options,
    dir: sessionMigrationsDir(dialectOfInput(options.database, options.cwd)),
    historyTable: SESSIONS_HISTORY_TABLE,
  });
}
