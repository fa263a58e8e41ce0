/**
 * The contract a database dialect provides. A dialect is one folder, `src/dialects/<name>/`,
 * whose `index.ts` exports a {@link Dialect} object, plus one line in `src/dialects/builtin.ts`
 * registering it. Code outside the dialect folders (migrations/, schema/, ops/, doctor/) uses
 * only this contract and the registry (`registry.ts`): it reads capabilities, never names.
 *
 * Role files, the same name in every dialect folder (optional roles in brackets):
 * - `index.ts`      the Dialect object
 * - `url.ts`        URL parsing ({@link Dialect.parseUrl})
 * - `driver.ts`     the Connection over the driver, opening and wrapping ({@link Dialect.open}, {@link Dialect.wrap})
 * - `quote.ts`      identifier and literal quoting
 * - `split.ts`      statement splitting ({@link Dialect.splitStatements})
 * - `history.ts`    the SQL the migration engine needs ({@link EngineSql})
 * - `session.ts`    history schema and session state capture (used by history.ts)
 * - `lock.ts`       the migration lock ({@link Dialect.createLock})
 * - `introspect.ts` reading the live schema ({@link Dialect.introspect})
 * - `scratch.ts`    throwaway databases for the doctor's replay ({@link Dialect.createScratch})
 * - `compile.ts`    the operation DSL compiler ({@link OperationCompiler})
 * - `health.ts`     the dialect's doctor checks ({@link Dialect.healthChecks})
 * - [`schema-sql.ts`] the schema model written as SQL: schema.sql, and what `generate` cannot say in the DSL ({@link SchemaSql})
 * - [`backup.ts`]   online file backup ({@link BackupSupport})
 * - [`guard.ts`]    what runs around a migration's transaction ({@link Dialect.guardMigration})
 * - [`phased.ts`]   statements that commit in phases ({@link PhasedStatements})
 * - [`sessions.ts`] the session store's and login throttle's statements, for dbdoctor/sessions ({@link SessionStorage})
 */
import type { DoctorCheck } from '../doctor/check.js';
import type { DbDoctorError } from '../errors.js';
import type { ColumnDefault, ColumnType, Operation } from '../ops/types.js';
import type {
  Column,
  EnumType,
  ForeignKey,
  Index,
  Schema,
  SchemaObject,
  Table,
  Trigger,
  View,
} from '../schema/model.js';
import type { ExpressionSyntax } from '../schema/normalize.js';
import type { SessionBackend, ThrottleBackend } from '../sessions/backend.js';

/**
 * A dialect's name, as URLs, `--dialect`, `MigrationContext.dialect` and `--json` output spell
 * it. The built-in ones are `sqlite` and `postgres`; a registered dialect may add any other.
 */
export type DialectName = 'sqlite' | 'postgres' | (string & {});

/**
 * How a dialect stores the DSL's enums. `type`: a named type (`CREATE TYPE … AS ENUM`, listed
 * in `Schema.enums`); `check`: a text column with a CHECK constraint per column
 * (`enum_<enum>__<column>`), which adding a value widens; `inline`: the column's own type lists
 * the values (MySQL's `ENUM('a','b')`), so the enum has no name in the database and exists only
 * in the columns that use it.
 */
export type EnumStyle = 'type' | 'check' | 'inline';

/**
 * What a dialect can do. Code outside the dialect folders branches on these, never on the
 * dialect's name. Every capability is read by the core (where, is said on each).
 */
export interface Capabilities {
  /**
   * DDL runs inside transactions and rolls back with them. Where false, every migration runs
   * as a `transaction: false` one (recorded started, then finished), so a crash shows as
   * partially applied (read by migrations/load.ts `runsInTransaction`).
   */
  readonly transactionalDdl: boolean;
  /**
   * The database is a local file that can be copied with an online backup API; then
   * {@link Dialect.backup} is present (read by migrations/backup.ts and restore.ts).
   */
  readonly onlineBackup: boolean;
  /** How the DSL's enums are stored (read by ops/fold.ts). */
  readonly enumStyle: EnumStyle;
  /**
   * `ALTER TABLE` changes a column's type in place, rewriting the table under an exclusive
   * lock (read by the `type-change-rewrites-table` lint in ops/lint.ts). Where false, the
   * compiler rebuilds the table instead, and {@link OperationCompiler.rebuiltTables} names it.
   */
  readonly alterColumnInPlace: boolean;
  /**
   * Indexes can be built without blocking writes (`CREATE INDEX CONCURRENTLY`): the
   * `index-without-concurrently` lint asks for it on large tables (read by ops/lint.ts).
   */
  readonly concurrentIndexes: boolean;
  /**
   * Opening a URL for writing creates a database that does not exist yet (a SQLite file), so
   * the read-only commands answer for a missing one as the empty database `apply` would make
   * (read by migrations/engine.ts readOnlyView). Where false, `apply` refuses with DB_NOT_FOUND,
   * and so do they.
   */
  readonly createsDatabase: boolean;
  /**
   * Adding a NOT NULL column without a default to a table with rows succeeds and gives the
   * existing rows the type's implicit default ('' for text, 0 for numbers, an enum's first
   * value, a zero date), instead of failing; a strict sql_mode with NO_ZERO_DATE refuses it for
   * date and time types (read by the `not-null-without-default` lint in ops/lint.ts).
   */
  readonly addNotNullFillsImplicitDefault: boolean;
}

/** A parsed database URL. Each dialect adds the fields its driver needs. */
export interface DatabaseTarget {
  /** The dialect that parsed it ({@link Dialect.name}). */
  readonly dialect: DialectName;
  /** Where it points, for messages: never a password. */
  readonly display: string;
  /** Strings the URL carries that must never reach output (passwords, decoded and as typed). */
  readonly secrets?: readonly string[];
}

/**
 * How a runner's connection treats "another connection holds the write lock" where the
 * database reports it at once instead of waiting (SQLite's SQLITE_BUSY): as "not yet". A
 * statement that may be retried is retried with backoff until `timeoutMs` has passed since the
 * first refusal, then fails with `LOCK_TIMEOUT`.
 */
export interface BusyWait {
  /** The most a statement waits in total, in ms (the runner's `--lock-timeout`). */
  timeoutMs: number;
  /** Called once per wait, when the first refusal is seen (to report who is holding it). */
  onWait?: () => void;
}

/** Options when opening from a URL or wrapping a driver handle. */
export interface OpenOptions {
  /** Base folder for relative file paths. Default: the process's working folder. */
  cwd?: string;
  /** How long one statement waits for a lock inside the driver, in ms, where the driver has such a setting. */
  busyTimeoutMs?: number;
  /**
   * Refuse to create a database that does not exist (read-only commands): `DB_NOT_FOUND`.
   * Where opening never creates a database (a server), ignored.
   */
  mustExist?: boolean;
  /**
   * Wait out another connection's write lock up to this policy instead of failing; dbdoctor's
   * runners pass their `--lock-timeout`. Ignored where statements wait for locks themselves.
   */
  busyWait?: BusyWait;
}

/**
 * The driver objects a caller may pass instead of a URL, one entry per dialect (an open
 * better-sqlite3 `Database`, a pg `Pool` or `Client`, ...). Each dialect's `index.ts` adds its
 * own entry by declaration merging, so the core names no driver.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each dialect folder
export interface DriverHandles {}

/** A row returned by a query. */
export type Row = Record<string, unknown>;

/**
 * Puts back the session state {@link EngineSql.captureSession} read: reads the state now, or
 * takes `observed`, a row holding it that a statement returned (see `returning`).
 */
export interface SessionRestore {
  (observed?: Row): Promise<void>;
  /**
   * The select list (`expr AS name, …`) that reads the session state, for a history INSERT to
   * return (`RETURNING`) when it is the first statement after the migration's last: its row is
   * the state the restore would read, one round trip fewer. Absent when the server cannot.
   */
  readonly returning?: string;
}

/**
 * One open database connection, used serially. The SQLite driver is synchronous underneath;
 * this interface is async so both dialects look the same to the runner.
 */
export interface Connection {
  readonly dialect: Dialect;
  /** Runs one statement with bound parameters and returns its rows (empty for writes). */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Starts a transaction that takes the write lock at once where the dialect has one. */
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /**
   * Whether a transaction is open on this connection right now (also a failed one that still
   * needs its ROLLBACK). Lets the runner claim "rolled back" only when it was the one that
   * rolled back. Throws when the connection cannot tell (it is gone).
   */
  inTransaction(): Promise<boolean>;
  /**
   * Where the migration lock can be lost while held (SQLite's leased row): verifies this runner
   * still owns it, renewing the lease, and throws `LOCK_LOST` when it does not. Absent where the
   * lock cannot be lost while the connection lives (PostgreSQL's session advisory lock).
   */
  assertLockHeld?(): Promise<void>;
  /** Closes the connection if dbdoctor opened it; leaves a caller's connection open. */
  close(): Promise<void>;
  /** Where this connection points, for messages (passwords hidden). */
  readonly display: string;
  /** The database file for SQLite (null for in-memory or PostgreSQL). */
  readonly file: string | null;
  /**
   * The DbDoctorError for a driver error that is about the database's surroundings rather
   * than the SQL (read-only file, not a database, disk full, server gone, no such database,
   * login refused); null for any other error. Messages name {@link display}, never a password.
   */
  describeError(error: unknown): DbDoctorError | null;
}

/** Owner of a migration lock, for messages. */
export interface LockOwner {
  /** The runner's host; with `kind: 'connection'`, the client address the server saw. */
  host: string;
  /** The runner's process id; with `kind: 'connection'`, the server backend's. */
  pid: number;
  since: string;
  /**
   * `runner` (the default): host and pid name the dbdoctor process holding the lock.
   * `connection`: a connection that did not say which runner it is (a caller's own pool):
   * only its client address and server backend are known.
   */
  kind?: 'runner' | 'connection';
  /**
   * Its process is known to be gone (a runner of this host whose pid is not running) while the
   * lock is still held: the server keeps it until the statement the runner left ends.
   */
  gone?: boolean;
  /** Where the lock is a leased row: when the lease runs out unless renewed (ISO time). */
  expires?: string;
  detail?: string;
  /**
   * False when the owner is known to be gone (its row is stale and will be taken over): then
   * whatever keeps the lock from being taken is not this owner. Absent: taken to be live.
   */
  live?: boolean;
}

/** How a migration lock is held. */
export interface LockOptions {
  /**
   * Where the lock is a row (SQLite): how long it stays valid without renewal, in ms.
   * Default 30 s. Ignored where the server releases a dead session's lock (PostgreSQL).
   */
  leaseMs?: number;
}

/** The cross-process lock that lets one runner migrate a database at a time. */
export interface MigrationLock {
  /**
   * Waits up to `timeoutMs`; throws `LOCK_TIMEOUT` naming the holder after that. `onTakeover`
   * names a gone owner whose lock was taken over.
   */
  acquire(
    timeoutMs: number,
    onWait?: (owner: LockOwner | null) => void,
    onTakeover?: (previous: LockOwner) => void,
  ): Promise<void>;
  release(): Promise<void>;
  /** The current holder, or null. */
  holder(): Promise<LockOwner | null>;
}

/** The per-dialect SQL the migration engine needs. */
export interface EngineSql {
  /** Statements creating the history table if missing; `qualifiedName` is already quoted. */
  createHistory(qualifiedName: string): string[];
  /**
   * The schema (PostgreSQL: the one already holding a table named `table`, else
   * `current_schema()` when the session opens) or attached database (SQLite: `main`) that holds
   * dbdoctor's history, read once per session so that every bookkeeping statement names it
   * explicitly, whatever a migration does to the search path. Throws NO_HISTORY_SCHEMA when
   * there is none (an empty search_path at connect), HISTORY_AMBIGUOUS when several schemas
   * hold such a table.
   */
  historySchema(conn: Connection, table: string): Promise<string>;
  /**
   * Where an unqualified name in a migration lands in this session (`landsIn`), when that is not
   * `schema` (the namespace being compared; undefined: the dialect's default, given as
   * `compared`), else null. PostgreSQL:
   * `current_schema()`, the first existing schema of the search_path, which a database or role
   * setting (`ALTER DATABASE/ROLE … SET search_path`) may point elsewhere. A dialect without
   * namespaces leaves it out. `generate` reads it: the migration it writes names tables
   * unqualified, so it must land where the schema it was computed from is.
   */
  unqualifiedTarget?(
    conn: Connection,
    schema: string | undefined,
  ): Promise<{ landsIn: string; compared: string } | null>;
  /**
   * Reads the session state a migration may change and the runner depends on (PostgreSQL:
   * every setting SET in the session, `role`, `session_authorization`; SQLite: attached
   * databases and the pragmas the runner relies on) and returns what puts it back, run after
   * each migration, also after a failure. Must be called outside a transaction.
   */
  captureSession(conn: Connection): Promise<SessionRestore>;
  /** The `n`th (1-based) bind parameter. */
  param(n: number): string;
  /**
   * The clause after `INSERT ... VALUES ...` that turns an insert of a row whose `key` exists
   * into an update of `columns` to the inserted values (MySQL `ON DUPLICATE KEY UPDATE`,
   * PostgreSQL and SQLite `ON CONFLICT (key) DO UPDATE`), so two history rows are written in
   * one statement, one commit.
   */
  upsert(key: string, columns: readonly string[]): string;
  /** Timestamp value to store for "now" (an ISO string is passed as a parameter). */
  readonly nowParamCast: string;
  /**
   * A value as SQL text that every session setting reads the same way (no sql_mode or client
   * character set changes it), for a history statement that cannot take bound parameters.
   */
  literal?(value: string | number): string;
  /** Statement bounding lock waits for the rest of the transaction or session; null where unsupported. */
  lockTimeout(ms: number, scope: 'transaction' | 'session'): string | null;
  /** Statement undoing a session-scope lockTimeout; null where unsupported. */
  readonly resetLockTimeout: string | null;
  /** SQLSTATE/message test: does this error mean "table does not exist"? */
  isMissingTable(error: unknown): boolean;
  /** Does this error mean a statement gave up waiting for a lock (retryable)? */
  isLockTimeout(error: unknown): boolean;
  /** A clearer account of a failed statement where the database's own message misleads, or null. */
  explainFailure?(error: unknown, statement: string): FailureExplanation | null;
  /**
   * A statement as errors may show it: secrets it writes (PostgreSQL `PASSWORD '…'` of CREATE
   * or ALTER ROLE) replaced by `'***'`. Absent where the dialect's SQL carries none.
   */
  maskSecrets?(sql: string): string;
}

/** What a dialect says about a failed statement, in place of the database's message. */
export interface FailureExplanation {
  /** Stable error code. */
  code: string;
  /** What went wrong, in words (without the file or statement, which the caller adds). */
  message: string;
  /** What to change. */
  hint: string;
  /** Text to find in the migration file, to name the line at fault. */
  needle: string;
}

/** Everything a dialect provides: capabilities plus role objects. */
export interface Dialect {
  /** The dialect's name (unique in the registry). */
  readonly name: DialectName;
  /** The database's name as people write it, for messages and docs (`PostgreSQL`). */
  readonly label: string;
  /**
   * What the doctor does not compare on this dialect beyond the common list (schema/coverage.ts
   * NOT_COMPARED), each with why where it is not plain; README.md shows them word for word,
   * prefixed with {@link label}.
   */
  readonly notCompared: readonly string[];
  readonly capabilities: Capabilities;

  /** URL schemes this dialect answers, without the colon (`postgres`, `postgresql`). */
  readonly urlSchemes: readonly string[];
  /** Example URLs, listed in `BAD_URL` hints (`postgres://user:pass@host:5432/db`). */
  readonly urlExamples: readonly string[];
  /**
   * Parses a URL whose scheme is one of {@link urlSchemes}. Relative file paths resolve against
   * `cwd`. Throws `BAD_URL` naming what is wrong, never repeating a secret the URL may hold.
   */
  parseUrl(url: string, cwd: string): DatabaseTarget;
  /**
   * Opens a connection to a target this dialect parsed. Throws `DB_NOT_FOUND`, `DB_UNREACHABLE`,
   * `DB_AUTH_FAILED` (and the like) naming `target.display` only. The connection closes the
   * driver on {@link Connection.close}.
   */
  open(target: DatabaseTarget, options: OpenOptions): Promise<Connection>;
  /** Whether `handle` is one of this dialect's driver objects (see {@link DriverHandles}). */
  accepts(handle: unknown): boolean;
  /** The driver objects {@link accepts} takes, in words, for messages (`a pg Pool or a pg Client`). */
  readonly handleDescription: string;
  /** Wraps a caller's driver object it {@link accepts}; closing the connection leaves the handle open. */
  wrap(handle: unknown, options: OpenOptions): Promise<Connection>;

  /** Quotes an identifier so any name (even a hostile one) is taken literally. */
  quoteIdent(name: string): string;
  /** Quotes a string literal. */
  quoteLiteral(value: string): string;
  /** The lexical rules of this dialect's expressions, for normalizing them (schema/normalize.ts). */
  readonly expressionSyntax: ExpressionSyntax;
  /** The history, lock-timeout and error-classification SQL the migration engine needs. */
  readonly engine: EngineSql;
  /**
   * Splits a script into statements following this database's own lexer and client (quotes,
   * comments, bodies with `;` inside), never throwing: unterminated text runs to the end.
   */
  splitStatements(script: string): string[];
  /** The cross-process migration lock, kept beside the history table `historyTable`. */
  createLock(conn: Connection, historyTable: string, options?: LockOptions): MigrationLock;
  /** Online file backup and restore; present exactly when `capabilities.onlineBackup` is true. */
  readonly backup?: BackupSupport;
  /** Reads the live schema into the model. Read-only. */
  introspect(conn: Connection, options: IntrospectOptions): Promise<Schema>;
  /**
   * An empty throwaway database of this dialect, for replaying migrations (SQLite: in memory;
   * PostgreSQL: a new database on the server `conn` is connected to, dropped by `dispose`).
   * Unless `options.isolated`, statements whose effect would reach beyond the scratch database
   * (PostgreSQL: roles, tablespaces, other databases, ALTER SYSTEM; MySQL: whatever the server
   * refuses to a throwaway account of the scratch database) are skipped and listed, their
   * secrets masked ({@link EngineSql.maskSecrets}).
   */
  createScratch(conn: Connection, options?: ScratchOptions): Promise<ScratchDatabase>;
  /** A short text naming the server build (part of the fingerprint cache key). */
  serverVersion(conn: Connection): Promise<string>;
  /** The operation DSL compiled for this dialect. */
  readonly compiler: OperationCompiler;
  /**
   * The dialect's own doctor checks (integrity, invalid indexes, ...), run by the doctor after
   * its migration checks, through the same contract as those.
   */
  readonly healthChecks: readonly DoctorCheck[];
  /**
   * Prepares `conn` for one transactional migration, outside any transaction: returns what must
   * run before its COMMIT and after its transaction ends, or null when the dialect needs
   * nothing (SQLite: foreign key enforcement off, and `foreign_key_check` before commit).
   */
  guardMigration(conn: Connection): Promise<MigrationGuard | null>;
  /** Statements that commit in phases, where the dialect has them (PostgreSQL CONCURRENTLY). */
  readonly phased?: PhasedStatements;
  /**
   * The schema model written as this dialect's SQL (schema.sql, and the statements `generate`
   * writes where the operation DSL has no words for a change). Absent where the dialect has no
   * writer yet: `pull`, `dump`, `generate` and `diff` then refuse with `SCHEMA_SQL_UNSUPPORTED`.
   */
  readonly schemaSql?: SchemaSql;
  /**
   * Where dbdoctor/sessions keeps sessions and login throttle counts on this database: the
   * statements over the driver. Absent where the dialect has no session backend yet: a session
   * store or throttle on it is refused with `BAD_DATABASE`.
   */
  readonly sessions?: SessionStorage;
  /**
   * Judges a SQL migration's statements with a real parser of this dialect's SQL, where the
   * dialect has one; absent, `lint` says SQL migrations are not judged.
   */
  readonly sqlLinter?: SqlLinter;
  /** How `dbdoctor sql` writes statements as a script for the database's own client. */
  readonly clientScript: ClientScript;
}

/**
 * A script for the database's own command-line client (psql, sqlite3, mysql), as `dbdoctor sql`
 * prints it to be run by hand.
 */
export interface ClientScript {
  /** One statement as the client reads it (`…;`; the mysql client needs DELIMITER around bodies). */
  statement(sql: string): string;
  /**
   * What `apply` runs around a migration in its transaction that the script must run too
   * (SQLite: foreign key enforcement off outside the transaction, the check before COMMIT).
   */
  readonly aroundTransaction?: { before: string[]; beforeCommit: string[]; after: string[] };
}

/**
 * The database's own CREATE statement of objects whose model form is normalized for comparison
 * and cannot be run again as it is (a PostgreSQL function body, a SQLite view with its case),
 * keyed like the fingerprint keys them (`view:v`, `trigger:t` or on PostgreSQL `trigger:t on table`, `function:f(integer)`, ...).
 */
export type ObjectSources = Record<string, string>;

/**
 * A schema model written as one dialect's SQL: the whole schema in canonical order
 * (schema.sql), and the statements that create, drop or change one object, which `generate`
 * uses where the operation DSL cannot say a change. Pure except {@link readSources}.
 */
export interface SchemaSql {
  /**
   * CREATE TABLE checks that the tables its foreign keys name exist (PostgreSQL; MySQL unless
   * `foreign_key_checks` is 0, which dbdoctor never relies on), so tables that name each other
   * get those keys after both exist; SQLite checks nothing then.
   */
  readonly checksReferencesAtCreate: boolean;
  /** Adds one foreign key to an existing table. */
  addForeignKey(table: Table, foreignKey: ForeignKey): string[];
  /** Every statement that creates `schema` in an empty database, in canonical order. */
  schemaStatements(schema: Schema, sources: ObjectSources): string[];
  /** Statements creating one table with its indexes (foreign keys inline or after). */
  createTable(table: Table, schema: Schema): string[];
  dropTable(table: Table): string[];
  /**
   * Statements that turn table `from` into `to` in place (same name), keeping its rows, or null
   * when the dialect has no way to. `schema` is the whole schema after the change.
   */
  alterTable(from: Table, to: Table, schema: Schema, sources: ObjectSources): string[] | null;
  createIndex(table: Table, index: Index): string;
  dropIndex(table: Table, index: Index): string;
  createEnum(e: EnumType): string[];
  dropEnum(e: EnumType): string[];
  /** Adds `value` to enum `name` (after `before`, the value it follows), or null when impossible. */
  addEnumValue(name: string, value: string, before: string | null): string | null;
  /**
   * Statements that give enum type `from` the values of `to` (same name) where values go or
   * move, converting each column of the type in `uses` (whose rows must hold values `to` keeps);
   * or null when the dialect cannot (SQLite: enums are CHECKs, changed with their table).
   */
  replaceEnum(
    from: EnumType,
    to: EnumType,
    uses: readonly { table: Table; column: Column }[],
  ): string[] | null;
  createView(view: View, sources: ObjectSources): string[];
  dropView(view: View): string[];
  createTrigger(trigger: Trigger, sources: ObjectSources): string[];
  dropTrigger(trigger: Trigger): string[];
  createObject(object: SchemaObject, sources: ObjectSources): string[];
  /** What an object needs once the tables exist (PostgreSQL: a sequence's OWNED BY). */
  afterTables(object: SchemaObject): string[];
  /**
   * Objects in creation order: those created before the tables, and those after them (they
   * name a table or view, or depend on such), before the views.
   */
  orderObjects(
    objects: SchemaObject[],
    schema: Schema,
    sources: ObjectSources,
  ): { beforeTables: SchemaObject[]; afterTables: SchemaObject[] };
  dropObject(object: SchemaObject): string[];
  /** Reads {@link ObjectSources} from a live database (read-only). */
  readSources(conn: Connection, schema?: string): Promise<ObjectSources>;
  /** Statements run before loading a schema file into a scratch database (PostgreSQL: the schema). */
  prepareScratch(schema: string | undefined): string[];
  /**
   * What changing a column's type from `from` to `to` does to the values already there, in a
   * few words, when it may lose some (rounds, cuts, drops a part) or fail on some that do not
   * fit; null when every value converts exactly. Absent: the dialect keeps every value (SQLite's
   * type affinity stores what does not convert as it was).
   */
  lossyTypeChange?(from: Column, to: Column): string | null;
}

/** What a SQL linter is told about the database (see {@link SqlLinter}). */
export interface SqlLintContext {
  /** Rows in a table, counted up to `largeTableRows + 1`; 0 when it does not exist. */
  rows(table: string): Promise<number>;
  /** Tables with at least this many rows are large. */
  largeTableRows: number;
  /** Whether the migration runs in dbdoctor's transaction (SQLite: with foreign keys switched off around it). */
  transaction: boolean;
  /** The live database, for read-only catalog queries (foreign keys); null when it does not exist yet. */
  conn: Connection | null;
}

/** One thing a SQL linter found in a statement. */
export interface SqlLintFinding {
  id: string;
  /** `error` blocks `apply` unless `--force`; `info` says what could not be judged. */
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** The safer way, or what to do. */
  alternative: string;
  table?: string;
}

/** Lints SQL migrations (PostgreSQL: with PostgreSQL's own parser, in the spirit of squawk). */
export interface SqlLinter {
  lint(statements: readonly string[], context: SqlLintContext): Promise<SqlLintFinding[]>;
}

/** Progress of a long operation step (a table rebuild copying rows), in rows. */
export interface OperationProgress {
  table: string;
  copied: number;
  total: number;
}

/** Options of {@link OperationCompiler.run}. */
export interface RunOperationsOptions {
  /** Called with each statement as it runs (for error messages and `dbdoctor sql`). */
  onStatement?: (sql: string) => void;
  onProgress?: (p: OperationProgress) => void;
  /** Rows a table rebuild copies per statement, where the dialect rebuilds tables. */
  copyBatchRows?: number;
  /**
   * Runs one plain statement instead of `conn.exec` (the runner's retrying executor for
   * migrations outside a transaction). Statements a rebuild runs itself always use `conn`.
   */
  exec?: (sql: string) => Promise<void>;
}

/**
 * How the DSL's columns look on this dialect, declared and as introspection reports them, so
 * folding operations (ops/fold.ts) gives what the database will show.
 */
export interface ColumnModel {
  /** The type a column is declared with (`TEXT`, `timestamp with time zone`, `"mood"`). */
  declaredType(type: ColumnType): string;
  /** The model type introspection reports for a column of this type (normalized; `enum:<name>` for type-style enums). */
  modelType(type: ColumnType): string;
  /** The normalized default introspection reports for this default on a column of `type`, or null. */
  modelDefault(value: ColumnDefault | undefined, type: ColumnType): string | null;
  /** What introspection reports as `Column.identity` for an `autoIncrement` column. */
  readonly identity: string;
}

/**
 * The operation DSL compiled for one dialect: operations to statements, run on a live
 * connection (SQLite plans table rebuilds that read the live table when they run).
 */
export interface OperationCompiler {
  readonly columns: ColumnModel;
  /** Whether `ops` must run outside a transaction on this dialect (CREATE INDEX CONCURRENTLY). */
  needsNoTransaction(ops: readonly Operation[]): boolean;
  /**
   * Runs `ops` on `conn` (inside the migration's transaction unless {@link needsNoTransaction});
   * returns every statement run, in order. Throws `BAD_OPERATION` (and rebuild errors such as
   * `COLUMN_IN_USE`) as DbDoctorErrors; the caller rolls back.
   */
  run(conn: Connection, ops: readonly Operation[], options?: RunOperationsOptions): Promise<string[]>;
  /**
   * What this dialect cannot run among `ops` at all (a partial index where there are none),
   * as a `BAD_OPERATION` naming the operation's index in `ops`; null when it can run them.
   * Checked when a migration loads, before its history row is written or any statement runs,
   * which matters where DDL is not transactional. Absent: everything is checked by {@link run}.
   */
  refuse?(ops: readonly Operation[]): { index: number; error: DbDoctorError } | null;
  /**
   * The SQL of each of `ops` without a database (a `sql` operation's text as written, not
   * split into statements), where each operation compiles on its own;
   * absent where some depend on the live tables (SQLite's rebuilds): then {@link previewDatabase}
   * is present and `dbdoctor sql` runs them against it. Exactly one of the two is present.
   */
  statements?(ops: readonly Operation[]): string[];
  /**
   * A schema-only copy of `source` (or an empty database), to preview operations against as
   * `apply` would run them. The caller closes it.
   */
  previewDatabase?(source: Connection | null): Promise<Connection>;
  /** Tables `ops` rebuild by copying every row (empty where the dialect alters in place), for lints. */
  rebuiltTables(ops: readonly Operation[]): string[];
  /**
   * How many statements {@link run} runs for `ops`, known before the first one runs, so a
   * failure can say "statement 2 of 4" and history can record the total; null when it depends
   * on the live database (a table rebuild's batches, an index only the catalog knows of).
   */
  statementCount(ops: readonly Operation[]): number | null;
}

/** What a dialect does around a migration's transaction (see {@link Dialect.guardMigration}). */
export interface MigrationGuard {
  /**
   * Inside the transaction, just before COMMIT: throws a DbDoctorError when the migration
   * left the database in a state the dialect would otherwise have refused; returns warnings
   * (problems that were there before the migration).
   */
  beforeCommit(): Promise<string[]>;
  /** After COMMIT or ROLLBACK, outside the transaction: puts the connection's settings back. */
  restore(): Promise<void>;
}

/**
 * How a statement run outside a transaction behaves when it fails. `atomic`: it happened
 * entirely or not at all, so a retry is safe. `concurrent-index`: it may leave an invalid index,
 * so a retry is safe only once that index is dropped. `not-retryable`: it may have partly
 * happened in a way only a different statement completes.
 */
export type StatementKind = 'atomic' | 'concurrent-index' | 'not-retryable';

/** What a failed phased statement can leave behind, read from the catalog. */
export interface PhasedStatements {
  classify(sql: string): StatementKind;
  /** Quoted, schema-qualified names of every invalid (non-partitioned) index in the database. */
  invalidIndexes(conn: Connection): Promise<string[]>;
  /** The index a CREATE INDEX CONCURRENTLY statement names, if it exists and is invalid. */
  namedInvalidIndex(conn: Connection, sql: string): Promise<string | null>;
  /** A statement that drops an index without blocking writes. */
  dropIndexSql(qualifiedName: string): string;
}

/** What introspection reads. */
export interface IntrospectOptions {
  /** PostgreSQL schema (namespace). Default `public`. Ignored by SQLite. */
  schema?: string;
  /** Tables left out: dbdoctor's own history and lock tables. */
  exclude: string[];
  /**
   * A memo the caller keeps between introspections of the same connection (the doctor's
   * replay introspects after every migration); a dialect may reuse what did not change.
   */
  memo?: Map<string, unknown>;
  /**
   * Since the previous introspection with this `memo`, code may have reached the database by
   * another way than the statements sent through `conn` (the replay ran a migration written as
   * a function): a dialect that re-reads only what those statements touched reads everything.
   */
  untracked?: boolean;
}

/** How a scratch database is made. */
export interface ScratchOptions {
  /**
   * The server `conn` points at is a scratch server of its own (`--scratch-url`): statements
   * reaching beyond the scratch database may run there. Default false.
   */
  isolated?: boolean;
  /**
   * The live database the scratch database stands in for, when `conn` is another server's
   * (`--scratch-url`): the scratch database takes its defaults (MySQL: the default character
   * set and collation). Default: the database `conn` is on.
   */
  live?: Connection;
}

/** A statement the replay did not run because its effect would leave the scratch database. */
export interface SkippedStatement {
  statement: string;
  /** Why it reaches beyond the scratch database, in words. */
  reason: string;
}

/** A database that exists only while it is needed. */
export interface ScratchDatabase {
  conn: Connection;
  /** Closes and removes it; safe to call twice. */
  dispose(): Promise<void>;
  /** Statements not run so far (appended as they come; see {@link ScratchOptions.isolated}). */
  skipped: SkippedStatement[];
  /**
   * What killed doctors left and was removed before this one was made: scratch database names,
   * and `account 'user'@'host'` for a dialect's throwaway accounts.
   */
  removedLeftovers: string[];
  /**
   * How statements reaching beyond the scratch database are kept from running, in words (for
   * the doctor's output), where the dialect has more than one way; absent otherwise.
   */
  confinement?: string;
}

/** Progress of a backup or restore, in pages. */
export interface CopyProgress {
  totalPages: number;
  remainingPages: number;
}

/** Online backup of a live database file, and putting a copy back. */
export interface BackupSupport {
  /** Copies the live database into `destination` (a new file) and removes lock rows from the copy. */
  backup(
    conn: Connection,
    destination: string,
    lockTable: string,
    onProgress?: (p: CopyProgress) => void,
  ): Promise<void>;
  /**
   * Throws `BAD_BACKUP` unless `source` is a regular file holding a healthy database; never
   * opens anything but a regular file (opening a FIFO would wait for a writer forever).
   */
  verify(source: string): Promise<void>;
  /** Checks `source` (as {@link verify}), then copies it over the live one. */
  restore(conn: Connection, source: string, onProgress?: (p: CopyProgress) => void): Promise<void>;
  /** True when the database holds no schema object but the tables named in `ignore`. */
  isBlank(conn: Connection, ignore: readonly string[]): Promise<boolean>;
}

/** How {@link SessionStorage.open} opens a database it parsed. */
export interface SessionStorageOptions {
  /** Base folder for relative file paths. */
  cwd?: string;
  /** Connections in the pool opened for a server URL. */
  poolSize: number;
  /** How the pool's connections introduce themselves to the server, where it asks. */
  applicationName: string;
  /** How long one statement waits for another connection's write lock, in ms, where the driver has such a setting. */
  busyTimeoutMs?: number;
}

/** A database opened for dbdoctor/sessions: the backends over it share its connection or pool. */
export interface SessionDatabase {
  /** The session store's statements over it; closing the backend closes what was opened. */
  sessionBackend(): SessionBackend;
  /** The login throttle's statements over it; closing the backend closes what was opened. */
  throttleBackend(): ThrottleBackend;
  /** Closes what {@link SessionStorage.open} opened (a caller's handle stays open). */
  close(): Promise<void>;
}

/**
 * The session store and login throttle on a dialect (role file `sessions.ts`): every statement
 * src/sessions/ runs on this database. The rules (validation, expiry, merge, the throttle's
 * window) stay in src/sessions/ and are the same on every backend; each backend method here is
 * one atomic step, with keys and values bound as parameters. The tables come from the
 * dialect's folder in `sessions-migrations/`.
 */
export interface SessionStorage {
  /**
   * Opens a target this dialect parsed (a file that must exist, or a pool of
   * `options.poolSize` connections; a wrong URL fails here with the migration commands'
   * error), or wraps a driver handle the dialect {@link Dialect.accepts} (left open on close).
   */
  open(
    source: { target: DatabaseTarget } | { handle: unknown },
    options: SessionStorageOptions,
  ): Promise<SessionDatabase>;
  /**
   * The DbDoctorError the migration commands give for a driver error a session command met on
   * `target` (SQLite: busy after `busyTimeoutMs` is `LOCK_TIMEOUT`, a read-only or damaged
   * file says so), or null to report it as it is.
   */
  describeError?(
    error: unknown,
    target: DatabaseTarget,
    busyTimeoutMs: number | undefined,
  ): DbDoctorError | null;
}
