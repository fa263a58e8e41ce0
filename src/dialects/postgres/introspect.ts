import type { Column, ForeignKey, Index, Schema, Table } from '../../schema/model.js';
import {
  normalizeAction,
  normalizeExpression,
  normalizeSchema,
  normalizeType,
} from '../../schema/normalize.js';
import type { IntrospectOptions } from '../dialect.js';
import { nameFilter } from '../exclude.js';
import type { PostgresConnection } from './driver.js';

// Each query reads one kind of object for every table of the schema at once, so the cost
// does not grow with a round trip per table.

const TABLES_SQL = `
SELECT c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`;

const COLUMNS_SQL = `
SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
  t.typtype AS typtype, t.typname AS typname, a.attnotnull AS notnull,
  pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attgenerated AS generated, a.attidentity AS identity,
  CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum`;

const CONSTRAINTS_SQL = `
SELECT c.relname AS table_name, con.conname AS name, con.contype AS type,
  ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
  rc.relname AS ref_table,
  ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
  con.confdeltype AS on_delete, con.confupdtype AS on_update,
  CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid, true) END AS definition
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY c.relname, con.conname`;

const INDEXES_SQL = `
SELECT c.relname AS table_name, i.relname AS name, x.indisunique AS is_unique, am.amname AS method,
  pg_get_expr(x.indpred, x.indrelid, true) AS predicate,
  x.indkey::int2[] AS key_columns, x.indoption::int2[] AS key_options,
  ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) k ORDER BY k) AS key_defs
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname, i.relname`;

const ENUMS_SQL = `
SELECT t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype = 'e'`;

const VIEWS_SQL = `
SELECT c.relname AS name, c.relkind AS kind, pg_get_viewdef(c.oid, true) AS definition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')`;

const TRIGGERS_SQL = `
SELECT t.tgname AS name, c.relname AS table_name, pg_get_triggerdef(t.oid, true) AS definition
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT t.tgisinternal`;

const ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

interface ColumnRow {
  table_name: string;
  name: string;
  type: string;
  typtype: string;
  typname: string;
  notnull: boolean;
  default_expr: string | null;
  generated: string;
  identity: string;
  collation: string | null;
}

interface ConstraintRow {
  table_name: string;
  name: string;
  type: 'p' | 'u' | 'f' | 'c';
  columns: string[];
  ref_table: string | null;
  ref_columns: string[];
  on_delete: string;
  on_update: string;
  definition: string | null;
}

interface IndexRow {
  table_name: string;
  name: string;
  is_unique: boolean;
  method: string;
  predicate: string | null;
  key_columns: number[];
  key_options: number[];
  key_defs: string[];
}

function toColumn(r: ColumnRow): Column {
  const isGenerated = r.generated === 's';
  return {
    name: r.name,
    type: r.typtype === 'e' ? `enum:${r.typname}` : normalizeType(r.type),
    nullable: !r.notnull,
    default: !isGenerated && r.default_expr !== null ? normalizeExpression(r.default_expr) : null,
    generated:
      isGenerated && r.default_expr !== null ? `${normalizeExpression(r.default_expr)} stored` : null,
    collation: r.collation,
    identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null,
  };
}

function toIndex(r: IndexRow): Index {
  return {
    name: r.name,
    unique: r.is_unique,
    keys: r.key_defs.map((def, i) => ({
      column: r.key_columns[i] !== 0 ? def.replace(/^"(.*)"$/, '$1').replaceAll('""', '"') : null,
      expression: r.key_columns[i] === 0 ? normalizeExpression(def) : null,
      // indoption bit 0 is DESC.
      descending: ((r.key_options[i] ?? 0) & 1) === 1,
      collation: null,
    })),
    where: r.predicate === null ? null : normalizeExpression(r.predicate),
    method: r.method === 'btree' ? null : r.method,
  };
}

/**
 * Names of the relations and types of schema `ns` that belong to an extension (pg_depend
 * deptype 'e', PG docs "Packaging Related Objects into an Extension"): dropped and created
 * with it, never by a migration's own statements.
 */
async function extensionMembers(conn: PostgresConnection, ns: string): Promise<string[]> {
  const rows = await conn.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
     WHERE n.nspname = $1
     UNION
     SELECT t.typname FROM pg_catalog.pg_type t
       JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
     WHERE n.nspname = $1`,
    [ns],
  );
  return rows.map((r) => r.name);
}

/**
 * Reads one schema (default `public`) of a live PostgreSQL database into the schema model,
 * from pg_catalog, in a handful of queries whatever the number of tables. Read-only.
 */
export async function introspectPostgres(
  conn: PostgresConnection,
  options: IntrospectOptions,
): Promise<Schema> {
  const ns = options.schema ?? 'public';
  // Objects an extension created (pg_stat_statements' view, …) are the extension's, not the user's.
  const excluded = nameFilter([...options.exclude, ...(await extensionMembers(conn, ns))]);
  // One client runs one query at a time; issuing them together is deprecated in pg.
  const tables = await conn.query<{ name: string; kind: string; persistence: string }>(TABLES_SQL, [ns]);
  const columns = await conn.query<ColumnRow & Record<string, unknown>>(COLUMNS_SQL, [ns]);
  const constraints = await conn.query<ConstraintRow & Record<string, unknown>>(CONSTRAINTS_SQL, [ns]);
  const indexes = await conn.query<IndexRow & Record<string, unknown>>(INDEXES_SQL, [ns]);
  const enums = await conn.query<{ name: string; labels: string[] }>(ENUMS_SQL, [ns]);
  const views = await conn.query<{ name: string; kind: string; definition: string }>(VIEWS_SQL, [ns]);
  const triggers = await conn.query<{ name: string; table_name: string; definition: string }>(TRIGGERS_SQL, [
    ns,
  ]);

  const schema: Schema = { dialect: 'postgres', tables: {}, enums: {}, views: {}, triggers: {} };
  for (const t of tables) {
    if (excluded.has(t.name)) continue;
    const options: string[] = [];
    if (t.kind === 'p') options.push('partitioned');
    if (t.persistence === 'u') options.push('unlogged');
    schema.tables[t.name] = {
      name: t.name,
      columns: [],
      primaryKey: null,
      uniques: [],
      indexes: [],
      foreignKeys: [],
      checks: [],
      options,
    };
  }
  const tableOf = (name: string): Table | undefined => schema.tables[name];
  for (const c of columns) tableOf(c.table_name)?.columns.push(toColumn(c));
  for (const c of constraints) {
    const table = tableOf(c.table_name);
    if (!table) continue;
    if (c.type === 'p') table.primaryKey = c.columns;
    else if (c.type === 'u') table.uniques.push({ name: c.name, columns: c.columns });
    else if (c.type === 'c')
      table.checks.push({
        name: c.name,
        expression: normalizeExpression((c.definition ?? '').replace(/^CHECK\s*/i, '')),
      });
    else if (c.type === 'f') {
      const fk: ForeignKey = {
        name: c.name,
        columns: c.columns,
        referencedTable: c.ref_table ?? '',
        referencedColumns: c.ref_columns,
        onDelete: normalizeAction(ACTIONS[c.on_delete]),
        onUpdate: normalizeAction(ACTIONS[c.on_update]),
      };
      table.foreignKeys.push(fk);
    }
  }
  for (const i of indexes) tableOf(i.table_name)?.indexes.push(toIndex(i));
  for (const e of enums) if (!excluded.has(e.name)) schema.enums[e.name] = { name: e.name, values: e.labels };
  for (const v of views) {
    if (excluded.has(v.name)) continue;
    const body = normalizeExpression(v.definition.replace(/;\s*$/, ''));
    schema.views[v.name] = { name: v.name, definition: v.kind === 'm' ? `materialized: ${body}` : body };
  }
  for (const g of triggers) {
    if (excluded.has(g.table_name)) continue;
    schema.triggers[g.name] = {
      name: g.name,
      table: g.table_name,
      definition: normalizeExpression(g.definition),
    };
  }
  return normalizeSchema(schema);
}
