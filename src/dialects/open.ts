import { parseDatabaseUrl } from '../config/url.js';
import { DbDoctorError } from '../errors.js';
import type { Connection, DialectName, DriverHandles, OpenOptions } from './dialect.js';
import { dialectNamed, dialectOfHandle, registeredDialects } from './registry.js';

export type { OpenOptions } from './dialect.js';

/**
 * What a caller may pass as a database: a URL (see DESIGN.md), an open driver object of a
 * registered dialect (a better-sqlite3 `Database`, a pg `Pool` or `Client`), or a dbdoctor
 * `Connection`.
 */
export type DatabaseInput = string | Connection | DriverHandles[keyof DriverHandles];

function isConnection(x: unknown): x is Connection {
  return typeof x === 'object' && x !== null && 'dialect' in x && 'exec' in x && 'begin' in x;
}

function unsupported(): DbDoctorError {
  return new DbDoctorError('BAD_DATABASE', 'Unsupported database value.', {
    unchanged: 'No database was opened.',
    hint: `Pass a URL string, ${registeredDialects()
      .map((d) => d.handleDescription)
      .join(', ')} or a dbdoctor Connection.`,
  });
}

/**
 * Which dialect a database input speaks, without opening it. Throws `BAD_URL` for a URL no
 * dialect parses and `BAD_DATABASE` for an object no dialect accepts.
 */
export function dialectOfInput(input: DatabaseInput, cwd?: string): DialectName {
  if (isConnection(input)) return input.dialect.name;
  if (typeof input === 'string') return parseDatabaseUrl(input, cwd).dialect;
  const dialect = dialectOfHandle(input);
  if (!dialect) throw unsupported();
  return dialect.name;
}

/** Opens (or wraps) a database and returns a dbdoctor Connection. */
export async function openConnection(input: DatabaseInput, opts: OpenOptions = {}): Promise<Connection> {
  if (isConnection(input)) return input;
  if (typeof input === 'string') {
    const target = parseDatabaseUrl(input, opts.cwd);
    return dialectNamed(target.dialect).open(target, opts);
  }
  const dialect = dialectOfHandle(input);
  if (!dialect) throw unsupported();
  return dialect.wrap(input, opts);
}

/** Runs `fn` inside a transaction on `conn`, rolling back if it throws. */
export async function inTransaction<T>(conn: Connection, fn: () => Promise<T>): Promise<T> {
  await conn.begin();
  try {
    const result = await fn();
    await conn.commit();
    return result;
  } catch (e) {
    await conn.rollback().catch(() => {});
    throw e;
  }
}
