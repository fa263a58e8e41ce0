import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { DbDoctorError, errorMessage } from '../../errors.js';
import type { Connection, Dialect, Row } from '../dialect.js';

const require = createRequire(import.meta.url);

/** Default time a statement waits for another connection's write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** better-sqlite3's Database type. */
export type SqliteDatabase = BetterSqlite3.Database;

/** Options for opening a SQLite file. */
export interface SqliteOpenOptions {
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Refuse to create the file when it does not exist. */
  mustExist?: boolean;
}

/** Loads better-sqlite3 only when a SQLite database is actually opened. */
function loadDriver(): typeof BetterSqlite3 {
  return require('better-sqlite3') as typeof BetterSqlite3;
}

/** Opens a SQLite file (or `:memory:`). Never changes the journal mode. */
export function openSqliteDatabase(file: string, opts: SqliteOpenOptions = {}): SqliteDatabase {
  const Database = loadDriver();
  try {
    return new Database(file, {
      timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      readonly: opts.readonly ?? false,
      fileMustExist: opts.mustExist ?? false,
    });
  } catch (e) {
    throw new DbDoctorError('DB_UNREACHABLE', `Cannot open SQLite database ${file}: ${errorMessage(e)}`, {
      unchanged: 'Nothing was changed.',
      hint: 'Check that the folder exists and is writable, and that the file is a SQLite database.',
      cause: e,
    });
  }
}

/** A Connection over a better-sqlite3 Database. */
export class SqliteConnection implements Connection {
  readonly display: string;
  readonly file: string | null;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    readonly db: SqliteDatabase,
    readonly dialect: Dialect,
    private readonly owned: boolean,
  ) {
    this.file = db.memory ? null : db.name;
    this.display = db.memory ? 'sqlite::memory:' : `sqlite:${db.name}`;
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 200) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.querySync<R>(sql, params);
  }

  /** Synchronous form, for code that must not yield between statements. */
  querySync<R extends Row = Row>(sql: string, params: readonly unknown[] = []): R[] {
    const stmt = this.prepare(sql);
    const bound = params.map(toSqliteValue);
    if (stmt.reader) return stmt.all(...bound) as R[];
    stmt.run(...bound);
    return [];
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async begin(): Promise<void> {
    // IMMEDIATE takes the write lock now, so two writers never deadlock upgrading a read lock.
    this.db.exec('BEGIN IMMEDIATE');
  }

  async commit(): Promise<void> {
    this.db.exec('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  async inTransaction(): Promise<boolean> {
    return this.db.inTransaction;
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.owned && this.db.open) this.db.close();
  }
}

function toSqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (v === undefined) return null;
  return v;
}
