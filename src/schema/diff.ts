import type { Column, ForeignKey, Index, Schema, Table } from './model.js';
import { foreignKeyIdentity, normalizeTable } from './normalize.js';
import { readableExpression } from './render.js';

/** What kind of difference a {@link SchemaChange} is. `missing` = in A only, `extra` = in B only. */
export type ChangeKind =
  | 'table_missing'
  | 'table_extra'
  | 'table_options'
  | 'column_missing'
  | 'column_extra'
  | 'column_type'
  | 'column_nullability'
  | 'column_default'
  | 'column_generated'
  | 'column_collation'
  | 'column_identity'
  | 'primary_key'
  | 'unique_missing'
  | 'unique_extra'
  | 'index_missing'
  | 'index_extra'
  | 'index_changed'
  | 'foreign_key_missing'
  | 'foreign_key_extra'
  | 'foreign_key_action'
  | 'check_missing'
  | 'check_extra'
  | 'enum_missing'
  | 'enum_extra'
  | 'enum_values'
  | 'view_missing'
  | 'view_extra'
  | 'view_changed'
  | 'trigger_missing'
  | 'trigger_extra'
  | 'trigger_changed';

/** One difference between two schemas, as data and in words. */
export interface SchemaChange {
  kind: ChangeKind;
  /** The table it concerns (the trigger's table for triggers), or null for enums and views. */
  table: string | null;
  /** The object it concerns: a column, index, constraint, enum, view or trigger name. */
  name: string;
  /** A plain-words sentence naming both sides with the diff's labels. */
  message: string;
  /** The value in A, where there is one. */
  a?: unknown;
  /** The value in B, where there is one. */
  b?: unknown;
}

/** The result of {@link diff}. */
export interface SchemaDiff {
  equal: boolean;
  changes: SchemaChange[];
  /** The messages grouped by table (key `""` for enums and views), tables in name order. */
  byTable: Record<string, string[]>;
}

/** How the two sides are called in messages. */
export interface DiffLabels {
  /** Default "A". Doctor uses "the migrations (at 003)". */
  a: string;
  /** Default "B". Doctor uses "the database". */
  b: string;
}

/**
 * Compares two schemas and explains every difference, per table, in plain words and as a
 * list of structured changes. Pure; the result is empty exactly when the fingerprints match.
 */
export function diff(a: Schema, b: Schema, labels: DiffLabels = { a: 'A', b: 'B' }): SchemaDiff {
  const changes: SchemaChange[] = [];
  const onlyIn = (side: 'a' | 'b') =>
    side === 'a' ? `is in ${labels.a} but not in ${labels.b}` : `is in ${labels.b} but not in ${labels.a}`;

  for (const name of unionKeys(a.tables, b.tables)) {
    const ta = a.tables[name];
    const tb = b.tables[name];
    if (ta && !tb)
      changes.push({ kind: 'table_missing', table: name, name, message: `Table ${name} ${onlyIn('a')}.` });
    else if (!ta && tb)
      changes.push({ kind: 'table_extra', table: name, name, message: `Table ${name} ${onlyIn('b')}.` });
    else if (ta && tb) diffTable(normalizeTable(ta), normalizeTable(tb), labels, changes);
  }
  for (const name of unionKeys(a.enums, b.enums)) {
    const ea = a.enums[name];
    const eb = b.enums[name];
    if (ea && !eb)
      changes.push({ kind: 'enum_missing', table: null, name, message: `Enum type ${name} ${onlyIn('a')}.` });
    else if (!ea && eb)
      changes.push({ kind: 'enum_extra', table: null, name, message: `Enum type ${name} ${onlyIn('b')}.` });
    else if (ea && eb && ea.values.join('\0') !== eb.values.join('\0'))
      changes.push({
        kind: 'enum_values',
        table: null,
        name,
        message: `Enum type ${name} has values (${ea.values.join(', ')}) in ${labels.a} but (${eb.values.join(', ')}) in ${labels.b}.`,
        a: ea.values,
        b: eb.values,
      });
  }
  for (const name of unionKeys(a.views, b.views)) {
    const va = a.views[name];
    const vb = b.views[name];
    if (va && !vb)
      changes.push({ kind: 'view_missing', table: null, name, message: `View ${name} ${onlyIn('a')}.` });
    else if (!va && vb)
      changes.push({ kind: 'view_extra', table: null, name, message: `View ${name} ${onlyIn('b')}.` });
    else if (va && vb && va.definition !== vb.definition)
      changes.push({
        kind: 'view_changed',
        table: null,
        name,
        message: `View ${name} has a different definition in ${labels.b} than in ${labels.a}.`,
        a: va.definition,
        b: vb.definition,
      });
  }
  for (const name of unionKeys(a.triggers, b.triggers)) {
    const ga = a.triggers[name];
    const gb = b.triggers[name];
    const table = (ga ?? gb).table;
    if (ga && !gb)
      changes.push({
        kind: 'trigger_missing',
        table,
        name,
        message: `Trigger ${name} on ${table} ${onlyIn('a')}.`,
      });
    else if (!ga && gb)
      changes.push({
        kind: 'trigger_extra',
        table,
        name,
        message: `Trigger ${name} on ${table} ${onlyIn('b')}.`,
      });
    else if (ga && gb && (ga.definition !== gb.definition || ga.table !== gb.table))
      changes.push({
        kind: 'trigger_changed',
        table,
        name,
        message: `Trigger ${name} on ${table} has a different definition in ${labels.b} than in ${labels.a}.`,
        a: ga.definition,
        b: gb.definition,
      });
  }

  const byTable: Record<string, string[]> = {};
  for (const c of [...changes].sort((x, y) =>
    (x.table ?? '') < (y.table ?? '') ? -1 : (x.table ?? '') > (y.table ?? '') ? 1 : 0,
  )) {
    const key = c.table ?? '';
    byTable[key] ??= [];
    byTable[key].push(c.message);
  }
  return { equal: changes.length === 0, changes, byTable };
}

function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function describeColumn(c: Column): string {
  const parts = [c.type, c.nullable ? 'NULL' : 'NOT NULL'];
  if (c.default !== null) parts.push(`DEFAULT ${readableExpression(c.default)}`);
  return parts.join(' ');
}

function describeIndex(i: Index): string {
  const keys = i.keys
    .map(
      (k) =>
        `${k.column ?? readableExpression(k.expression ?? '')}${k.collation ? ` COLLATE ${k.collation}` : ''}${k.descending ? ' DESC' : ''}`,
    )
    .join(', ');
  return `${i.unique ? 'UNIQUE ' : ''}${i.method ? `USING ${i.method} ` : ''}(${keys})${i.where ? ` WHERE ${readableExpression(i.where)}` : ''}`;
}

function describeFk(f: ForeignKey): string {
  return `${foreignKeyIdentity(f)} ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`;
}

/** Column attributes that are text or null, compared and worded alike. */
const NULLABLE_TEXT_ATTRIBUTES: [
  keyof Pick<Column, 'default' | 'generated' | 'collation' | 'identity'>,
  ChangeKind,
  string,
][] = [
  ['default', 'column_default', 'has default'],
  ['generated', 'column_generated', 'is generated as'],
  ['collation', 'column_collation', 'has collation'],
  ['identity', 'column_identity', 'has identity'],
];

function show(value: string | null): string {
  return value === null ? 'none' : readableExpression(value);
}

function diffTable(ta: Table, tb: Table, labels: DiffLabels, changes: SchemaChange[]): void {
  const table = ta.name;
  const push = (c: Omit<SchemaChange, 'table'>) => changes.push({ table, ...c });
  const inA = `in ${labels.a}`;
  const inB = `in ${labels.b}`;

  if (ta.options.join(',') !== tb.options.join(','))
    push({
      kind: 'table_options',
      name: table,
      message: `Table ${table} is ${ta.options.join(', ') || 'a plain table'} ${inA} but ${tb.options.join(', ') || 'a plain table'} ${inB}.`,
      a: ta.options,
      b: tb.options,
    });

  const colsA = new Map(ta.columns.map((c) => [c.name, c]));
  const colsB = new Map(tb.columns.map((c) => [c.name, c]));
  for (const name of [...new Set([...colsA.keys(), ...colsB.keys()])].sort()) {
    const ca = colsA.get(name);
    const cb = colsB.get(name);
    const where = `Column ${table}.${name}`;
    if (ca && !cb) {
      push({
        kind: 'column_missing',
        name,
        message: `${where} (${describeColumn(ca)}) is ${inA} but not ${inB}.`,
        a: ca,
      });
      continue;
    }
    if (!ca && cb) {
      push({
        kind: 'column_extra',
        name,
        message: `${where} (${describeColumn(cb)}) is ${inB} but not ${inA}.`,
        b: cb,
      });
      continue;
    }
    if (!ca || !cb) continue;
    if (ca.type !== cb.type)
      push({
        kind: 'column_type',
        name,
        message: `${where} has type ${ca.type} ${inA} but ${cb.type} ${inB}.`,
        a: ca.type,
        b: cb.type,
      });
    if (ca.nullable !== cb.nullable)
      push({
        kind: 'column_nullability',
        name,
        message: `${where} is ${ca.nullable ? 'nullable' : 'NOT NULL'} ${inA} but ${cb.nullable ? 'nullable' : 'NOT NULL'} ${inB}.`,
        a: ca.nullable,
        b: cb.nullable,
      });
    for (const [field, kind, phrase] of NULLABLE_TEXT_ATTRIBUTES) {
      if (ca[field] !== cb[field])
        push({
          kind,
          name,
          message: `${where} ${phrase} ${show(ca[field])} ${inA} but ${show(cb[field])} ${inB}.`,
          a: ca[field],
          b: cb[field],
        });
    }
  }

  const pkA = ta.primaryKey?.join(', ') ?? null;
  const pkB = tb.primaryKey?.join(', ') ?? null;
  if (pkA !== pkB)
    push({
      kind: 'primary_key',
      name: table,
      message: `Table ${table} has primary key ${pkA === null ? 'none' : `(${pkA})`} ${inA} but ${pkB === null ? 'none' : `(${pkB})`} ${inB}.`,
      a: ta.primaryKey,
      b: tb.primaryKey,
    });

  const uniqA = new Set(ta.uniques.map((u) => u.columns.join(', ')));
  const uniqB = new Set(tb.uniques.map((u) => u.columns.join(', ')));
  for (const u of uniqA)
    if (!uniqB.has(u))
      push({
        kind: 'unique_missing',
        name: u,
        message: `UNIQUE (${u}) on ${table} is ${inA} but not ${inB}.`,
      });
  for (const u of uniqB)
    if (!uniqA.has(u))
      push({ kind: 'unique_extra', name: u, message: `UNIQUE (${u}) on ${table} is ${inB} but not ${inA}.` });

  const idxA = new Map(ta.indexes.map((i) => [i.name, i]));
  const idxB = new Map(tb.indexes.map((i) => [i.name, i]));
  for (const name of [...new Set([...idxA.keys(), ...idxB.keys()])].sort()) {
    const ia = idxA.get(name);
    const ib = idxB.get(name);
    if (ia && !ib)
      push({
        kind: 'index_missing',
        name,
        message: `Index ${name} ${describeIndex(ia)} on ${table} is ${inA} but not ${inB}.`,
        a: ia,
      });
    else if (!ia && ib)
      push({
        kind: 'index_extra',
        name,
        message: `Index ${name} ${describeIndex(ib)} on ${table} is ${inB} but not ${inA}.`,
        b: ib,
      });
    else if (ia && ib && describeIndex(ia) !== describeIndex(ib))
      push({
        kind: 'index_changed',
        name,
        message: `Index ${name} on ${table} is ${describeIndex(ia)} ${inA} but ${describeIndex(ib)} ${inB}.`,
        a: ia,
        b: ib,
      });
  }

  const fkA = new Map(ta.foreignKeys.map((f) => [foreignKeyIdentity(f), f]));
  const fkB = new Map(tb.foreignKeys.map((f) => [foreignKeyIdentity(f), f]));
  for (const id of [...new Set([...fkA.keys(), ...fkB.keys()])].sort()) {
    const fa = fkA.get(id);
    const fb = fkB.get(id);
    if (fa && !fb)
      push({
        kind: 'foreign_key_missing',
        name: id,
        message: `Foreign key ${table}${describeFk(fa)} is ${inA} but not ${inB}.`,
        a: fa,
      });
    else if (!fa && fb)
      push({
        kind: 'foreign_key_extra',
        name: id,
        message: `Foreign key ${table}${describeFk(fb)} is ${inB} but not ${inA}.`,
        b: fb,
      });
    else if (fa && fb) {
      for (const action of ['onDelete', 'onUpdate'] as const) {
        if (fa[action] !== fb[action]) {
          const clause = action === 'onDelete' ? 'ON DELETE' : 'ON UPDATE';
          push({
            kind: 'foreign_key_action',
            name: id,
            message: `Foreign key ${table}${id} has ${clause} ${fa[action]} ${inA} but ${clause} ${fb[action]} ${inB}.`,
            a: fa[action],
            b: fb[action],
          });
        }
      }
    }
  }

  const chkA = new Set(ta.checks.map((c) => c.expression));
  const chkB = new Set(tb.checks.map((c) => c.expression));
  for (const c of chkA)
    if (!chkB.has(c))
      push({
        kind: 'check_missing',
        name: c,
        message: `CHECK (${readableExpression(c)}) on ${table} is ${inA} but not ${inB}.`,
      });
  for (const c of chkB)
    if (!chkA.has(c))
      push({
        kind: 'check_extra',
        name: c,
        message: `CHECK (${readableExpression(c)}) on ${table} is ${inB} but not ${inA}.`,
      });
}
