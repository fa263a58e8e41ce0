/**
 * The operation DSL's data: plain objects describing one schema change each. Builders in
 * builders.ts make them; sqlite.ts and postgres.ts compile them; fold.ts applies them to the
 * schema model; inverse.ts derives `down`.
 */
import type { DialectName } from '../dialects/dialect.js';
import type { ReferentialAction } from '../schema/model.js';

/**
 * Portable column types. Mapping per dialect (see portable.ts):
 *
 * | portable  | SQLite  | PostgreSQL                 |
 * |-----------|---------|----------------------------|
 * | text      | TEXT    | text                       |
 * | integer   | INTEGER | integer                    |
 * | bigint    | INTEGER | bigint                     |
 * | boolean   | INTEGER | boolean                    |
 * | real      | REAL    | double precision           |
 * | numeric   | NUMERIC | numeric                    |
 * | timestamp | TEXT    | timestamp with time zone   |
 * | date      | TEXT    | date                       |
 * | json      | TEXT    | jsonb                      |
 * | uuid      | TEXT    | uuid                       |
 * | blob      | BLOB    | bytea                      |
 */
export type PortableType =
  | 'text'
  | 'integer'
  | 'bigint'
  | 'boolean'
  | 'real'
  | 'numeric'
  | 'timestamp'
  | 'date'
  | 'json'
  | 'uuid'
  | 'blob';

/** A column typed by an enum: a PostgreSQL enum type, a CHECKed TEXT column on SQLite. */
export interface EnumRef {
  readonly enum: string;
  readonly values: readonly string[];
}

/** A column's type. */
export type ColumnType = PortableType | EnumRef;

/**
 * SQL written per dialect, keyed by the dialect's name:
 * `{ sqlite: '…', postgres: '…', mysql: '…' }`. Every key must name a registered dialect (a
 * misspelt one is refused when the migration loads), and a migration whose SQL leaves out the
 * dialect it runs on is refused before anything runs. A dialect added later is one more key.
 */
export type PerDialectSql = { readonly [dialect in DialectName]?: string };

/** SQL text: the same on every dialect, or {@link PerDialectSql}. */
export type SqlText = string | PerDialectSql;

/** A default: a literal, the current time, or SQL (per dialect when they differ). */
export type ColumnDefault =
  | string
  | number
  | boolean
  | null
  | { readonly now: true }
  | { readonly sql: SqlText };

/** A column as the DSL declares it. */
export interface ColumnSpec {
  readonly type: ColumnType;
  /** Default true, except for primary key columns. */
  readonly nullable?: boolean;
  readonly default?: ColumnDefault;
  /** A one-column primary key. */
  readonly primaryKey?: boolean;
  /**
   * With `primaryKey` on an integer/bigint: SQLite AUTOINCREMENT, PostgreSQL identity, MySQL
   * AUTO_INCREMENT. `{ type: 'integer', primaryKey: true, autoIncrement: true }` works on every
   * dialect; anything else (`identity`, `serial`) is refused when the migration loads.
   */
  readonly autoIncrement?: boolean;
  readonly unique?: boolean;
  /** A one-column foreign key. */
  readonly references?: { readonly table: string; readonly column: string } & ForeignKeyActions;
}

/** ON DELETE / ON UPDATE of a foreign key (default NO ACTION). */
export interface ForeignKeyActions {
  readonly onDelete?: ReferentialAction;
  readonly onUpdate?: ReferentialAction;
}

/** A table-level foreign key. */
export interface ForeignKeySpec extends ForeignKeyActions {
  /** Needed to drop it later; default `<table>_<columns>_fkey`. */
  readonly name?: string;
  readonly columns: readonly string[];
  readonly references: { readonly table: string; readonly columns: readonly string[] };
}

/** A CHECK constraint. `expression` is SQL, the same on both dialects. */
export interface CheckSpec {
  readonly name: string;
  readonly expression: string;
}

/** Everything `createTable` takes. */
export interface TableSpec {
  /** In order. */
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  /** A composite primary key (or use `primaryKey: true` on one column). */
  readonly primaryKey?: readonly string[];
  readonly unique?: readonly (readonly string[])[];
  readonly checks?: readonly CheckSpec[];
  readonly foreignKeys?: readonly ForeignKeySpec[];
}

/** Options of `createIndex`. */
export interface IndexSpec {
  readonly name?: string;
  readonly unique?: boolean;
  /** A partial index's predicate (SQL). */
  readonly where?: string;
  /** PostgreSQL: CREATE INDEX CONCURRENTLY, which makes the migration non-transactional. */
  readonly concurrently?: boolean;
}

/** What `alterColumn` changes; leave out what stays. */
export interface ColumnChange {
  readonly type?: ColumnType;
  readonly nullable?: boolean;
  /** `null` removes the default. */
  readonly default?: ColumnDefault;
}

/** One schema change. */
export type Operation =
  | { readonly kind: 'createTable'; readonly table: string; readonly spec: TableSpec }
  | { readonly kind: 'dropTable'; readonly table: string; readonly definition?: TableSpec }
  | { readonly kind: 'renameTable'; readonly table: string; readonly to: string }
  | { readonly kind: 'addColumn'; readonly table: string; readonly column: string; readonly spec: ColumnSpec }
  | {
      readonly kind: 'dropColumn';
      readonly table: string;
      readonly column: string;
      readonly definition?: ColumnSpec;
    }
  | {
      readonly kind: 'alterColumn';
      readonly table: string;
      readonly column: string;
      readonly change: ColumnChange;
      /** What the changed attributes were (needed to derive `down`). */
      readonly from?: ColumnChange;
    }
  | { readonly kind: 'renameColumn'; readonly table: string; readonly column: string; readonly to: string }
  | {
      readonly kind: 'createIndex';
      readonly table: string;
      readonly columns: readonly string[];
      readonly name: string;
      readonly spec: IndexSpec;
    }
  | {
      readonly kind: 'dropIndex';
      readonly name: string;
      /** The dropped index's definition (needed to derive `down`). */
      readonly definition?: {
        readonly table: string;
        readonly columns: readonly string[];
        readonly spec: IndexSpec;
      };
    }
  | {
      readonly kind: 'addForeignKey';
      readonly table: string;
      readonly spec: ForeignKeySpec & { readonly name: string };
    }
  | {
      readonly kind: 'dropForeignKey';
      readonly table: string;
      readonly name: string;
      readonly definition?: ForeignKeySpec;
    }
  | { readonly kind: 'addCheck'; readonly table: string; readonly spec: CheckSpec }
  | {
      readonly kind: 'dropCheck';
      readonly table: string;
      readonly name: string;
      readonly expression?: string;
    }
  | { readonly kind: 'createEnum'; readonly name: string; readonly values: readonly string[] }
  | { readonly kind: 'dropEnum'; readonly name: string; readonly values?: readonly string[] }
  | { readonly kind: 'addEnumValue'; readonly name: string; readonly value: string }
  | {
      readonly kind: 'sql';
      readonly up: SqlText;
      readonly down?: SqlText;
    };

/** The kind of an operation. */
export type OperationKind = Operation['kind'];
