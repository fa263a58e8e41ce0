import { type DatabaseInput, openConnection } from '../dialects/open.js';
import { OTHER_TOOLS_TABLES } from '../doctor/ignore.js';
import { DbDoctorError } from '../errors.js';
import type { Schema } from '../schema/model.js';
import { historyTableName } from './engine.js';

/** Options of {@link introspect}. */
export interface IntrospectOptions {
  /** A URL, or an open better-sqlite3 Database, pg Pool or pg Client. */
  database: DatabaseInput;
  /** PostgreSQL schema to read. Default `public`. */
  schema?: string;
  /** dbdoctor's history table, left out with its lock table. Default `dbdoctor_migrations`. */
  historyTable?: string;
  /** Base folder for a relative SQLite path. */
  cwd?: string;
}

/**
 * Reads the live schema of a database into the schema model (without dbdoctor's own
 * tables). Read-only; a SQLite file that does not exist is an error, not a new file.
 */
export async function introspect(options: IntrospectOptions): Promise<Schema> {
  const table = historyTableName(options.historyTable);
  const conn = await openConnection(options.database, { cwd: options.cwd, mustExist: true });
  try {
    // The project's history and lock, and other tools' history tables, as the doctor leaves them out.
    const exclude = [table, `${table}_lock`, ...OTHER_TOOLS_TABLES];
    return await conn.dialect.introspect(conn, { schema: options.schema, exclude });
  } catch (e) {
    throw e instanceof DbDoctorError ? e : (conn.describeError(e) ?? e);
  } finally {
    await conn.close();
  }
}
