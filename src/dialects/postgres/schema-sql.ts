/**
 * The schema model written as PostgreSQL SQL: schema.sql in canonical order (types, sequences,
 * functions, tables, indexes, keys, views, triggers, like pg_dump), and the statements
 * `generate` uses for changes the operation DSL cannot say (ALTER TABLE, in place).
 */

import type {
  CheckConstraint,
  Column,
  ForeignKey,
  Index,
  Schema,
  SchemaObject,
  Table,
  Trigger,
  UniqueConstraint,
  View,
} from '../../schema/model.js';
import { foreignKeyIdentity } from '../../schema/normalize.js';
import type { Connection, ObjectSources, SchemaSql } from '../dialect.js';
import { mentionsIdentifier, viewsInOrder } from '../view-order.js';
import { quoteIdent, quoteLiteral } from './quote.js';

const q = quoteIdent;

function names(list: readonly string[]): string {
  return list.map(q).join(', ');
}

/** Model type names that PostgreSQL spells otherwise. */
const TYPE_SPELLING: Record<string, string> = { double: 'double precision', blob: 'bytea' };

/** A model type as PostgreSQL declares it. */
export function pgTypeSql(type: string): string {
  if (type.startsWith('enum:')) return q(type.slice('enum:'.length));
  const array = /(\[\])+$/.exec(type)?.[0] ?? '';
  const base = type.slice(0, type.length - array.length);
  return (TYPE_SPELLING[base] ?? base) + array;
}

function columnSql(c: Column): string {
  const parts = [q(c.name), pgTypeSql(c.type)];
  if (c.collation) parts.push(`COLLATE ${q(c.collation)}`);
  if (c.generated) parts.push(`GENERATED ALWAYS AS (${c.generated.replace(/ stored$/, '')}) STORED`);
  if (c.identity) parts.push(`GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
  if (!c.nullable) parts.push('NOT NULL');
  if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  return parts.join(' ');
}

function constraintName(name: string | null): string {
  return name ? `CONSTRAINT ${q(name)} ` : '';
}

function uniqueSql(u: UniqueConstraint): string {
  const extras = u.extras ?? [];
  const nnd = extras.includes('nulls not distinct') ? ' NULLS NOT DISTINCT' : '';
  const rest = extras.filter((e) => e !== 'nulls not distinct');
  return `${constraintName(u.name)}UNIQUE${nnd} (${names(u.columns)})${rest.map((e) => ` ${e}`).join('')}`;
}

function checkSql(c: CheckConstraint): string {
  const noInherit = (c.extras ?? []).includes('no inherit') ? ' NO INHERIT' : '';
  return `${constraintName(c.name)}CHECK (${c.expression})${noInherit}`;
}

function notValid(extras: readonly string[] | undefined): boolean {
  return (extras ?? []).includes('not valid');
}

/** The schema a foreign key's table is in, when not the one read (introspection's extra). */
function referencedSchema(f: ForeignKey): string | null {
  const extra = (f.extras ?? []).find((e) => e.startsWith('references schema '));
  return extra ? extra.slice('references schema '.length) : null;
}

function foreignKeySql(f: ForeignKey): string {
  const extras = f.extras ?? [];
  const match = extras.find((e) => e.startsWith('match ')) ?? '';
  const setColumns =
    extras.find((e) => e.startsWith('on delete set ('))?.slice('on delete set '.length) ?? '';
  const deferrable = extras.find((e) => e.startsWith('deferrable')) ?? '';
  return [
    `${constraintName(f.name)}FOREIGN KEY (${names(f.columns)}) REFERENCES ${referencedSchema(f) ? `${q(referencedSchema(f) as string)}.` : ''}${q(f.referencedTable)} (${names(f.referencedColumns)})`,
    match.toUpperCase(),
    `ON DELETE ${f.onDelete}${setColumns ? ` ${setColumns}` : ''}`,
    `ON UPDATE ${f.onUpdate}`,
    deferrable.toUpperCase(),
    notValid(extras) ? 'NOT VALID' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function option(table: Table, prefix: string): string | null {
  const o = table.options.find((x) => x.startsWith(prefix));
  return o === undefined ? null : o.slice(prefix.length);
}

/** The parent and bound of a partition (`partition of <parent> <bound>`), or null. */
function partitionOf(table: Table): { parent: string; bound: string } | null {
  const rest = option(table, 'partition of ');
  if (rest === null) return null;
  const space = rest.indexOf(' ');
  return { parent: rest.slice(0, space), bound: rest.slice(space + 1) };
}

/** Table constraints a partition gets from its parent (left out of its own statements). */
function inheritedFrom(table: Table, schema: Schema): Table | null {
  const p = partitionOf(table);
  return p ? (schema.tables[p.parent] ?? null) : null;
}

function sameCheck(a: CheckConstraint, b: CheckConstraint): boolean {
  return a.expression === b.expression;
}

/** The CREATE TABLE statement (keys, uniques and valid CHECKs inline; foreign keys apart). */
function createTableStatement(table: Table, schema: Schema): string {
  const parent = inheritedFrom(table, schema);
  const items: string[] = [];
  if (!parent) items.push(...table.columns.map(columnSql));
  if (table.primaryKey && !(parent?.primaryKey?.join() === table.primaryKey.join()))
    items.push(
      `PRIMARY KEY (${names(table.primaryKey)})${table.attached?.['primary key'] ? ` ${table.attached['primary key']}` : ''}`,
    );
  for (const u of table.uniques)
    if (!parent?.uniques.some((p) => p.columns.join() === u.columns.join())) items.push(uniqueSql(u));
  for (const c of table.checks)
    if (!notValid(c.extras) && !parent?.checks.some((p) => sameCheck(p, c))) items.push(checkSql(c));
  const unlogged = table.options.includes('unlogged') ? 'UNLOGGED ' : '';
  const partition = partitionOf(table);
  const head = `CREATE ${unlogged}TABLE ${q(table.name)}`;
  const body = items.length > 0 ? ` (\n  ${items.join(',\n  ')}\n)` : partition ? '' : ' ()';
  const by = option(table, 'partition by ');
  const inherits = option(table, 'inherits ');
  if (partition)
    return `${head} PARTITION OF ${q(partition.parent)}${body} ${partition.bound}${by ? ` PARTITION BY ${by}` : ''}`;
  return `${head}${body}${inherits ? ` INHERITS ${inherits.replace(/\(([^)]*)\)/, (_, l: string) => `(${names(l.split(', '))})`)}` : ''}${by ? ` PARTITION BY ${by}` : ''}`;
}

/** Statements that follow CREATE TABLE: row level security, NOT VALID checks, partition columns. */
function tableAfterStatements(table: Table, schema: Schema): string[] {
  const out: string[] = [];
  const t = q(table.name);
  if (table.options.includes('row level security')) out.push(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
  if (table.options.includes('force row level security'))
    out.push(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
  const parent = inheritedFrom(table, schema);
  if (parent) {
    // A partition takes its columns from its parent; what differs is set on the partition.
    for (const c of table.columns) {
      const p = parent.columns.find((x) => x.name === c.name);
      if (!p) continue;
      if (p.default !== c.default)
        out.push(
          `ALTER TABLE ${t} ALTER COLUMN ${q(c.name)} ${c.default === null ? 'DROP DEFAULT' : `SET DEFAULT ${c.default}`}`,
        );
      if (p.nullable && !c.nullable) out.push(`ALTER TABLE ${t} ALTER COLUMN ${q(c.name)} SET NOT NULL`);
    }
  }
  for (const c of table.checks)
    if (notValid(c.extras) && !parent?.checks.some((p) => sameCheck(p, c)))
      out.push(`ALTER TABLE ${t} ADD ${checkSql(c)} NOT VALID`);
  return out;
}

function foreignKeyStatements(table: Table, schema: Schema): string[] {
  const parent = inheritedFrom(table, schema);
  return table.foreignKeys
    .filter((f) => !parent?.foreignKeys.some((p) => foreignKeyIdentity(p) === foreignKeyIdentity(f)))
    .map((f) => `ALTER TABLE ${q(table.name)} ADD ${foreignKeySql(f)}`);
}

function attachedStatements(table: Table): string[] {
  const out: string[] = [];
  for (const [key, definition] of Object.entries(table.attached ?? {})) {
    if (key === 'primary key') continue;
    if (key.startsWith('policy '))
      out.push(`CREATE POLICY ${q(key.slice('policy '.length))} ON ${q(table.name)} AS ${definition}`);
    else out.push(`ALTER TABLE ${q(table.name)} ADD ${definition}`);
  }
  return out;
}

/** Per-key options of an index (`collate "C" on key 1`, ...) as SQL after key `n` (1-based). */
function keyOptions(index: Index, n: number): { before: string; nulls: string } {
  const suffix = ` on key ${n}`;
  const of = (prefix: string) =>
    (index.extras ?? [])
      .find((e) => e.startsWith(prefix) && e.endsWith(suffix))
      ?.slice(prefix.length, -suffix.length);
  const collate = of('collate ');
  const opclass = of('opclass ');
  const nulls = of('nulls ');
  return {
    before: `${collate ? ` COLLATE ${collate}` : ''}${opclass ? ` ${opclass}` : ''}`,
    nulls: nulls ? ` NULLS ${nulls.toUpperCase()}` : '',
  };
}

function indexStatement(table: Table, i: Index): string {
  const keys = i.keys.map((k, n) => {
    const { before, nulls } = keyOptions(i, n + 1);
    const key = k.column !== null ? q(k.column) : `(${k.expression})`;
    return `${key}${before}${k.descending ? ' DESC' : ''}${nulls}`;
  });
  const include = (i.extras ?? []).find((e) => e.startsWith('include ('));
  const nnd = (i.extras ?? []).includes('nulls not distinct') ? ' NULLS NOT DISTINCT' : '';
  return `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} ON ${q(table.name)}${i.method ? ` USING ${i.method}` : ''} (${keys.join(', ')})${include ? ` ${include}` : ''}${nnd}${i.where ? ` WHERE ${i.where}` : ''}`;
}

/** Tables in an order where parents (inheritance, partitioning) come before their children. */
function tablesInOrder(schema: Schema): Table[] {
  const out: Table[] = [];
  const placed = new Set<string>();
  const parentsOf = (t: Table): string[] => {
    const p = partitionOf(t);
    if (p) return [p.parent];
    const inherits = option(t, 'inherits (');
    return inherits ? inherits.replace(/\)$/, '').split(', ') : [];
  };
  const visit = (t: Table, depth: number) => {
    if (placed.has(t.name) || depth > 50) return;
    for (const p of parentsOf(t)) if (schema.tables[p]) visit(schema.tables[p], depth + 1);
    placed.add(t.name);
    out.push(t);
  };
  for (const t of Object.values(schema.tables)) visit(t, 0);
  return out;
}

function mentions(text: string, name: string): boolean {
  return mentionsIdentifier(text, name, '"', false);
}

function viewSql(view: View, sources: ObjectSources): string {
  const source = sources[`view:${view.name}`];
  if (source) return source;
  const materialized = view.definition.startsWith('materialized: ');
  const body = materialized ? view.definition.slice('materialized: '.length) : view.definition;
  return `CREATE ${materialized ? 'MATERIALIZED ' : ''}VIEW ${q(view.name)} AS ${body}`;
}

/**
 * Introspection appends a trigger's or rule's firing state to its definition when it is not
 * the default (`disabled`, `enabled replica`, `enabled always`: ALTER TABLE's words); the
 * definition without it, and the statement that sets it after the CREATE.
 */
const FIRING = / (disabled|enabled replica|enabled always)$/;

function firing(
  definition: string,
  table: string,
  what: 'TRIGGER' | 'RULE',
  name: string,
): { create: string; alter: string[] } {
  const m = FIRING.exec(definition);
  if (!m) return { create: definition, alter: [] };
  const words = m[1] === 'disabled' ? 'DISABLE' : m[1].toUpperCase();
  return {
    create: definition.slice(0, m.index),
    alter: [`ALTER TABLE ${q(table)} ${words} ${what} ${q(name)}`],
  };
}

function triggerSql(trigger: Trigger, sources: ObjectSources): string[] {
  const { create, alter } = firing(trigger.definition, trigger.table, 'TRIGGER', trigger.name);
  return [sources[`trigger:${trigger.name} on ${trigger.table}`] ?? create, ...alter];
}

function ruleSql(o: SchemaObject, sources: ObjectSources): string[] {
  const dot = o.name.indexOf('.');
  const { create, alter } = firing(o.definition, o.name.slice(0, dot), 'RULE', o.name.slice(dot + 1));
  return [sources[`rule:${o.name}`] ?? create, ...alter];
}

/** `name(args)` of a function or aggregate key, cut in two. */
function callable(name: string): { name: string; args: string } {
  const open = name.indexOf('(');
  return { name: name.slice(0, open), args: name.slice(open) };
}

const SEQUENCE =
  /^as (\S+(?: \S+)*?) start (-?\d+) increment (-?\d+) min (-?\d+) max (-?\d+) cache (\d+)( cycle)?(?: owned by (.*))?$/;

function objectSql(o: SchemaObject, sources: ObjectSources): string[] {
  // A rule's firing state is not in its source.
  if (o.kind === 'rule') return ruleSql(o, sources);
  const source = sources[`${o.kind}:${o.name}`];
  if (source) return [source];
  switch (o.kind) {
    case 'extension':
      return [`CREATE EXTENSION IF NOT EXISTS ${q(o.name)}`];
    case 'domain':
      return [`CREATE DOMAIN ${q(o.name)} AS ${o.definition}`];
    case 'type': {
      if (o.definition.startsWith('composite '))
        return [`CREATE TYPE ${q(o.name)} AS ${o.definition.slice('composite '.length)}`];
      const m =
        /^range of (.+?) opclass (\S+)(?: collate (\S+))?(?: canonical (\S+))?(?: subtype_diff (\S+))?$/.exec(
          o.definition,
        );
      if (!m) return [`-- type ${o.name}: ${o.definition}`];
      const parts = [`SUBTYPE = ${m[1]}`, `SUBTYPE_OPCLASS = ${m[2]}`];
      if (m[3]) parts.push(`COLLATION = ${m[3]}`);
      if (m[4]) parts.push(`CANONICAL = ${m[4]}`);
      if (m[5]) parts.push(`SUBTYPE_DIFF = ${m[5]}`);
      return [`CREATE TYPE ${q(o.name)} AS RANGE (${parts.join(', ')})`];
    }
    case 'sequence': {
      const m = SEQUENCE.exec(o.definition);
      if (!m) return [`CREATE SEQUENCE ${q(o.name)}`];
      return [
        `CREATE SEQUENCE ${q(o.name)} AS ${m[1]} START ${m[2]} INCREMENT ${m[3]} MINVALUE ${m[4]} MAXVALUE ${m[5]} CACHE ${m[6]}${m[7] ? ' CYCLE' : ''}`,
      ];
    }
    case 'aggregate': {
      const { name, args } = callable(o.name);
      const m = /^sfunc (\S+) stype (.+?)(?: finalfunc (\S+))?(?: initcond (.*))?$/.exec(o.definition);
      if (!m) return [`-- aggregate ${o.name}: ${o.definition}`];
      const parts = [`SFUNC = ${m[1]}`, `STYPE = ${m[2]}`];
      if (m[3]) parts.push(`FINALFUNC = ${m[3]}`);
      if (m[4] !== undefined) parts.push(`INITCOND = ${quoteLiteral(m[4])}`);
      return [`CREATE AGGREGATE ${q(name)}${args} (${parts.join(', ')})`];
    }
    default:
      // Functions and indexes of materialized views are their own definition.
      return [o.definition];
  }
}

/** What `ALTER SEQUENCE ... OWNED BY` a sequence needs, once its table exists. */
function sequenceOwner(o: SchemaObject): string | null {
  if (o.kind !== 'sequence') return null;
  const owner = SEQUENCE.exec(o.definition)?.[8];
  return owner ? `ALTER SEQUENCE ${q(o.name)} OWNED BY ${owner}` : null;
}

/** Whether a function's signature (before its body) names a table or view: it comes after them. */
function needsRelations(o: SchemaObject, schema: Schema, sources: ObjectSources): boolean {
  if (o.kind !== 'function') return false;
  const text = (sources[`${o.kind}:${o.name}`] ?? o.definition).toLowerCase();
  // The signature: arguments and RETURNS, before LANGUAGE and the body.
  const header = text.slice(0, Math.max(text.search(/\s(language|as)\s/), 0) || text.length);
  return [...Object.keys(schema.tables), ...Object.keys(schema.views)].some((n) => mentions(header, n));
}

const OBJECT_ORDER = ['extension', 'type', 'domain', 'sequence', 'function', 'aggregate'];

function objectRank(o: SchemaObject): number {
  const i = OBJECT_ORDER.indexOf(o.kind);
  return i < 0 ? OBJECT_ORDER.length : i;
}

export const postgresSchemaSql: SchemaSql = {
  checksReferencesAtCreate: true,
  addForeignKey(table, foreignKey) {
    return [`ALTER TABLE ${q(table.name)} ADD ${foreignKeySql(foreignKey)}`];
  },
  schemaStatements(schema, sources) {
    const objects = Object.values(schema.objects ?? {});
    const aggregates = objects.filter((o) => o.kind === 'aggregate');
    const before = objects
      .filter(
        (o) =>
          objectRank(o) < OBJECT_ORDER.length &&
          o.kind !== 'aggregate' &&
          !needsRelations(o, schema, sources),
      )
      .sort((a, b) => objectRank(a) - objectRank(b));
    const laterFunctions = objects.filter((o) => needsRelations(o, schema, sources));
    const after = objects.filter((o) => objectRank(o) === OBJECT_ORDER.length);
    const tables = tablesInOrder(schema);
    const out: string[] = ['SET check_function_bodies = false'];
    const enums = Object.values(schema.enums);
    // Enums first: domains and composite types may be of them.
    out.push(...enums.flatMap((e) => this.createEnum(e)));
    for (const o of before) out.push(...objectSql(o, sources));
    for (const t of tables) out.push(createTableStatement(t, schema), ...tableAfterStatements(t, schema));
    // A partition's index is created first, so its parent's index attaches it instead of making another.
    const partitionsFirst = [...tables].sort((a, b) => Number(!partitionOf(a)) - Number(!partitionOf(b)));
    for (const t of partitionsFirst) for (const i of t.indexes) out.push(indexStatement(t, i));
    for (const t of tables) out.push(...foreignKeyStatements(t, schema));
    for (const o of objects) {
      const owner = sequenceOwner(o);
      if (owner) out.push(owner);
    }
    for (const o of laterFunctions) out.push(...objectSql(o, sources));
    // Aggregates after every function, since their state functions may be among the later ones.
    for (const o of aggregates) out.push(...objectSql(o, sources));
    for (const v of viewsInOrder(Object.values(schema.views), mentions)) out.push(viewSql(v, sources));
    for (const o of after) out.push(...objectSql(o, sources));
    for (const t of tables) out.push(...attachedStatements(t));
    for (const g of Object.values(schema.triggers)) out.push(...triggerSql(g, sources));
    return out;
  },
  createTable(table, schema) {
    return [
      createTableStatement(table, schema),
      ...tableAfterStatements(table, schema),
      ...table.indexes.map((i) => indexStatement(table, i)),
      ...foreignKeyStatements(table, schema),
      ...attachedStatements(table),
    ];
  },
  dropTable(table) {
    return [`DROP TABLE ${q(table.name)}`];
  },
  alterTable(from, to, schema) {
    return alterTableStatements(from, to, schema);
  },
  createIndex: indexStatement,
  dropIndex(_table, index) {
    return `DROP INDEX ${q(index.name)}`;
  },
  createEnum(e) {
    return [`CREATE TYPE ${q(e.name)} AS ENUM (${e.values.map(quoteLiteral).join(', ')})`];
  },
  dropEnum(e) {
    return [`DROP TYPE ${q(e.name)}`];
  },
  addEnumValue(name, value, before) {
    return `ALTER TYPE ${q(name)} ADD VALUE ${quoteLiteral(value)}${before === null ? '' : ` AFTER ${quoteLiteral(before)}`}`;
  },
  replaceEnum(from, to, uses) {
    // The type is made again under its name and each column converted through text, as
    // ALTER TYPE cannot drop or reorder values; a default names the old type, so it is set again.
    const old = `${from.name}__dbdoctor_old`;
    const out = [`ALTER TYPE ${q(from.name)} RENAME TO ${q(old)}`, ...this.createEnum(to)];
    for (const { table, column } of uses) {
      const alter = `ALTER TABLE ${q(table.name)} ALTER COLUMN ${q(column.name)}`;
      if (column.default !== null) out.push(`${alter} DROP DEFAULT`);
      out.push(`${alter} TYPE ${q(to.name)} USING ${q(column.name)}::text::${q(to.name)}`);
      if (column.default !== null) out.push(`${alter} SET DEFAULT ${column.default}`);
    }
    out.push(`DROP TYPE ${q(old)}`);
    return out;
  },
  createView(view, sources) {
    return [viewSql(view, sources)];
  },
  dropView(view) {
    return [
      `DROP ${view.definition.startsWith('materialized: ') ? 'MATERIALIZED ' : ''}VIEW ${q(view.name)}`,
    ];
  },
  createTrigger(trigger, sources) {
    return triggerSql(trigger, sources);
  },
  dropTrigger(trigger) {
    return [`DROP TRIGGER ${q(trigger.name)} ON ${q(trigger.table)}`];
  },
  createObject(object, sources) {
    // A migration creates a function before the tables its body may name, as pg_dump does.
    return object.kind === 'function'
      ? ['SET check_function_bodies = false', ...objectSql(object, sources)]
      : objectSql(object, sources);
  },
  afterTables(object) {
    const owner = sequenceOwner(object);
    return owner ? [owner] : [];
  },
  orderObjects(objects, schema, sources) {
    const later = (o: SchemaObject) => o.kind === 'aggregate' || needsRelations(o, schema, sources);
    return {
      beforeTables: objects.filter((o) => !later(o)).sort((a, b) => objectRank(a) - objectRank(b)),
      afterTables: [
        ...objects.filter((o) => o.kind !== 'aggregate' && later(o)),
        ...objects.filter((o) => o.kind === 'aggregate'),
      ],
    };
  },
  dropObject(o) {
    switch (o.kind) {
      case 'function':
      case 'aggregate': {
        const { name, args } = callable(o.name);
        // ROUTINE: a function or a procedure alike (both are kept as `function`).
        return [`DROP ${o.kind === 'function' ? 'ROUTINE' : 'AGGREGATE'} ${q(name)}${args}`];
      }
      case 'rule': {
        const dot = o.name.indexOf('.');
        return [`DROP RULE IF EXISTS ${q(o.name.slice(dot + 1))} ON ${q(o.name.slice(0, dot))}`];
      }
      case 'index':
        return [`DROP INDEX IF EXISTS ${q(o.name.slice(o.name.indexOf('.') + 1))}`];
      case 'sequence':
        // A sequence owned by a column goes with its table: it may be gone already.
        return [`DROP SEQUENCE IF EXISTS ${q(o.name)}`];
      default:
        return [`DROP ${o.kind.toUpperCase()} ${q(o.name)}`];
    }
  },
  async readSources(conn: Connection, schema = 'public') {
    const rows = await conn.query<{ key: string; source: string }>(
      `SELECT 'function:' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
              pg_get_functiondef(p.oid) AS source
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.prokind IN ('f', 'p', 'w')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
       UNION ALL
       SELECT 'view:' || c.relname,
              'CREATE ' || CASE WHEN c.relkind = 'm' THEN 'MATERIALIZED ' ELSE '' END || 'VIEW '
              || quote_ident(c.relname) || ' AS ' || rtrim(pg_get_viewdef(c.oid, true), ';')
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')
       UNION ALL
       SELECT 'trigger:' || t.tgname || ' on ' || c.relname, pg_get_triggerdef(t.oid, true)
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND NOT t.tgisinternal
       UNION ALL
       SELECT 'rule:' || c.relname || '.' || r.rulename, rtrim(pg_get_ruledef(r.oid, true), ';')
         FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND r.rulename <> '_RETURN'
       UNION ALL
       SELECT 'index:' || c.relname || '.' || i.relname, pg_get_indexdef(x.indexrelid)
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'm'`,
      [schema],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.source]));
  },
  lossyTypeChange(from, to) {
    return pgLossyTypeChange(from.type, to.type);
  },
  prepareScratch(schema) {
    if (schema === undefined || schema === 'public') return [];
    return [`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`, `SET search_path = ${q(schema)}, public`];
  },
};

/** ALTER TABLE statements turning `from` into `to`, or null when one change has no ALTER. */
function alterTableStatements(from: Table, to: Table, schema: Schema): string[] | null {
  if (
    from.options.filter((o) => !o.includes('row level security')).join() !==
    to.options.filter((o) => !o.includes('row level security')).join()
  )
    return null;
  const t = `ALTER TABLE ${q(to.name)}`;
  const drops: string[] = [];
  const changes: string[] = [];
  const adds: string[] = [];
  for (const option of ['row level security', 'force row level security']) {
    const verb = option === 'row level security' ? 'ROW LEVEL SECURITY' : 'FORCE ROW LEVEL SECURITY';
    if (from.options.includes(option) && !to.options.includes(option))
      changes.push(
        `${t} ${verb.startsWith('FORCE') ? 'NO FORCE ROW LEVEL SECURITY' : 'DISABLE ROW LEVEL SECURITY'}`,
      );
    if (!from.options.includes(option) && to.options.includes(option))
      changes.push(
        `${t} ${verb.startsWith('FORCE') ? 'FORCE ROW LEVEL SECURITY' : 'ENABLE ROW LEVEL SECURITY'}`,
      );
  }

  // Indexes, constraints and attached objects that go away or change are dropped first.
  const toIndexes = new Map(to.indexes.map((i) => [i.name, i]));
  const fromIndexes = new Map(from.indexes.map((i) => [i.name, i]));
  for (const i of from.indexes) {
    const n = toIndexes.get(i.name);
    if (!n || JSON.stringify(n) !== JSON.stringify(i)) drops.push(`DROP INDEX ${q(i.name)}`);
  }
  for (const i of to.indexes) {
    const o = fromIndexes.get(i.name);
    if (!o || JSON.stringify(o) !== JSON.stringify(i)) adds.push(indexStatement(to, i));
  }
  const fkKey = (f: ForeignKey) =>
    `${foreignKeyIdentity(f)} ${f.onDelete} ${f.onUpdate} ${[...(f.extras ?? [])].sort().join()}`;
  for (const f of from.foreignKeys)
    if (!to.foreignKeys.some((n) => fkKey(n) === fkKey(f))) {
      if (!f.name) return null;
      drops.unshift(`${t} DROP CONSTRAINT ${q(f.name)}`);
    }
  for (const f of to.foreignKeys)
    if (!from.foreignKeys.some((o) => fkKey(o) === fkKey(f))) adds.push(`${t} ADD ${foreignKeySql(f)}`);
  const checkKey = (c: CheckConstraint) => `${c.expression} ${[...(c.extras ?? [])].sort().join()}`;
  for (const c of from.checks)
    if (!to.checks.some((n) => checkKey(n) === checkKey(c))) {
      if (!c.name) return null;
      drops.push(`${t} DROP CONSTRAINT ${q(c.name)}`);
    }
  for (const c of to.checks)
    if (!from.checks.some((o) => checkKey(o) === checkKey(c)))
      adds.push(`${t} ADD ${checkSql(c)}${notValid(c.extras) ? ' NOT VALID' : ''}`);
  const uniqueKey = (u: UniqueConstraint) => `${u.columns.join()} ${[...(u.extras ?? [])].sort().join()}`;
  for (const u of from.uniques)
    if (!to.uniques.some((n) => uniqueKey(n) === uniqueKey(u))) {
      if (!u.name) return null;
      drops.push(`${t} DROP CONSTRAINT ${q(u.name)}`);
    }
  for (const u of to.uniques)
    if (!from.uniques.some((o) => uniqueKey(o) === uniqueKey(u))) adds.push(`${t} ADD ${uniqueSql(u)}`);
  const pkFrom = `${from.primaryKey?.join() ?? ''} ${from.attached?.['primary key'] ?? ''}`;
  const pkTo = `${to.primaryKey?.join() ?? ''} ${to.attached?.['primary key'] ?? ''}`;
  if (pkFrom !== pkTo) {
    // The model keeps no name for the primary key: the catalog is asked when the migration runs.
    if (from.primaryKey)
      drops.push(
        `DO $dbdoctor$ BEGIN EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', ${quoteLiteral(to.name)}, (SELECT conname FROM pg_constraint WHERE conrelid = ${quoteLiteral(q(to.name))}::regclass AND contype = 'p')); END $dbdoctor$`,
      );
    if (to.primaryKey)
      adds.unshift(
        `${t} ADD PRIMARY KEY (${names(to.primaryKey)})${to.attached?.['primary key'] ? ` ${to.attached['primary key']}` : ''}`,
      );
  }
  const fromAttached = from.attached ?? {};
  const toAttached = to.attached ?? {};
  for (const key of Object.keys(fromAttached)) {
    if (key === 'primary key' || toAttached[key] === fromAttached[key]) continue;
    if (!key.startsWith('policy ')) return null;
    drops.push(`DROP POLICY ${q(key.slice('policy '.length))} ON ${q(to.name)}`);
  }
  for (const [key, definition] of Object.entries(toAttached)) {
    if (key === 'primary key' || fromAttached[key] === definition) continue;
    if (key.startsWith('policy '))
      adds.push(`CREATE POLICY ${q(key.slice('policy '.length))} ON ${q(to.name)} AS ${definition}`);
    else adds.push(`${t} ADD ${definition}`);
  }

  // Columns.
  const fromColumns = new Map(from.columns.map((c) => [c.name, c]));
  const toColumns = new Map(to.columns.map((c) => [c.name, c]));
  for (const c of from.columns) if (!toColumns.has(c.name)) changes.push(`${t} DROP COLUMN ${q(c.name)}`);
  for (const c of to.columns) {
    const o = fromColumns.get(c.name);
    if (!o) {
      changes.push(`${t} ADD COLUMN ${columnSql(c)}`);
      continue;
    }
    if (o.generated !== c.generated) return null;
    const column = `${t} ALTER COLUMN ${q(c.name)}`;
    const typeChanged = o.type !== c.type || o.collation !== c.collation;
    const generated = (identity: string) => `GENERATED ${identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'}`;
    // ALWAYS <-> BY DEFAULT keeps the identity's sequence (DROP and ADD would start it again at 1).
    const identityKind = o.identity !== null && c.identity !== null && o.identity !== c.identity;
    if (identityKind) changes.push(`${column} SET ${generated(c.identity as string)}`);
    else if (o.identity !== null && o.identity !== c.identity) {
      // Identity to a sequence's nextval(): the sequence goes on from where the identity was.
      const sequence = c.default === null ? null : nextvalSequence(c.default);
      if (sequence)
        changes.push(
          `DO $dbdoctor$ DECLARE v bigint; called boolean; BEGIN EXECUTE format('SELECT last_value, is_called FROM %s', ${identitySequence(to.name, c.name)}) INTO v, called; PERFORM setval(${sequence.literal}::regclass, v, called); END $dbdoctor$`,
        );
      changes.push(`${column} DROP IDENTITY`);
    }
    if (o.default !== null && (typeChanged || o.default !== c.default))
      changes.push(`${column} DROP DEFAULT`);
    if (typeChanged) {
      const type = pgTypeSql(c.type);
      // An explicit cast truncates (varchar(n)) where the assignment cast PostgreSQL uses
      // without USING fails on a value that does not fit: USING only where there is none.
      const using = o.type === c.type || assignmentCast(o.type, c.type) ? '' : ` USING ${q(c.name)}::${type}`;
      changes.push(`${column} TYPE ${type}${c.collation ? ` COLLATE ${q(c.collation)}` : ''}${using}`);
    }
    if (o.nullable !== c.nullable) changes.push(`${column} ${c.nullable ? 'DROP' : 'SET'} NOT NULL`);
    if (c.default !== null && (typeChanged || o.default !== c.default))
      changes.push(`${column} SET DEFAULT ${c.default}`);
    if (c.identity !== null && o.identity === null) {
      changes.push(`${column} ADD ${generated(c.identity)} AS IDENTITY`);
      // A sequence's nextval() (serial) to identity: the identity goes on from where it was, so
      // the next row does not get an id that exists.
      const sequence = o.default === null ? null : nextvalSequence(o.default);
      if (sequence)
        changes.push(
          `SELECT setval(${identitySequence(to.name, c.name)}, s.last_value, s.is_called) FROM ${sequence.relation} AS s`,
        );
    }
  }
  void schema;
  return [...drops, ...changes, ...adds];
}

/** A model type cut into its name, its modifiers (`varchar(3)`: [3]) and array dimensions. */
function typeParts(type: string): { base: string; mods: number[]; array: string } {
  const array = /(\[\])+$/.exec(type)?.[0] ?? '';
  const bare = type.slice(0, type.length - array.length);
  const m = /^([^(]*)(?:\(([^)]*)\))?$/.exec(bare);
  const mods = (m?.[2] ?? '').split(',').filter(Boolean).map(Number);
  return { base: (m?.[1] ?? bare).trim(), mods, array };
}

const NUMBERS = new Set(['smallint', 'integer', 'bigint', 'real', 'double', 'numeric']);
const STRINGS = new Set(['text', 'varchar', 'char']);
/** Date/time casts PostgreSQL makes on assignment (pg_cast, castcontext 'a' or 'i'). */
const TIME_CASTS = new Set([
  'date>timestamp',
  'date>timestamptz',
  'timestamp>date',
  'timestamp>time',
  'timestamp>timestamptz',
  'timestamptz>date',
  'timestamptz>time',
  'timestamptz>timestamp',
  'timestamptz>timetz',
  'time>timetz',
  'timetz>time',
  'json>jsonb',
  'jsonb>json',
]);

/**
 * Whether ALTER COLUMN ... TYPE converts `from` to `to` without USING (an implicit or assignment
 * cast exists): a modifier change of one type, between numbers, to a string (I/O conversion to
 * a string type is an assignment cast), and the date/time casts of pg_cast.
 */
export function assignmentCast(from: string, to: string): boolean {
  const a = typeParts(from);
  const b = typeParts(to);
  if (a.array !== b.array) return false;
  if (a.base === b.base) return true;
  if (a.array !== '') return false;
  if (STRINGS.has(b.base)) return true;
  if (NUMBERS.has(a.base) && NUMBERS.has(b.base)) return true;
  return TIME_CASTS.has(`${a.base}>${b.base}`);
}

const INTEGERS: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };
const FLOATS: Record<string, number> = { real: 1, double: 2 };

/**
 * What a type change from `from` to `to` does to values that are there, when it may lose or
 * reject some (see {@link SchemaSql.lossyTypeChange}); null when every value converts exactly.
 */
export function pgLossyTypeChange(from: string, to: string): string | null {
  const a = typeParts(from);
  const b = typeParts(to);
  if (a.array !== b.array || from === to) return null;
  const [n] = b.mods;
  if ((b.base === 'varchar' || b.base === 'char') && n !== undefined) {
    const longer = !STRINGS.has(a.base) || a.base === 'text' || a.mods[0] === undefined || a.mods[0] > n;
    return longer ? `values longer than ${n} characters make it fail` : null;
  }
  if (b.base in INTEGERS) {
    if (a.base === 'numeric' || a.base in FLOATS) return 'fractions are rounded to whole numbers';
    if (a.base in INTEGERS && INTEGERS[a.base] > INTEGERS[b.base])
      return `values out of ${b.base}'s range make it fail`;
    return null;
  }
  if (b.base === 'numeric' && b.mods.length > 0) {
    const [p, s = 0] = b.mods;
    if (a.base === 'numeric') {
      const [ap, as = 0] = a.mods;
      if (ap === undefined || as > s)
        return `values are rounded to ${s} decimal places, and larger ones make it fail`;
      if (ap - as > p - s) return `values with more than ${p - s} digits before the point make it fail`;
      return null;
    }
    if (a.base in FLOATS) return `values are rounded to ${s} decimal places, and larger ones make it fail`;
    if (a.base in INTEGERS)
      return p - s >= [0, 5, 10, 19][INTEGERS[a.base]]
        ? null
        : `values with more than ${p - s} digits make it fail`;
    return null;
  }
  if (b.base in FLOATS) {
    if (a.base === 'numeric' || a.base === 'bigint' || (a.base in FLOATS && FLOATS[a.base] > FLOATS[b.base]))
      return `values are rounded to ${b.base === 'real' ? 6 : 15} significant digits`;
    if (a.base === 'integer' && b.base === 'real') return 'values are rounded to 6 significant digits';
    return null;
  }
  const timePrecision = (t: typeof a) => t.mods[0] ?? 6;
  if (b.base === 'date' && (a.base === 'timestamp' || a.base === 'timestamptz'))
    return 'the time of day is dropped';
  if ((b.base === 'time' || b.base === 'timetz') && (a.base === 'timestamp' || a.base === 'timestamptz'))
    return 'the date is dropped';
  if (b.base === 'timestamp' && a.base === 'timestamptz')
    return "the time zone is dropped (values are read in the session's time zone)";
  if (b.base === 'time' && a.base === 'timetz') return 'the time zone is dropped';
  if (a.base === b.base && ['timestamp', 'timestamptz', 'time', 'timetz', 'interval'].includes(a.base))
    return timePrecision(b) < timePrecision(a)
      ? `fractions of a second are rounded to ${timePrecision(b)} digits`
      : null;
  return null;
}

/** The sequence a `nextval('<name>'::regclass)` default draws from: its literal and as a relation. */
function nextvalSequence(expression: string): { literal: string; relation: string } | null {
  const m = /^nextval\('((?:[^']|'')*)'::regclass\)$/.exec(expression.trim());
  return m ? { literal: `'${m[1]}'`, relation: m[1].replaceAll("''", "'") } : null;
}

/**
 * The identity sequence of a column, as a query: by its internal dependency, as
 * pg_get_serial_sequence may name a serial's sequence that the column still owns.
 */
function identitySequence(table: string, column: string): string {
  return `(SELECT d.objid::regclass FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND d.refobjid = ${quoteLiteral(q(table))}::regclass AND a.attname = ${quoteLiteral(column)} AND d.deptype = 'i')`;
}
