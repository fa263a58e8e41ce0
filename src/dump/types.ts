/**
 * What a dialect provides to write a schema model as SQL: the whole schema in canonical order
 * (schema.sql), and the statements that create, drop or change one object, which `generate`
 * uses where the operation DSL cannot say a change.
 */
import type { Connection } from '../dialects/dialect.js';
import type {
  EnumType,
  ForeignKey,
  Index,
  Schema,
  SchemaObject,
  Table,
  Trigger,
  View,
} from '../schema/model.js';

/**
 * The database's own CREATE statement of objects whose model form is normalized for comparison
 * and cannot be run again as it is (a PostgreSQL function body, a SQLite view with its case),
 * keyed like the fingerprint keys them (`view:v`, `trigger:t`, `function:f(integer)`, ...).
 */
export type ObjectSources = Record<string, string>;

/** The SQL of one dialect for schema objects. Pure except {@link SchemaSqlDialect.readSources}. */
export interface SchemaSqlDialect {
  /**
   * CREATE TABLE checks that the tables its foreign keys name exist (PostgreSQL), so tables
   * that name each other get those keys after both exist; SQLite checks nothing then.
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
}
