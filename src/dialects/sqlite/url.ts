import fs from 'node:fs';
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
 * an optional `?mode=ro|rw|rwc`; `sqlite3:` as dbmate spells it and `file:` as Prisma does are
 * the same. Relative paths resolve against `cwd` (a `file:` path as Prisma resolves it).
 */
export function parseSqliteUrl(url: string, cwd: string): SqliteTarget {
  const scheme = /^[a-z0-9]+:/i.exec(url)?.[0].toLowerCase() ?? 'sqlite:';
  const body = url.slice(scheme.length);
  if (body === ':memory:' || body === '//:memory:') {
    return { dialect: 'sqlite', file: ':memory:', memory: true, mode: 'rwc', display: 'sqlite::memory:' };
  }
  return parseSqliteFileUrl(url, body, scheme === 'file:' ? prismaBase(cwd) : cwd);
}

/**
 * Prisma resolves a relative `file:` URL against the folder of its schema file
 * (`prisma/schema.prisma`), not the working folder: `file:./dev.db` is `prisma/dev.db`.
 * The same file must be meant here, or dbdoctor would create an empty one beside it.
 */
function prismaBase(cwd: string): string {
  const folder = path.join(cwd, 'prisma');
  return fs.existsSync(path.join(folder, 'schema.prisma')) ? folder : cwd;
}

function parseSqliteFileUrl(url: string, body: string, cwd: string): SqliteTarget {
  let rest = body;
  if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs -> /abs ; sqlite://rel -> rel
  const q = rest.indexOf('?');
  const query = q === -1 ? '' : rest.slice(q + 1);
  rest = q === -1 ? rest : rest.slice(0, q);
  if (rest === '') throw badUrl(`no file path after "${url.slice(0, url.length - body.length)}"`, url);
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
