import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import { readingEachOnce } from '../migrations/files.js';
import { dbmate } from './dbmate.js';
import { diesel } from './diesel.js';
import { drizzle } from './drizzle.js';
import { flyway } from './flyway.js';
import { FORMAT_NAMES, type FormatListing, type FormatName, isDir, type MigrationFormat } from './format.js';
import { golangMigrate } from './golang-migrate.js';
import { goose } from './goose.js';
import { prisma } from './prisma.js';
import { sqlx } from './sqlx.js';

export {
  FORMAT_NAMES,
  type FormatListing,
  type FormatName,
  type MigrationFormat,
  type Uncovered,
} from './format.js';

/**
 * Every layout, in the order detection asks them: layouts with a mark of their own (Prisma's
 * lock file, Drizzle's journal, Diesel's folders, Flyway's `V1__` names, goose's annotations,
 * dbmate's `-- migrate:up`) before the ones told apart only by file names (golang-migrate's
 * and sqlx's `.up.sql`, sqlx's plain files).
 */
const FORMATS: readonly MigrationFormat[] = [
  prisma,
  drizzle,
  diesel,
  flyway,
  goose,
  dbmate,
  sqlx,
  golangMigrate,
];

/** The format named `name` (`dbdoctor` is an alias of dbmate, its own layout), or BAD_USAGE. */
export function formatNamed(name: string): MigrationFormat {
  const n = name === 'dbdoctor' ? 'dbmate' : name;
  const found = FORMATS.find((f) => f.name === n);
  if (!found) {
    throw new DbDoctorError('BAD_USAGE', `Unknown migrations format "${name}".`, {
      unchanged: 'Nothing was read or written.',
      hint: `Use one of: ${FORMAT_NAMES.join(', ')} (or leave --format out to detect it).`,
    });
  }
  return found;
}

/** The layout of `dir`: the first format that recognises it, else dbmate (dbdoctor's own). */
export function detectFormat(dir: string): MigrationFormat {
  return FORMATS.find((f) => f.detect(dir)) ?? dbmate;
}

/** Reads the migrations of `dir` in `format` (detected when not given). */
export function listMigrations(dir: string, format?: string): FormatListing {
  return readingEachOnce(() => {
    const f = format === undefined ? (isDir(dir) ? detectFormat(dir) : dbmate) : formatNamed(format);
    return f.list(dir);
  });
}

/**
 * The migrations folder of a project that names none (no `--dir`, no `dir` in the config):
 * `migrations` when it exists, else the first folder where another tool keeps its own
 * (`db/migrations`, `prisma/migrations`, `drizzle`, Flyway's `src/main/resources/db/migration`
 * …) that holds a layout dbdoctor reads, else `migrations`.
 */
export function locateMigrationsDir(base: string): { dir: string; format: FormatName | null } {
  const first = path.join(base, 'migrations');
  if (isDir(first)) return { dir: first, format: null };
  for (const f of FORMATS) {
    for (const rel of f.defaultDirs) {
      if (rel === '.' || rel === 'migrations') continue;
      const dir = path.join(base, rel);
      if (isDir(dir) && f.detect(dir)) return { dir, format: f.name };
    }
  }
  return { dir: first, format: null };
}
