/**
 * The schema model written as SQLite SQL: schema.sql in canonical order, and the statements
 * `generate` uses for changes the operation DSL cannot say (a table rebuild as SQLite's
 * documentation prescribes it: create the new table, copy, drop, rename, recreate).
 */

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
} from '../../schema/model.js';
import { normalizeType } from '../../schema/normalize.js';
import type { Connection, ObjectSources, SchemaSql } from '../dialect.js';
import { mentionsIdentifier, viewsInOrder } from '../view-order.js';
import { quoteIdent, quoteLiteral } from './quote.js';

const q = quoteIdent;

/** A model type as SQLite declares it (`any` is a column without a type, or ANY in a STRICT table). */
function typeSql(type: string, strict: boolean): string {
  if (type === 'any') return strict ? 'ANY' : '';
  return type.toUpperCase();
}

/**
 * An expression of the model as SQL. Normalization keeps tokens one space apart, which splits a
 * blob literal (`x''`) into a word and a string: joined again here.
 */
function sql(expression: string): string {
  return expression.replace(/(^|[^A-Za-z0-9_$"])x '/g, "$1x'");
}

/** A default after DEFAULT: in parentheses, which SQLite drops when it reports the default. */
function defaultSql(expression: string): string {
  return `(${sql(expression)})`;
}

/**
 * The key of a column's declared type in {@link ObjectSources}. The model's type is normalized
 * (`int` and `INTEGER` are both `integer`), but in SQLite the spelling carries meaning: only
 * a key declared exactly INTEGER is a rowid alias (never NULL), and affinity follows the
 * words of the declared type (`STRING` is NUMERIC, `TEXT` is TEXT).
 */
export function declaredTypeKey(table: string, column: string): string {
  return `column type:${JSON.stringify([table, column])}`;
}

/**
 * The type a column is written with: as the database declared it when the source says so and
 * it still means the model's type, else the model's type.
 */
function declaredTypeSql(table: Table, c: Column, sources: ObjectSources): string {
  const declared = sources[declaredTypeKey(table.name, c.name)];
  if (declared !== undefined && c.type !== 'any' && normalizeType(declared) === c.type) return declared;
  return typeSql(c.type, table.options.includes('strict'));
}

/**
 * A lone INTEGER key of a rowid table that may hold NULL: a table constraint would make it the
 * rowid alias (NOT NULL), so it is declared inline with DESC, the form SQLite keeps as an
 * ordinary key (https://sqlite.org/lang_createtable.html#rowid).
 */
function nullableIntegerKey(table: Table, c: Column, type: string): boolean {
  return (
    c.nullable &&
    type.trim().toUpperCase() === 'INTEGER' &&
    table.primaryKey?.length === 1 &&
    table.primaryKey[0] === c.name &&
    !table.options.includes('without rowid')
  );
}

function columnSql(table: Table, c: Column, inlinePk: boolean, sources: ObjectSources): string {
  const parts = [q(c.name)];
  const type = declaredTypeSql(table, c, sources);
  if (type) parts.push(type);
  if (inlinePk) parts.push('PRIMARY KEY AUTOINCREMENT');
  else if (nullableIntegerKey(table, c, type)) parts.push('PRIMARY KEY DESC');
  if (!c.nullable) parts.push('NOT NULL');
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.default !== null) parts.push(`DEFAULT ${defaultSql(c.default)}`);
  if (c.generated) {
    const stored = / stored$/.exec(c.generated);
    const expression = c.generated.replace(/ (stored|virtual)$/, '');
    parts.push(`GENERATED ALWAYS AS (${sql(expression)})${stored ? ' STORED' : ' VIRTUAL'}`);
  }
  return parts.join(' ');
}

function names(list: readonly string[]): string {
  return list.map(q).join(', ');
}

function foreignKeySql(f: ForeignKey): string {
  const actions = `${f.onDelete !== 'NO ACTION' ? ` ON DELETE ${f.onDelete}` : ''}${f.onUpdate !== 'NO ACTION' ? ` ON UPDATE ${f.onUpdate}` : ''}`;
  const extras = (f.extras ?? []).map((e) => ` ${e.toUpperCase()}`).join('');
  return `${f.name ? `CONSTRAINT ${q(f.name)} ` : ''}FOREIGN KEY (${names(f.columns)}) REFERENCES ${q(f.referencedTable)} (${names(f.referencedColumns)})${actions}${extras}`;
}

/** The CREATE TABLE statement of `table` (without its indexes). */
export function createTableStatement(table: Table, name = table.name, sources: ObjectSources = {}): string {
  const autoincrement = table.columns.find((c) => c.identity === 'autoincrement');
  const items = table.columns.map((c) => columnSql(table, c, c === autoincrement, sources));
  const inlineKey = table.columns.some(
    (c) => c !== autoincrement && nullableIntegerKey(table, c, declaredTypeSql(table, c, sources)),
  );
  if (table.primaryKey && !autoincrement && !inlineKey)
    items.push(`PRIMARY KEY (${names(table.primaryKey)})`);
  for (const u of table.uniques) items.push(`UNIQUE (${names(u.columns)})`);
  for (const c of table.checks)
    items.push(`${c.name ? `CONSTRAINT ${q(c.name)} ` : ''}CHECK (${sql(c.expression)})`);
  for (const f of table.foreignKeys) items.push(foreignKeySql(f));
  const options = [...table.options].sort().map((o) => o.toUpperCase());
  return `CREATE TABLE ${q(name)} (\n  ${items.join(',\n  ')}\n)${options.length ? ` ${options.join(', ')}` : ''}`;
}

function indexStatement(table: Table, i: Index): string {
  const keys = i.keys.map(
    (k) =>
      `${k.column !== null ? q(k.column) : `(${sql(k.expression ?? '')})`}${k.collation ? ` COLLATE ${k.collation}` : ''}${k.descending ? ' DESC' : ''}`,
  );
  return `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} ON ${q(table.name)} (${keys.join(', ')})${i.where ? ` WHERE ${sql(i.where)}` : ''}`;
}

function mentions(text: string, name: string): boolean {
  return mentionsIdentifier(text, name, '"', true);
}

function viewSql(view: View, sources: Record<string, string>): string {
  return sources[`view:${view.name}`] ?? view.definition;
}

function triggerSql(trigger: Trigger, sources: Record<string, string>): string {
  return sources[`trigger:${trigger.name}`] ?? trigger.definition;
}

function objectSql(object: SchemaObject, sources: Record<string, string>): string {
  return sources[`${object.kind}:${object.name}`] ?? object.definition;
}

/** Views and triggers that name `table`: a rebuild drops and recreates them around the rename. */
function dependents(schema: Schema, table: string): { views: View[]; triggers: Trigger[] } {
  return {
    views: Object.values(schema.views).filter((v) => mentions(v.definition, table)),
    triggers: Object.values(schema.triggers).filter(
      (t) => t.table === table || mentions(t.definition, table),
    ),
  };
}

export const sqliteSchemaSql: SchemaSql = {
  checksReferencesAtCreate: false,
  addForeignKey(table, foreignKey) {
    return (
      sqliteSchemaSql.alterTable(
        table,
        { ...table, foreignKeys: [...table.foreignKeys, foreignKey] },
        { dialect: 'sqlite', tables: {}, enums: {}, views: {}, triggers: {} },
        {},
      ) ?? []
    );
  },
  schemaStatements(schema, sources) {
    const out: string[] = [];
    for (const table of Object.values(schema.tables)) {
      out.push(createTableStatement(table, table.name, sources));
      for (const i of table.indexes) out.push(indexStatement(table, i));
    }
    for (const o of Object.values(schema.objects ?? {})) out.push(objectSql(o, sources));
    for (const v of viewsInOrder(Object.values(schema.views), mentions)) out.push(viewSql(v, sources));
    for (const t of Object.values(schema.triggers)) out.push(triggerSql(t, sources));
    return out;
  },
  createTable(table) {
    return [createTableStatement(table), ...table.indexes.map((i) => indexStatement(table, i))];
  },
  dropTable(table) {
    return [`DROP TABLE ${q(table.name)}`];
  },
  alterTable(from, to, schema, sources) {
    // SQLite's "making other kinds of table schema changes" procedure: the new table under a
    // temporary name, rows copied by column name, the old table dropped, the new one renamed.
    // Views and triggers that name the table are dropped first and created again after.
    const temporary = `${to.name}__dbdoctor_new`;
    const kept = to.columns.filter(
      (c) => c.generated === null && from.columns.some((f) => f.name === c.name && f.generated === null),
    );
    const { views, triggers } = dependents(schema, to.name);
    const out: string[] = [];
    for (const t of triggers) out.push(`DROP TRIGGER IF EXISTS ${q(t.name)}`);
    for (const v of [...viewsInOrder(views, mentions)].reverse())
      out.push(`DROP VIEW IF EXISTS ${q(v.name)}`);
    out.push(createTableStatement(to, temporary, sources));
    if (kept.length > 0)
      out.push(
        `INSERT INTO ${q(temporary)} (${names(kept.map((c) => c.name))}) SELECT ${names(kept.map((c) => c.name))} FROM ${q(from.name)}`,
      );
    out.push(`DROP TABLE ${q(from.name)}`);
    out.push(`ALTER TABLE ${q(temporary)} RENAME TO ${q(to.name)}`);
    for (const i of to.indexes) out.push(indexStatement(to, i));
    for (const v of viewsInOrder(views, mentions)) out.push(viewSql(v, sources));
    for (const t of triggers) out.push(triggerSql(t, sources));
    return out;
  },
  createIndex: indexStatement,
  dropIndex(_table, index) {
    return `DROP INDEX ${q(index.name)}`;
  },
  createEnum(_e: EnumType) {
    return []; // SQLite has no enum types: a CHECK on each column stands for one
  },
  dropEnum() {
    return [];
  },
  addEnumValue() {
    return null;
  },
  replaceEnum() {
    return null;
  },
  createView(view, sources) {
    return [viewSql(view, sources)];
  },
  dropView(view) {
    return [`DROP VIEW ${q(view.name)}`];
  },
  createTrigger(trigger, sources) {
    return [triggerSql(trigger, sources)];
  },
  dropTrigger(trigger) {
    return [`DROP TRIGGER ${q(trigger.name)}`];
  },
  createObject(object, sources) {
    return [objectSql(object, sources)];
  },
  afterTables() {
    return [];
  },
  orderObjects(objects) {
    return { beforeTables: objects, afterTables: [] };
  },
  dropObject(object) {
    // Virtual tables are SQLite's only other objects.
    return [`DROP TABLE ${q(object.name)}`];
  },
  async readSources(conn: Connection) {
    const rows = await conn.query<{ type: string; name: string; sql: string | null }>(
      "SELECT type, name, sql FROM main.sqlite_schema WHERE type IN ('view', 'trigger', 'table') AND sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    );
    const out: Record<string, string> = {};
    for (const r of rows) {
      const sql = r.sql as string;
      if (r.type === 'table') {
        if (/^\s*CREATE\s+VIRTUAL/i.test(sql)) out[`virtual table:${r.name}`] = sql;
        else {
          const columns = await conn.query<{ name: string; type: string; hidden: number }>(
            `SELECT name, type, hidden FROM pragma_table_xinfo(${quoteLiteral(r.name)}, 'main')`,
          );
          for (const c of columns)
            if (c.hidden !== 1 && c.type.trim() !== '') out[declaredTypeKey(r.name, c.name)] = c.type.trim();
        }
      } else out[`${r.type}:${r.name}`] = sql;
    }
    return out;
  },
  prepareScratch() {
    return [];
  },
};
