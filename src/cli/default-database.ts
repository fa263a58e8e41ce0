import fs from 'node:fs';
import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import { isDir, isFile } from '../formats/format.js';
import { listMigrations } from '../formats/index.js';
import { DEFAULT_URL } from './context.js';

/** SQL only PostgreSQL (or another server) understands: SQLite would fail on it, or mean something else. */
const SERVER_SQL =
  /\b(BIGSERIAL|SMALLSERIAL|SERIAL|TIMESTAMPTZ|JSONB|CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION|CREATE\s+EXTENSION|CREATE\s+SCHEMA|CREATE\s+TYPE|CONCURRENTLY|PLPGSQL|GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY|AUTO_INCREMENT|ENGINE\s*=)\b|::[a-z]|\$\$/i;

/** A database other than SQLite named by a Prisma schema or a Drizzle config, or null. */
function toolConfigEvidence(dir: string, base: string): string | null {
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  // Prisma: `datasource db { provider = "postgresql" }` in schema.prisma beside its migrations.
  for (const schema of new Set([
    path.join(path.dirname(dir), 'schema.prisma'),
    path.join(base, 'prisma', 'schema.prisma'),
    path.join(base, 'schema.prisma'),
  ])) {
    if (!isFile(schema)) continue;
    const m = /datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*"([^"]+)"/s.exec(fs.readFileSync(schema, 'utf8'));
    if (m && m[1] !== 'sqlite') return `${rel(schema)} says provider = "${m[1]}"`;
  }
  // Drizzle Kit: `dialect: 'postgresql'` (or the older `driver: 'pg'`) in drizzle.config.*.
  for (const ext of ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs', 'json']) {
    const config = path.join(base, `drizzle.config.${ext}`);
    if (!isFile(config)) continue;
    const text = fs.readFileSync(config, 'utf8');
    const m = /["']?(dialect|driver)["']?\s*:\s*["']([\w-]+)["']/.exec(text);
    if (m && !['sqlite', 'turso', 'better-sqlite', 'libsql', 'd1', 'd1-http', 'expo'].includes(m[2]!))
      return `${rel(config)} says ${m[1]}: "${m[2]}"`;
  }
  return null;
}

/**
 * What says a project's migrations were written for another database than SQLite, or null:
 * the tool's own files (Prisma's lock file and schema, Drizzle's journal and config), then SQL
 * only a server understands. `base` is the project folder (the config file's).
 */
export function serverEvidence(
  dir: string,
  format: string | undefined,
  base: string = process.cwd(),
): string | null {
  const lock = path.join(dir, 'migration_lock.toml');
  if (isFile(lock)) {
    const m = /provider\s*=\s*"([^"]+)"/.exec(fs.readFileSync(lock, 'utf8'));
    if (m && m[1] !== 'sqlite') return `${lock} says provider = "${m[1]}"`;
  }
  const journal = path.join(dir, 'meta', '_journal.json');
  if (isFile(journal)) {
    try {
      const dialect = (JSON.parse(fs.readFileSync(journal, 'utf8')) as { dialect?: string }).dialect;
      if (dialect && dialect !== 'sqlite' && dialect !== 'turso')
        return `${journal} says "dialect": "${dialect}"`;
    } catch {
      // The listing reports a broken journal.
    }
  }
  const configured = toolConfigEvidence(dir, base);
  if (configured !== null) return configured;
  if (!isDir(dir)) return null;
  let files: ReturnType<typeof listMigrations>['files'];
  try {
    files = listMigrations(dir, format).files;
  } catch {
    return null; // The command itself reports what is wrong with the folder.
  }
  for (const f of files) {
    const m = f.kind === 'sql' ? SERVER_SQL.exec(f.text ?? '') : null;
    if (m) return `${path.relative(process.cwd(), f.file) || f.file} uses ${m[0].trim()}`;
  }
  return null;
}

/**
 * Nothing named a database (no --url, DATABASE_URL, .env or config url): the default SQLite
 * file is used only when nothing says the project targets another database. Otherwise
 * DATABASE_NOT_NAMED, before anything is opened, so no `./dbdoctor.sqlite` appears.
 */
export function refuseDefaultDatabase(dir: string, format: string | undefined, base?: string): void {
  const evidence = serverEvidence(dir, format, base);
  if (evidence === null) return;
  throw new DbDoctorError(
    'DATABASE_NOT_NAMED',
    `No database was named, and the migrations are not written for SQLite (${evidence}): dbdoctor will not fall back to ${DEFAULT_URL}.`,
    {
      unchanged: 'Nothing was opened or created.',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's literal ${VAR} syntax
      hint: 'Name the database: --url postgres://user@host:5432/db, or DATABASE_URL in the environment or in .env, or "url" in dbdoctor.config.json (it may say "${DATABASE_URL}").',
      details: { evidence },
    },
  );
}
