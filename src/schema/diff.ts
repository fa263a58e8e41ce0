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
  | 'column_extras'
  | 'primary_key'
  | 'unique_missing'
  | 'unique_extra'
  | 'unique_changed'
  | 'index_missing'
  | 'index_extra'
  | 'index_changed'
  | 'foreign_key_missing'
  | 'foreign_key_extra'
  | 'foreign_key_action'
  | 'foreign_key_changed'
  | 'check_missing'
  | 'check_extra'
  | 'check_changed'
  | 'attached_missing'
  | 'attached_extra'
  | 'attached_changed'
  | 'enum_missing'
  | 'enum_extra'
  | 'enum_values'
  | 'view_missing'
  | 'view_extra'
  | 'view_changed'
  | 'trigger_missing'
  | 'trigger_extra'
  | 'trigger_changed'
  | 'object_missing'
  | 'object_extra'
  | 'object_changed';

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
  for (const key of unionKeys(a.triggers, b.triggers)) {
    const ga = a.triggers[key];
    const gb = b.triggers[key];
    const { table, name } = ga ?? gb;
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

  const objectsA = a.objects ?? {};
  const objectsB = b.objects ?? {};
  for (const key of unionKeys(objectsA, objectsB)) {
    const oa = objectsA[key];
    const ob = objectsB[key];
    const o = oa ?? ob;
    const what = `${capitalize(o.kind)} ${o.name}`;
    if (oa && !ob)
      changes.push({
        kind: 'object_missing',
        table: null,
        name: key,
        message: `${what} ${onlyIn('a')}.`,
        a: oa,
      });
    else if (!oa && ob)
      changes.push({
        kind: 'object_extra',
        table: null,
        name: key,
        message: `${what} ${onlyIn('b')}.`,
        b: ob,
      });
    else if (oa && ob && oa.definition !== ob.definition)
      changes.push({
        kind: 'object_changed',
        table: null,
        name: key,
        message: `${what} differs: ${showDifference(oa.definition, ob.definition, labels)}.`,
        a: oa.definition,
        b: ob.definition,
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

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Two definitions shown by the words where they differ (common leading and trailing words
 * become "..."), so a long function or index definition reads as its difference.
 */
export function showDifference(a: string, b: string, labels: DiffLabels): string {
  const wa = a.split(' ');
  const wb = b.split(' ');
  let start = 0;
  while (start < wa.length && start < wb.length && wa[start] === wb[start]) start++;
  let end = 0;
  while (
    end < wa.length - start &&
    end < wb.length - start &&
    wa[wa.length - 1 - end] === wb[wb.length - 1 - end]
  )
    end++;
  const part = (w: string[]) => {
    const middle = w.slice(start, w.length - end).join(' ');
    return `${start > 0 ? '... ' : ''}${middle || '(nothing)'}${end > 0 ? ' ...' : ''}`;
  };
  return `"${part(wa)}" in ${labels.a} but "${part(wb)}" in ${labels.b}`;
}

/** Extras as words: ` [include (b), deferrable]`, or nothing. */
function describeExtras(extras: readonly string[] | undefined): string {
  return extras && extras.length > 0 ? ` [${[...extras].sort().join(', ')}]` : '';
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
  return `${i.unique ? 'UNIQUE ' : ''}${i.method ? `USING ${i.method} ` : ''}(${keys})${i.where ? ` WHERE ${readableExpression(i.where)}` : ''}${describeExtras(i.extras)}`;
}

function describeFk(f: ForeignKey): string {
  return `${foreignKeyIdentity(f)} ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}${describeExtras(f.extras)}`;
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
    if (describeExtras(ca.extras) !== describeExtras(cb.extras))
      push({
        kind: 'column_extras',
        name,
        message: `${where} is${describeExtras(ca.extras) || ' plain'} ${inA} but${describeExtras(cb.extras) || ' plain'} ${inB}.`,
        a: ca.extras ?? [],
        b: cb.extras ?? [],
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

  const uniqA = new Map(ta.uniques.map((u) => [u.columns.join(', '), u]));
  const uniqB = new Map(tb.uniques.map((u) => [u.columns.join(', '), u]));
  for (const [u, ua] of uniqA) {
    const ub = uniqB.get(u);
    if (!ub)
      push({
        kind: 'unique_missing',
        name: u,
        message: `UNIQUE (${u})${describeExtras(ua.extras)} on ${table} is ${inA} but not ${inB}.`,
      });
    else if (describeExtras(ua.extras) !== describeExtras(ub.extras))
      push({
        kind: 'unique_changed',
        name: u,
        message: `UNIQUE (${u}) on ${table} is${describeExtras(ua.extras) || ' plain'} ${inA} but${describeExtras(ub.extras) || ' plain'} ${inB}.`,
        a: ua.extras ?? [],
        b: ub.extras ?? [],
      });
  }
  for (const [u, ub] of uniqB)
    if (!uniqA.has(u))
      push({
        kind: 'unique_extra',
        name: u,
        message: `UNIQUE (${u})${describeExtras(ub.extras)} on ${table} is ${inB} but not ${inA}.`,
      });

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
      if (describeExtras(fa.extras) !== describeExtras(fb.extras))
        push({
          kind: 'foreign_key_changed',
          name: id,
          message: `Foreign key ${table}${id} is${describeExtras(fa.extras) || ' plain'} ${inA} but${describeExtras(fb.extras) || ' plain'} ${inB}.`,
          a: fa.extras ?? [],
          b: fb.extras ?? [],
        });
    }
  }

  const chkA = new Map(ta.checks.map((c) => [c.expression, c]));
  const chkB = new Map(tb.checks.map((c) => [c.expression, c]));
  for (const [c, ca] of chkA) {
    const cb = chkB.get(c);
    if (!cb)
      push({
        kind: 'check_missing',
        name: c,
        message: `CHECK (${readableExpression(c)}) on ${table} is ${inA} but not ${inB}.`,
      });
    else if (describeExtras(ca.extras) !== describeExtras(cb.extras))
      push({
        kind: 'check_changed',
        name: c,
        message: `CHECK (${readableExpression(c)}) on ${table} is${describeExtras(ca.extras) || ' plain'} ${inA} but${describeExtras(cb.extras) || ' plain'} ${inB}.`,
        a: ca.extras ?? [],
        b: cb.extras ?? [],
      });
  }
  for (const c of chkB.keys())
    if (!chkA.has(c))
      push({
        kind: 'check_extra',
        name: c,
        message: `CHECK (${readableExpression(c)}) on ${table} is ${inB} but not ${inA}.`,
      });

  const attA = ta.attached ?? {};
  const attB = tb.attached ?? {};
  for (const key of unionKeys(attA, attB)) {
    const da = attA[key];
    const db = attB[key];
    if (da !== undefined && db === undefined)
      push({
        kind: 'attached_missing',
        name: key,
        message: `${capitalize(key)} on ${table} is ${inA} but not ${inB}.`,
      });
    else if (da === undefined && db !== undefined)
      push({
        kind: 'attached_extra',
        name: key,
        message: `${capitalize(key)} on ${table} is ${inB} but not ${inA}.`,
      });
    else if (da !== db)
      push({
        kind: 'attached_changed',
        name: key,
        message: `${capitalize(key)} on ${table} differs: ${showDifference(da, db, labels)}.`,
        a: da,
        b: db,
      });
  }
}
