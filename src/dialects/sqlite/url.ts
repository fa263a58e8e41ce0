import path from 'node:path';
import { badUrl } from '../../config/url.js';
import type { DatabaseTarget } from '../dialect.js';

/** How a SQLite file is opened: SQLite's URI `mode` parameter (https://sqlite.org/uri.html). */
export type SqliteMode = 'ro' | 'rw' | 'rwc';

/** A parsed SQLite URL. */
export interface SqliteTarget extends DatabaseTarget {
  readonly dialect: 'sqlite';
  /** The absolute path of the file, or `:memory:`. */
  readonly file: string;
  readonly memory: boolean;
  readonly mode: SqliteMode;
}

/** Examples of SQLite URLs, for messages. */
export const SQLITE_URL_EXAMPLES = ['sqlite:path/to/file.db', 'sqlite:///abs/path.db', 'sqlite::memory:'];

/**
 * Parses `sqlite:path`, `sqlite:///abs/path`, `sqlite::memory:` (and `sqlite://:memory:`), with
 * an optional `?mode=ro|rw|rwc`. Relative paths resolve against `cwd`.
 */
export function parseSqliteUrl(url: string, cwd: string): SqliteTarget {
  if (url === 'sqlite::memory:' || url === 'sqlite://:memory:') {
    return { dialect: 'sqlite', file: ':memory:', memory: true, mode: 'rwc', display: 'sqlite::memory:' };
  }
  return parseSqliteFileUrl(url, cwd);
}

function parseSqliteFileUrl(url: string, cwd: string): SqliteTarget {
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

function decodeStrictly(text: string, what: string, url: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badUrl(`${what} contains a malformed percent-escape (a % not followed by two hex digits)`, url);
  }
}
