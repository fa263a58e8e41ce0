/** Parsing `mysql://` and `mariadb://` URLs into what mysql2 connects with. */
import { badUrl } from '../../config/url.js';
import type { DatabaseTarget } from '../dialect.js';

/** Where to connect, as parsed by {@link parseMysqlUrl}. */
export interface MysqlTarget extends DatabaseTarget {
  dialect: 'mysql';
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  /** A Unix socket to connect through instead of host and port (`?socket=/path`). */
  socketPath: string | undefined;
  /** TLS: `?ssl=true` (verify the server) or `?ssl=insecure` (encrypt, do not verify). */
  ssl: 'verify' | 'insecure' | undefined;
  /** The location without secrets, for messages. */
  display: string;
  /** Strings that must never reach a message (the password, decoded and as typed). */
  secrets: string[];
}

/** Examples of MySQL URLs, for messages (`mariadb://` is the same protocol under MariaDB's name). */
export const MYSQL_URL_EXAMPLES = ['mysql://user:pass@host:3306/db', 'mariadb://user:pass@host/db'];

/**
 * Parses `mysql://[user[:password]@]host[:port]/database[?socket=…&ssl=…]` (and `mariadb://`).
 * Throws `BAD_URL` naming what is wrong; the message never repeats the URL, since the part
 * that failed to parse may be a password. Unknown parameters are refused, not ignored.
 */
export function parseMysqlUrl(url: string): MysqlTarget {
  const text = url.trim();
  if (!/^(mysql|mariadb):\/\//i.test(text)) throw badUrl('it has no "//" after the scheme (mysql://host/db)');
  if (text.includes('#')) throw badUrl('it contains "#"; write it as %23 (in a password, too)');
  if (/%(?![0-9a-f]{2})/i.test(text))
    throw badUrl('it contains a malformed percent-escape (a % not followed by two hex digits)');
  if (/%00/.test(text) || text.includes('\0')) throw badUrl('it contains a NUL character (%00)');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw badUrl('it is not a valid URL');
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw badUrl('no host');
  if (u.port && !/^\d+$/.test(u.port)) throw badUrl('the port is not a number');
  const path = u.pathname.replace(/^\//, '');
  if (path.includes('/')) throw badUrl('the database name contains "/" (a password with "/" must be %2F)');
  const database = decodeURIComponent(path);
  if (!database) throw badUrl('no database name after the host (…/dbname)');
  const params = new URLSearchParams(u.search);
  const unknown = [...params.keys()].filter((k) => k !== 'socket' && k !== 'ssl');
  if (unknown.length > 0)
    throw badUrl(
      `unknown parameter "${unknown[0]}" (only socket=/path/to/mysqld.sock and ssl=true|false|insecure are accepted)`,
    );
  const sslValue = params.get('ssl');
  let ssl: MysqlTarget['ssl'];
  if (sslValue === null || sslValue === 'false') ssl = undefined;
  else if (sslValue === 'true') ssl = 'verify';
  else if (sslValue === 'insecure') ssl = 'insecure';
  else throw badUrl('ssl must be true, false or insecure');
  const user = decodeURIComponent(u.username);
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  const port = u.port ? Number(u.port) : 3306;
  const secrets = password ? [...new Set([password, u.password])] : [];
  const scheme = u.protocol.toLowerCase();
  const userinfo = user || password ? `${encodeURIComponent(user)}${password ? ':***' : ''}@` : '';
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const socketPath = params.get('socket') ?? undefined;
  const display = `${scheme}//${userinfo}${shownHost}:${port}/${encodeURIComponent(database)}${socketPath ? ` (socket ${socketPath})` : ''}`;
  return { dialect: 'mysql', host, port, user, password, database, socketPath, ssl, display, secrets };
}
