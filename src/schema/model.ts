/**
 * The schema model: a plain, dialect-neutral description of a database schema. Three
 * producers (introspection of a live database, replay of migrations into a scratch database,
 * and, later, folding DSL operations) and one main consumer: {@link diff}.
 *
 * Everything is plain JSON so a model can be cached on disk and printed with `--json`.
 */

/** ON DELETE / ON UPDATE actions, spelled as SQL spells them. */
export type ReferentialAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

/** A column. `type` is normalized (see normalize.ts) so equal meanings compare equal. */
export interface Column {
  name: string;
  /** Normalized type, e.g. `integer`, `text`, `varchar(40)`, `numeric(10,2)`, `enum:status`. */
  type: string;
  nullable: boolean;
  /** Normalized default expression, or null when there is none. */
  default: string | null;
  /** Generated column expression (`GENERATED ALWAYS AS`), or null. */
  generated: string | null;
  /** Collation when not the default, or null. */
  collation: string | null;
  /** PostgreSQL identity (`always`/`by default`) or SQLite AUTOINCREMENT (`autoincrement`), or null. */
  identity: string | null;
  /**
   * Properties beyond the above, each a short SQL phrase (MySQL/MariaDB: `invisible`, `without
   * system versioning`). Absent or empty means none: the default.
   */
  extras?: string[];
}

/** One key part of an index: a column or an expression, with its order. */
export interface IndexKey {
  /** Column name, or null when the key is an expression. */
  column: string | null;
  /** The expression text when `column` is null. */
  expression: string | null;
  descending: boolean;
  collation: string | null;
}

/** An index that is not the implementation of a PRIMARY KEY or UNIQUE constraint. */
export interface Index {
  name: string;
  unique: boolean;
  keys: IndexKey[];
  /** The WHERE clause of a partial index, or null. */
  where: string | null;
  /** Access method when not the default (PostgreSQL: gin, gist, ...), or null. */
  method: string | null;
  /** Properties beyond the above, as the database reports them ({@link ConstraintExtras}). */
  extras?: string[];
}

/**
 * Properties of an index or constraint that the structured fields above do not hold, each a
 * short SQL phrase read from the catalog (`include (b)`, `opclass text_pattern_ops on key 1`,
 * `deferrable`, `not valid`, `invalid`, ...). Absent or empty means none: the default.
 */
export type ConstraintExtras = string[];

/** A UNIQUE constraint. Names are not compared (SQLite does not keep them). */
export interface UniqueConstraint {
  name: string | null;
  columns: string[];
  /** `nulls not distinct`, `include (...)`, `deferrable`, ... ({@link ConstraintExtras}). */
  extras?: ConstraintExtras;
}

/** A FOREIGN KEY constraint. */
export interface ForeignKey {
  name: string | null;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
  /** `match full`, `deferrable`, `not valid`, ... ({@link ConstraintExtras}). */
  extras?: ConstraintExtras;
}

/** A CHECK constraint. */
export interface CheckConstraint {
  name: string | null;
  expression: string;
  /** `no inherit`, `not valid` ({@link ConstraintExtras}). */
  extras?: ConstraintExtras;
}

/** A table with everything attached to it. */
export interface Table {
  name: string;
  /** In declaration order (order is shown, not compared). */
  columns: Column[];
  /** Primary key columns in key order, or null. */
  primaryKey: string[] | null;
  uniques: UniqueConstraint[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
  checks: CheckConstraint[];
  /**
   * Dialect table options that change behaviour: SQLite `strict`, `without rowid`;
   * PostgreSQL `unlogged`, `partition by ...`, `partition of ...`, `row level security`, ...
   */
  options: string[];
  /**
   * Objects attached to the table that have no structured form, keyed by what identifies
   * them (`exclude <definition>`, `policy <name>`, `rule <name>`, `primary key`), each with
   * its definition as the database deparses it. Absent means none.
   */
  attached?: Record<string, string>;
}

/** A PostgreSQL enum type (on SQLite, enums are CHECKed TEXT columns and this map stays empty). */
export interface EnumType {
  name: string;
  values: string[];
}

/** A view and its normalized definition. */
export interface View {
  name: string;
  definition: string;
}

/** A trigger and its normalized definition. */
export interface Trigger {
  name: string;
  table: string;
  definition: string;
}

/**
 * Any other schema object, held as the database deparses it (PostgreSQL: domains, functions,
 * sequences, composite and range types, extensions, rules, indexes of materialized views;
 * SQLite: virtual tables). Compared by definition; the structured model has no words for
 * them beyond "differs".
 */
export interface SchemaObject {
  /** `domain`, `function`, `sequence`, `type`, `extension`, `index`, `virtual table`, ... */
  kind: string;
  /** The object's name (with its argument types for functions). */
  name: string;
  /** The normalized definition. */
  definition: string;
}

/** A whole schema. Maps are keyed by name; {@link normalizeSchema} sorts them. */
export interface Schema {
  /** The dialect's name (`sqlite`, `postgres`, ...). */
  dialect: string;
  tables: Record<string, Table>;
  enums: Record<string, EnumType>;
  views: Record<string, View>;
  /** Keyed by name on SQLite, by `<name> on <table>` on PostgreSQL (names are unique per table). */
  triggers: Record<string, Trigger>;
  /** Other objects, keyed `kind:name` ({@link objectKey}). Absent means none. */
  objects?: Record<string, SchemaObject>;
}

/** The key of an object of {@link Schema.objects}: `kind:name`. */
export function objectKey(o: Pick<SchemaObject, 'kind' | 'name'>): string {
  return `${o.kind}:${o.name}`;
}

/** Adds (or replaces) one of {@link Schema.objects}. */
export function putObject(schema: Schema, object: SchemaObject): void {
  schema.objects = { ...schema.objects, [objectKey(object)]: object };
}

/** An empty schema for a dialect. */
export function emptySchema(dialect: Schema['dialect']): Schema {
  return { dialect, tables: {}, enums: {}, views: {}, triggers: {}, objects: {} };
}

/** Number of objects (tables, enums, views, triggers) in a schema. */
export function objectCount(schema: Schema): number {
  return (
    Object.keys(schema.tables).length +
    Object.keys(schema.enums).length +
    Object.keys(schema.views).length +
    Object.keys(schema.triggers).length +
    Object.keys(schema.objects ?? {}).length
  );
}
