import path from 'node:path';
import { DbDoctorError } from '../errors.js';

/** A parsed database location. */
export type DatabaseTarget =
  | { dialect: 'sqlite'; file: string; memory: boolean; display: string }
  | { dialect: 'postgres'; connectionString: string; database: string; display: string };

const EXAMPLES =
  'Use sqlite:path/to/file.db, sqlite:///abs/path.db, sqlite::memory: or postgres://user:pass@host:5432/db.';

/**
 * Parses a database URL in one of the forms of DESIGN.md. Relative SQLite paths resolve
 * against `cwd`. Throws `BAD_URL` with the accepted forms when the URL is malformed.
 */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): DatabaseTarget {
  const trimmed = url.trim();
  if (trimmed === '') throw badUrl(url, 'the URL is empty');
  if (trimmed === 'sqlite::memory:' || trimmed === 'sqlite://:memory:') {
    return { dialect: 'sqlite', file: ':memory:', memory: true, display: 'sqlite::memory:' };
  }
  if (trimmed.startsWith('sqlite:')) {
    let rest = trimmed.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs -> /abs ; sqlite://rel -> rel
    rest = rest.split('?')[0] ?? '';
    if (rest === '') throw badUrl(url, 'no file path after "sqlite:"');
    const file = path.resolve(cwd, decodeURIComponent(rest));
    return { dialect: 'sqlite', file, memory: false, display: `sqlite:${file}` };
  }
  if (trimmed.startsWith('postgres://') || trimmed.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      throw badUrl(url, 'it is not a valid URL');
    }
    if (!parsed.hostname && !parsed.searchParams.get('host')) throw badUrl(url, 'no host');
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!database) throw badUrl(url, 'no database name after the host (…/dbname)');
    if (parsed.port && !/^\d+$/.test(parsed.port)) throw badUrl(url, 'the port is not a number');
    const safe = new URL(trimmed);
    if (safe.password) safe.password = '***';
    return { dialect: 'postgres', connectionString: trimmed, database, display: safe.toString() };
  }
  const scheme = /^([a-z0-9+.-]+):/i.exec(trimmed)?.[1];
  throw badUrl(url, scheme ? `the scheme "${scheme}:" is not supported` : 'it has no scheme');
}

function badUrl(url: string, why: string): DbDoctorError {
  return new DbDoctorError('BAD_URL', `Cannot use database URL "${redact(url)}": ${why}.`, {
    unchanged: 'No database was opened.',
    hint: EXAMPLES,
  });
}

/** Hides a password in a URL for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
