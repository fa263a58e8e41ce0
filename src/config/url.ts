import path from 'node:path';
import { parse as parsePgConnectionString } from 'pg-connection-string';
import { isMysqlUrl, type MysqlTarget, parseMysqlUrl } from '../dialects/mysql/url.js';
import { DbDoctorError } from '../errors.js';

/** How a SQLite file is opened: SQLite's URI `mode` parameter (https://sqlite.org/uri.html). */
export type SqliteMode = 'ro' | 'rw' | 'rwc';

/** A parsed database location. */
export type DatabaseTarget =
  | { dialect: 'sqlite'; file: string; memory: boolean; mode: SqliteMode; display: string }
  | {
      dialect: 'postgres';
      connectionString: string;
      database: string;
      display: string;
      /** Every secret the URL carries (passwords, decoded and as typed), for concealment. */
      secrets: string[];
    }
  | MysqlTarget;

const EXAMPLES =
  'Use sqlite:path/to/file.db, sqlite:///abs/path.db, sqlite::memory:, postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db; percent-encode a password with / ? # @ or % in it (encodeURIComponent).';

/** Query parameters that pg sends as secrets; `passfile` is a path, not a secret. */
const SECRET_PARAMS = ['password', 'sslpassword'];

/**
 * Parses a database URL in one of the forms of DESIGN.md. Relative SQLite paths resolve
 * against `cwd`. Throws `BAD_URL` (exit 2) naming what is wrong; the message never repeats a
 * PostgreSQL URL, since the part that failed to parse may be a password.
 */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): DatabaseTarget {
  const trimmed = url.trim();
  if (trimmed === '') throw badUrl('the URL is empty');
  if (trimmed === 'sqlite::memory:' || trimmed === 'sqlite://:memory:') {
    return { dialect: 'sqlite', file: ':memory:', memory: true, mode: 'rwc', display: 'sqlite::memory:' };
  }
  if (trimmed.startsWith('sqlite:')) return parseSqliteUrl(trimmed, cwd);
  if (trimmed.startsWith('postgres://') || trimmed.startsWith('postgresql://'))
    return parsePostgresUrl(trimmed);
  if (isMysqlUrl(trimmed)) return parseMysqlUrl(trimmed);
  const scheme = /^([a-z0-9+.-]+):/i.exec(trimmed)?.[1];
  throw badUrl(
    scheme
      ? `the scheme "${scheme}:" is not supported`
      : 'it has no scheme (such as sqlite:, postgres: or mysql:)',
  );
}

function parseSqliteUrl(url: string, cwd: string): DatabaseTarget {
  let rest = url.slice('sqlite:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs -> /abs ; sqlite://rel -> rel
  const q = rest.indexOf('?');
  const query = q === -1 ? '' : rest.slice(q + 1);
  rest = q === -1 ? rest : rest.slice(0, q);
  if (rest === '') throw badUrl('no file path after "sqlite:"', url);
  const decoded = decodeStrictly(rest, 'the file path', url);
  // SQLite's C API ends a file name at the first NUL: "a%00b" would silently open "a".
  if (decoded.includes('\0')) throw badUrl('the file path contains a NUL character (%00)', url);
  const file = path.resolve(cwd, decoded);
  const mode = sqliteMode(query, url);
  const suffix = mode === 'rwc' ? '' : `?mode=${mode}`;
  return { dialect: 'sqlite', file, memory: false, mode, display: `sqlite:${file}${suffix}` };
}

/** The one query parameter a SQLite URL takes; any other is refused rather than ignored. */
function sqliteMode(query: string, url: string): SqliteMode {
  if (query === '') return 'rwc';
  const params = new URLSearchParams(query);
  const unknown = [...params.keys()].filter((k) => k !== 'mode');
  if (unknown.length > 0)
    throw badUrl(`unknown SQLite URL parameter "${unknown[0]}" (only mode= is accepted)`, url);
  const mode = params.get('mode');
  if (mode === 'ro' || mode === 'rw' || mode === 'rwc') return mode;
  throw badUrl('mode must be ro, rw or rwc (the value given is not repeated: it may be a key)', url);
}

function parsePostgresUrl(url: string): DatabaseTarget {
  // libpq refuses these; pg would guess (it re-encodes a stray %), and a guess about a URL
  // that holds a password can connect somewhere else or print the password as a host name.
  if (url.includes('#')) throw badUrl('it contains "#"; write it as %23 (in a password, too)');
  if (/%(?![0-9a-f]{2})/i.test(url))
    throw badUrl('it contains a malformed percent-escape (a % not followed by two hex digits)');
  if (/%00/.test(url) || url.includes('\0')) throw badUrl('it contains a NUL character (%00)');
  let whatwg: URL;
  try {
    whatwg = new URL(url);
  } catch {
    throw badUrl('it is not a valid URL');
  }
  if (whatwg.port && !/^\d+$/.test(whatwg.port)) throw badUrl('the port is not a number');
  const parsed = parsePg(url);
  const database = parsed.database ?? '';
  if (!parsed.host) throw badUrl('no host');
  if (!database) throw badUrl('no database name after the host (…/dbname)');
  // pg takes the authority up to the first "/", so a password holding an unencoded "/" ends
  // the host early and the rest of the password becomes the database name.
  if (database.includes('@'))
    throw badUrl('the database name contains "@": a password with "/" in it must be percent-encoded (%2F)');
  if (parsed.port && !/^\d+$/.test(String(parsed.port))) throw badUrl('the port is not a number');
  const secrets = secretsOf(parsed, whatwg);
  return {
    dialect: 'postgres',
    connectionString: url,
    database,
    display: displayOf(whatwg.protocol, parsed),
    secrets,
  };
}

type PgParsed = ReturnType<typeof parsePgConnectionString>;

/** The same parse pg makes of the string, so what is shown is what is connected to. */
function parsePg(url: string): PgParsed {
  try {
    return parsePgConnectionString(url);
  } catch (e) {
    // It reads sslcert/sslkey/sslrootcert files while parsing; their message names the path only.
    const why =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'an ssl file it names does not exist'
        : 'it is not a valid URL';
    throw badUrl(why);
  }
}

function secretsOf(parsed: PgParsed, whatwg: URL): string[] {
  const found = new Set<string>();
  for (const key of SECRET_PARAMS) {
    const value = parsed[key];
    if (typeof value === 'string' && value !== '') {
      found.add(value);
      found.add(encodeURIComponent(value));
    }
  }
  if (whatwg.password) found.add(whatwg.password);
  for (const value of whatwg.searchParams.getAll('password')) if (value) found.add(value);
  return [...found];
}

/**
 * The location pg connects to, without secrets and without query parameters: user (a
 * password given anywhere shows as `***`), host, port and database.
 */
function displayOf(protocol: string, parsed: PgParsed): string {
  const user = parsed.user ? encodeURIComponent(parsed.user) : '';
  const hidden = parsed.password ? ':***' : '';
  const userinfo = user || hidden ? `${user}${hidden}@` : '';
  const host = String(parsed.host);
  const shownHost = host.includes(':') ? `[${host}]` : host.includes('/') ? encodeURIComponent(host) : host;
  const port = parsed.port ? `:${parsed.port}` : '';
  return `${protocol}//${userinfo}${shownHost}${port}/${parsed.database}`;
}

function decodeStrictly(text: string, what: string, url: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badUrl(`${what} contains a malformed percent-escape (a % not followed by two hex digits)`, url);
  }
}

/**
 * `url` as it may be shown: every query parameter's value and any userinfo password replaced
 * by `***`. A SQLite URL may carry a key (SQLCipher's `?key=`, `?password=`) that dbdoctor
 * refuses, and the refusal must not print it.
 */
export function redactedUrl(url: string): string {
  const q = url.indexOf('?');
  const base = q === -1 ? url : url.slice(0, q);
  const query =
    q === -1
      ? ''
      : `?${url
          .slice(q + 1)
          .split('&')
          .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=***` : pair))
          .join('&')}`;
  return base.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@]*?:)[^/@]*@/i, '$1***@') + query;
}

/** `shown` is given only for URLs whose path holds no secret (SQLite); it is shown redacted. */
function badUrl(why: string, shown?: string): DbDoctorError {
  const which =
    shown === undefined ? 'the database URL' : `database URL ${JSON.stringify(redactedUrl(shown))}`;
  return new DbDoctorError('BAD_URL', `Cannot use ${which}: ${why}.`, {
    unchanged: 'No database was opened.',
    hint: EXAMPLES,
  });
}

/** Shorter secrets are not searched for: replacing one to three characters would garble words. */
const MIN_CONCEALED_LENGTH = 4;

/**
 * Replaces every secret in `text` with `***`: for messages that quote a driver's own text,
 * which may repeat what it was given. Secrets shorter than 4 characters are left alone.
 */
export function conceal(text: string, secrets: readonly string[]): string {
  let out = text;
  const longestFirst = secrets
    .filter((s) => s.length >= MIN_CONCEALED_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const s of longestFirst) out = out.split(s).join('***');
  return out;
}

/** The secrets a URL carries (empty when it has none or does not parse). */
export function secretsOfUrl(url: string): string[] {
  try {
    const target = parseDatabaseUrl(url);
    return target.dialect === 'sqlite' ? [] : target.secrets;
  } catch {
    return [];
  }
}
