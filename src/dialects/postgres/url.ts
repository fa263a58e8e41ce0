import { parse as parsePgConnectionString } from 'pg-connection-string';
import { badUrl } from '../../config/url.js';
import type { DatabaseTarget } from '../dialect.js';

/** A parsed PostgreSQL URL. */
export interface PostgresTarget extends DatabaseTarget {
  readonly dialect: 'postgres';
  /** The URL as given, for pg. */
  readonly connectionString: string;
  readonly database: string;
  /** Every secret the URL carries (passwords, decoded and as typed), for concealment. */
  readonly secrets: readonly string[];
}

/** Examples of PostgreSQL URLs, for messages. */
export const POSTGRES_URL_EXAMPLES = ['postgres://user:pass@host:5432/db'];

/** Query parameters that pg sends as secrets; `passfile` is a path, not a secret. */
const SECRET_PARAMS = ['password', 'sslpassword'];

/**
 * Parses `postgres://` and `postgresql://` URLs the way pg will, refusing what libpq refuses
 * (`#`, malformed escapes, NUL) rather than guessing. Messages never repeat the URL.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  if (!/^postgres(?:ql)?:\/\//.test(url))
    throw badUrl('it has no "//" after the scheme (postgres://host/db)');
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
