import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DialectName } from '../dialects/dialect.js';
import { dialectOfInput } from '../dialects/open.js';
import { dialectNamed } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';
import { type MigrateOptions, type MigrateResult, migrate } from '../migrations/apply.js';

import { sessionStorageOf } from './database.js';
import { SESSIONS_HISTORY_TABLE } from './names.js';

export { SESSIONS_HISTORY_TABLE };

/**
 * The folder holding the session tables' migrations for a dialect (shipped with the
 * package, beside dist/). Copy its files into a project's migrations folder to manage them
 * with the rest, or apply them in their own namespace with {@link installSessionTables}.
 */
export function sessionMigrationsDir(dialect: DialectName): string {
  // A dialect without session storage has no session tables: BAD_DATABASE, naming it.
  sessionStorageOf(dialectNamed(dialect), 'no session tables are shipped for it');
  return fileURLToPath(new URL(`../../sessions-migrations/${dialect}/`, import.meta.url));
}

/** The session migrations shipped for a dialect: file names and full paths, in order. */
export function listSessionMigrations(dialect: DialectName): { file: string; path: string }[] {
  const source = sessionMigrationsDir(dialect);
  return fs
    .readdirSync(source)
    .sort()
    .map((file) => ({ file, path: path.join(source, file) }));
}

/**
 * Copies the session migrations into `dir` (a project's migrations folder) to manage them
 * with the project's own. A file already there with the same bytes is left as it is; one
 * with different bytes stops the copy before anything is written (an applied migration's
 * checksum must not change under it). Returns what was copied and what was already there.
 */
export function copySessionMigrations(
  dialect: DialectName,
  dir: string,
): { copied: string[]; alreadyPresent: string[] } {
  const files = listSessionMigrations(dialect);
  const copied: string[] = [];
  const alreadyPresent: string[] = [];
  for (const f of files) {
    const target = path.join(dir, f.file);
    if (!fs.existsSync(target)) copied.push(f.file);
    else if (fs.readFileSync(target).equals(fs.readFileSync(f.path))) alreadyPresent.push(f.file);
    else {
      throw new DbDoctorError(
        'SESSION_MIGRATION_CONFLICT',
        `${target} exists and differs from the shipped ${f.file}.`,
        {
          unchanged: 'No file was copied.',
          hint: 'If it is an older copy that is already applied, keep it; otherwise move it away and copy again.',
          details: { file: target },
        },
      );
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const file of copied)
    fs.copyFileSync(path.join(sessionMigrationsDir(dialect), file), path.join(dir, file));
  return { copied, alreadyPresent };
}

/**
 * Applies the session tables' migrations in their own history namespace
 * (`dbdoctor_sessions_migrations`), with the same lock and guarantees as `migrate`: safe
 * from every worker at start-up.
 */
export async function installSessionTables(
  options: Omit<MigrateOptions, 'dir' | 'historyTable'>,
): Promise<MigrateResult> {
  return migrate({
    backup: { enabled: false },
    ...options,
    dir: sessionMigrationsDir(dialectOfInput(options.database, options.cwd)),
    historyTable: SESSIONS_HISTORY_TABLE,
  });
}
