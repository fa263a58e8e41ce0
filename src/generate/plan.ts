/**
 * The next migration, as data: the operations that turn schema `from` (the migrations' head)
 * into schema `to` (the desired schema file). Pure. DSL operations wherever folding them into
 * `from` gives exactly the desired object (so they stay portable and reversible, SQLite
 * rebuilds included); the dialect's own SQL (`sql()` operations) where the DSL has no words for
 * the change; and a list of what neither can say, which makes `generate` refuse.
 */
import type { Dialect, ObjectSources, SchemaSql } from '../dialects/dialect.js';
import { dialectNamed } from '../dialects/registry.js';
import { defaultForeignKeyName } from '../ops/builders.js';
import { foldOperations } from '../ops/fold.js';
import { enumValuesOf, isEnumCheckOf } from '../ops/portable.js';
import type {
  ColumnDefault,
  ColumnSpec,
  ColumnType,
  ForeignKeySpec,
  Operation,
  PortableType,
  TableSpec,
} from '../ops/types.js';
import { objectHashes } from '../schema/fingerprint.js';
import type { Column, EnumType, Index, Schema, SchemaObject, Table } from '../schema/model.js';
import { foreignKeyIdentity, normalizeTable } from '../schema/normalize.js';

/** A rename the user confirmed (`--rename table=new` or `--rename table.column=new`). */
export type Rename =
  | { kind: 'table'; from: string; to: string }
  | { kind: 'column'; table: string; from: string; to: string };

/** What the planner needs besides the two schemas. */
export interface PlanInput {
  from: Schema;
  to: Schema;
  /** Renames to make instead of a drop and an add (never guessed). */
  renames?: readonly Rename[];
  /** The database's own texts of objects of `from` and of `to` (see {@link ObjectSources}). */
  sources?: { from: ObjectSources; to: ObjectSources };
  /** The dialect's SQL for what the DSL cannot say. */
  writer: SchemaSql;
}

/** A plan: the operations in order, and the changes nothing could express. */
export interface Plan {
  ops: Operation[];
  /** One sentence per change that neither an operation nor SQL could make. */
  unexpressed: string[];
}

const PREFERRED_TYPES: PortableType[] = [
  'integer',
  'text',
  'real',
  'numeric',
  'blob',
  'bigint',
  'boolean',
  'timestamp',
  'date',
  'json',
  'uuid',
];

function tableHash(t: Table, dialect: Schema['dialect']): string {
  return objectHashes({ dialect, tables: { [t.name]: t }, enums: {}, views: {}, triggers: {} })[
    `table:${t.name}`
  ];
}

/** The dialect rules a schema model was read or folded with. */
function rulesOf(schema: Schema): Dialect {
  return dialectNamed(schema.dialect);
}

/** Whether enums are CHECKs on text columns in this schema's dialect (not named types). */
function enumsAreChecks(schema: Schema): boolean {
  return rulesOf(schema).capabilities.enumStyle === 'check';
}

/** The enum a CHECK named `enum_<enum>__<column>` stands for (where enums are CHECKs), or null. */
function checkEnumOf(table: Table, column: string): { name: string; values: string[]; check: string } | null {
  const check = table.checks.find((c) => isEnumCheckOf(c.name, column));
  if (!check?.name) return null;
  const name = check.name.slice('enum_'.length, check.name.length - `__${column}`.length);
  return { name, values: enumValuesOf(check.expression), check: check.name };
}

/** The DSL type of a model column, or null when no portable type folds to it. */
function dslType(table: Table, column: Column, schema: Schema): ColumnType | null {
  const columns = rulesOf(schema).compiler.columns;
  if (column.type.startsWith('enum:')) {
    const e = schema.enums[column.type.slice('enum:'.length)];
    return e ? { enum: e.name, values: [...e.values] } : null;
  }
  if (enumsAreChecks(schema) && column.type === columns.modelType('text')) {
    const e = checkEnumOf(table, column.name);
    if (e) return { enum: e.name, values: e.values };
  }
  return PREFERRED_TYPES.find((t) => columns.modelType(t) === column.type) ?? null;
}

function folds(value: ColumnDefault, type: ColumnType, dialect: Dialect, model: string): boolean {
  try {
    return dialect.compiler.columns.modelDefault(value, type) === model;
  } catch {
    return false;
  }
}

/** The DSL default that folds to the model default; undefined for none, null when none does. */
function dslDefault(
  model: string | null,
  type: ColumnType,
  dialect: Dialect,
): ColumnDefault | undefined | null {
  if (model === null) return undefined;
  const candidates: ColumnDefault[] = [];
  const literal = /^'((?:[^']|'')*)'(?:::.+)?$/.exec(model);
  if (literal) {
    const text = literal[1].replaceAll("''", "'");
    candidates.push(text);
    if (/^-?\d+(\.\d+)?$/.test(text)) candidates.push(Number(text));
  }
  if (/^-?\d+(\.\d+)?$/.test(model)) candidates.push(Number(model));
  candidates.push(true, false, { now: true }, { sql: model });
  return candidates.find((c) => folds(c, type, dialect, model)) ?? null;
}

/** The DSL spec of a column (without key flags), or null when the DSL cannot declare it. */
/** A column's DSL spec, or why the DSL cannot declare it (for SCHEMA_NOT_PORTABLE). */
function columnDeclaration(table: Table, column: Column, schema: Schema): ColumnSpec | { reason: string } {
  if (column.generated !== null)
    return { reason: `column ${column.name} is generated (${column.generated})` };
  if (column.collation !== null) return { reason: `column ${column.name} has collation ${column.collation}` };
  const extras = column.extras ?? [];
  if (extras.length > 0)
    return { reason: `column ${column.name} is ${extras.join(', ')}, which the DSL does not declare` };
  const type = dslType(table, column, schema);
  if (type === null)
    return { reason: `column ${column.name} has type ${column.type}, which has no portable name` };
  const dflt = dslDefault(column.default, type, rulesOf(schema));
  if (dflt === null)
    return { reason: `column ${column.name} has default ${column.default}, which has no portable form` };
  return {
    type,
    ...(column.nullable ? {} : { nullable: false }),
    ...(dflt === undefined ? {} : { default: dflt }),
  };
}

function columnSpec(table: Table, column: Column, schema: Schema): ColumnSpec | null {
  const d = columnDeclaration(table, column, schema);
  return 'reason' in d ? null : d;
}

/** Whether an index is one `createIndex` makes: plain column keys, ascending, default method. */
function simpleIndex(i: Index): boolean {
  return (
    i.method === null &&
    (i.extras ?? []).length === 0 &&
    i.keys.every((k) => k.column !== null && !k.descending && k.collation === null)
  );
}

function createIndexOp(table: string, i: Index): Operation {
  return {
    kind: 'createIndex',
    table,
    columns: i.keys.map((k) => k.column as string),
    name: i.name,
    spec: { name: i.name, ...(i.unique ? { unique: true } : {}), ...(i.where ? { where: i.where } : {}) },
  };
}

function dropIndexOp(table: string, i: Index): Operation {
  const create = createIndexOp(table, i) as Extract<Operation, { kind: 'createIndex' }>;
  return {
    kind: 'dropIndex',
    name: i.name,
    definition: { table, columns: create.columns, spec: create.spec },
  };
}

function foreignKeySpec(table: string, f: Table['foreignKeys'][number]): ForeignKeySpec & { name: string } {
  return {
    name: f.name ?? defaultForeignKeyName(table, f.columns),
    columns: [...f.columns],
    references: { table: f.referencedTable, columns: [...f.referencedColumns] },
    ...(f.onDelete !== 'NO ACTION' ? { onDelete: f.onDelete } : {}),
    ...(f.onUpdate !== 'NO ACTION' ? { onUpdate: f.onUpdate } : {}),
  };
}

/** Checks that are not an enum's stand-in (where enums are CHECKs). */
function ownChecks(t: Table, schema: Schema): Table['checks'] {
  if (!enumsAreChecks(schema)) return t.checks;
  const text = rulesOf(schema).compiler.columns.modelType('text');
  return t.checks.filter(
    (c) => !t.columns.some((col) => col.type === text && isEnumCheckOf(c.name, col.name)),
  );
}

function sameTable(a: Table, b: Table, dialect: Schema['dialect']): boolean {
  return tableHash(a, dialect) === tableHash(b, dialect);
}

/** `table` without the indexes named in `names`. */
function withoutIndexes(table: Table, names: ReadonlySet<string>): Table {
  return { ...table, indexes: table.indexes.filter((i) => !names.has(i.name)) };
}

/** What {@link declareTable} gives: the operations, or why the DSL cannot declare the table. */
export type TableDeclaration = { ops: Operation[]; rawIndexes: Index[] } | { reason: string };

/**
 * createTable (and createIndex) operations for `t`, or, in words naming the part the DSL cannot
 * say, why folding such operations would not give `t` exactly; `rawIndexes` are indexes only
 * SQL can make.
 */
export function declareTable(t: Table, schema: Schema): TableDeclaration {
  if (t.options.length > 0) return { reason: `table options (${t.options.join(', ')}) have no DSL form` };
  if (Object.keys(t.attached ?? {}).length > 0)
    return { reason: 'objects attached to the table have no DSL form' };
  const auto = t.columns.find((c) => c.identity !== null);
  if (auto && !(t.primaryKey?.length === 1 && t.primaryKey[0] === auto.name))
    return { reason: `column ${auto.name} is an identity column that is not the whole primary key` };
  if (auto && auto.identity !== rulesOf(schema).compiler.columns.identity)
    return { reason: `column ${auto.name} is ${auto.identity}, which the DSL does not declare here` };
  const columns: Record<string, ColumnSpec> = {};
  for (const c of t.columns) {
    const spec = columnDeclaration(t, c, schema);
    if ('reason' in spec) return spec;
    const inPk = t.primaryKey?.includes(c.name) ?? false;
    const { nullable: _n, ...rest } = spec;
    columns[c.name] = c === auto ? { ...rest, primaryKey: true, autoIncrement: true } : inPk ? rest : spec;
  }
  const spec: TableSpec = {
    columns,
    ...(t.primaryKey && !auto ? { primaryKey: [...t.primaryKey] } : {}),
    ...(t.uniques.length > 0 ? { unique: t.uniques.map((u) => [...u.columns]) } : {}),
    ...(ownChecks(t, schema).length > 0
      ? {
          checks: ownChecks(t, schema).map((c, i) => ({
            name: c.name ?? `${t.name}_check${i + 1}`,
            expression: c.expression,
          })),
        }
      : {}),
    ...(t.foreignKeys.length > 0
      ? {
          foreignKeys: t.foreignKeys.map((f) => {
            const { name, ...rest } = foreignKeySpec(t.name, f);
            return f.name ? { name, ...rest } : rest;
          }),
        }
      : {}),
  };
  const ops: Operation[] = [{ kind: 'createTable', table: t.name, spec }];
  const rawIndexes = t.indexes.filter((i) => !simpleIndex(i));
  for (const i of t.indexes) if (simpleIndex(i)) ops.push(createIndexOp(t.name, i));
  const folded = foldOperations(ops, schema.dialect).schema.tables[t.name];
  const raw = new Set(rawIndexes.map((i) => i.name));
  if (!folded || !sameTable(folded, withoutIndexes(t, raw), schema.dialect))
    return {
      reason:
        'a key or constraint the DSL cannot declare exactly (folding its declaration gives another table)',
    };
  return { ops, rawIndexes };
}

/** {@link declareTable}'s operations, or null when the DSL cannot declare `t`. */
export function createTableOps(t: Table, schema: Schema): { ops: Operation[]; rawIndexes: Index[] } | null {
  const d = declareTable(t, schema);
  return 'reason' in d ? null : d;
}

/**
 * DSL operations turning table `a` into `b` (same name), plus indexes only SQL can make, or
 * null when the DSL cannot say it all (folding the operations must give `b` exactly).
 */
function alterTableOps(
  a: Table,
  b: Table,
  from: Schema,
  to: Schema,
): { ops: Operation[]; rawDrops: Index[]; rawCreates: Index[] } | null {
  const dialect = to.dialect;
  if (a.options.join() !== b.options.join()) return null;
  if (JSON.stringify(a.attached ?? {}) !== JSON.stringify(b.attached ?? {})) return null;
  if ((a.primaryKey ?? []).join() !== (b.primaryKey ?? []).join()) return null;
  const uniques = (t: Table) =>
    normalizeTable(t)
      .uniques.map((u) => `${u.columns.join()} ${(u.extras ?? []).join()}`)
      .join(';');
  if (uniques(a) !== uniques(b)) return null;
  const t = b.name;
  const dropIndexes: Operation[] = [];
  const dropConstraints: Operation[] = [];
  const columnOps: Operation[] = [];
  const addConstraints: Operation[] = [];
  const createIndexes: Operation[] = [];
  const rawDrops: Index[] = [];
  const rawCreates: Index[] = [];

  const bIndexes = new Map(b.indexes.map((i) => [i.name, i]));
  const aIndexes = new Map(a.indexes.map((i) => [i.name, i]));
  const sameIndex = (x: Index, y: Index) => JSON.stringify(x) === JSON.stringify(y);
  for (const i of a.indexes) {
    const n = bIndexes.get(i.name);
    if (n && sameIndex(i, n)) continue;
    if (simpleIndex(i)) dropIndexes.push(dropIndexOp(t, i));
    else rawDrops.push(i);
  }
  for (const i of b.indexes) {
    const o = aIndexes.get(i.name);
    if (o && sameIndex(i, o)) continue;
    if (simpleIndex(i)) createIndexes.push(createIndexOp(t, i));
    else rawCreates.push(i);
  }

  const fkKey = (f: Table['foreignKeys'][number]) =>
    `${foreignKeyIdentity(f)} ${f.onDelete} ${f.onUpdate} ${[...(f.extras ?? [])].sort().join()}`;
  for (const f of a.foreignKeys) {
    if (b.foreignKeys.some((n) => fkKey(n) === fkKey(f))) continue;
    if (!f.name) return null;
    const { name: _name, ...definition } = foreignKeySpec(t, f);
    dropConstraints.push({ kind: 'dropForeignKey', table: t, name: f.name, definition });
  }
  for (const f of b.foreignKeys)
    if (!a.foreignKeys.some((o) => fkKey(o) === fkKey(f)))
      addConstraints.push({ kind: 'addForeignKey', table: t, spec: foreignKeySpec(t, f) });
  const checkKey = (c: Table['checks'][number]) => `${c.expression} ${[...(c.extras ?? [])].sort().join()}`;
  const aChecks = ownChecks(a, from);
  const bChecks = ownChecks(b, to);
  for (const c of aChecks) {
    if (bChecks.some((n) => checkKey(n) === checkKey(c))) continue;
    if (!c.name) return null;
    dropConstraints.push({ kind: 'dropCheck', table: t, name: c.name, expression: c.expression });
  }
  bChecks.forEach((c, i) => {
    if (!aChecks.some((o) => checkKey(o) === checkKey(c)))
      addConstraints.push({
        kind: 'addCheck',
        table: t,
        spec: { name: c.name ?? `${t}_check${i + 1}`, expression: c.expression },
      });
  });

  const aColumns = new Map(a.columns.map((c) => [c.name, c]));
  const bColumns = new Map(b.columns.map((c) => [c.name, c]));
  for (const c of a.columns) {
    if (bColumns.has(c.name)) continue;
    const definition = columnSpec(a, c, from);
    columnOps.push(
      definition
        ? { kind: 'dropColumn', table: t, column: c.name, definition }
        : { kind: 'dropColumn', table: t, column: c.name },
    );
  }
  for (const c of b.columns) {
    const o = aColumns.get(c.name);
    if (!o) {
      if (c.identity !== null) return null;
      const spec = columnSpec(b, c, to);
      if (!spec) return null;
      columnOps.push({ kind: 'addColumn', table: t, column: c.name, spec });
      continue;
    }
    if (o.generated !== c.generated || o.collation !== c.collation || o.identity !== c.identity) return null;
    if ((o.extras ?? []).join('\0') !== (c.extras ?? []).join('\0')) return null;
    const before = columnSpec(a, o, from);
    const after = columnSpec(b, c, to);
    if (!before || !after) {
      if (JSON.stringify(o) === JSON.stringify(c) && checkEnumOf(a, o.name) === null) continue;
      return null;
    }
    const change: Record<string, unknown> = {};
    const previous: Record<string, unknown> = {};
    if (JSON.stringify(before.type) !== JSON.stringify(after.type)) {
      change.type = after.type;
      previous.type = before.type;
    }
    if (o.nullable !== c.nullable) {
      change.nullable = c.nullable;
      previous.nullable = o.nullable;
    }
    if (o.default !== c.default) {
      change.default = after.default ?? null;
      previous.default = before.default ?? null;
    } else if (change.type !== undefined && before.default !== undefined) {
      // The compiler drops a default around a type change and sets it again from `from`.
      previous.default = before.default;
    }
    if (Object.keys(change).length === 0) continue;
    columnOps.push({ kind: 'alterColumn', table: t, column: c.name, change, from: previous });
  }

  const ops = [...dropIndexes, ...dropConstraints, ...columnOps, ...addConstraints, ...createIndexes];
  const base: Schema = { ...from, tables: { ...from.tables, [t]: a } };
  let folded: Table | undefined;
  try {
    folded = foldOperations(ops, dialect, base).schema.tables[t];
  } catch {
    return null;
  }
  const raw = new Set([...rawDrops, ...rawCreates].map((i) => i.name));
  if (!folded || !sameTable(withoutIndexes(folded, raw), withoutIndexes(b, raw), dialect)) return null;
  return { ops, rawDrops, rawCreates };
}

function sqlOp(statements: readonly string[]): Operation {
  return { kind: 'sql', up: statements.map((s) => s.trim()).join(';\n') };
}

/** Names of the tables in an order where each comes after the tables its foreign keys name. */
function byReferences(tables: Table[]): Table[] {
  const names = new Set(tables.map((t) => t.name));
  const out: Table[] = [];
  const placed = new Set<string>();
  const visit = (t: Table, path: Set<string>) => {
    if (placed.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const f of t.foreignKeys)
      if (names.has(f.referencedTable) && f.referencedTable !== t.name)
        visit(tables.find((x) => x.name === f.referencedTable) as Table, path);
    placed.add(t.name);
    out.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return out;
}

/**
 * The operations that make the renames: columns first (a column rename names its table as the
 * schema before the renames has it), then tables.
 */
function renameOps(renames: readonly Rename[]): Operation[] {
  const columns: Operation[] = [];
  const tables: Operation[] = [];
  for (const r of renames) {
    if (r.kind === 'table') tables.push({ kind: 'renameTable', table: r.from, to: r.to });
    else columns.push({ kind: 'renameColumn', table: r.table, column: r.from, to: r.to });
  }
  return [...columns, ...tables];
}

/** The renames back, for the plan of down (column renames name the table's new name). */
export function invertRenames(renames: readonly Rename[]): Rename[] {
  const renamed = new Map(renames.flatMap((r) => (r.kind === 'table' ? [[r.from, r.to] as const] : [])));
  return renames.map((r) =>
    r.kind === 'table'
      ? { kind: 'table', from: r.to, to: r.from }
      : { kind: 'column', table: renamed.get(r.table) ?? r.table, from: r.to, to: r.from },
  );
}

/** An enum's values as a list in words. */
function label(values: readonly string[]): string {
  return `(${values.join(', ')})`;
}

function sameObject(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The operations that turn `from` into `to`. Order: renames; views and triggers that go or
 * change are dropped; enums, types, functions and sequences are created; new tables; changed
 * tables; dropped tables; dropped enums and objects; then views, triggers and the objects that
 * name tables.
 */
export function planMigration(input: PlanInput): Plan {
  const { to, writer } = input;
  const dialect = to.dialect;
  const sourcesTo = input.sources?.to ?? {};
  const renames = input.renames ?? [];
  const unexpressed: string[] = [];
  const ops: Operation[] = [];

  let from = input.from;
  if (renames.length > 0) {
    const list = renameOps(renames);
    try {
      from = foldOperations(list, dialect, from).schema;
    } catch (e) {
      unexpressed.push(`The renames cannot be made: ${(e as Error).message}`);
      return { ops: [], unexpressed };
    }
    ops.push(...list);
  }

  // Views and triggers whose definition changes or that go are dropped first (a table change
  // may need them out of the way); new and changed ones are created last.
  const viewsGone = Object.values(from.views).filter((v) => !sameObject(v, to.views[v.name]));
  const viewsNew = Object.values(to.views).filter((v) => !sameObject(v, from.views[v.name]));
  // Triggers by their key, not their name: a PostgreSQL trigger's name is unique per table only.
  const triggersGone = Object.entries(from.triggers)
    .filter(([k, g]) => !sameObject(g, to.triggers[k]))
    .map(([, g]) => g);
  const newTriggerKeys = new Set(
    Object.entries(to.triggers)
      .filter(([k, g]) => !sameObject(g, from.triggers[k]))
      .map(([k]) => k),
  );
  const triggersNew = Object.entries(to.triggers)
    .filter(([k]) => newTriggerKeys.has(k))
    .map(([, g]) => g);
  // Rules and indexes of materialized views that go or change go first: before what they are on.
  const objectsFrom = from.objects ?? {};
  const objectsTo = to.objects ?? {};
  for (const [key, o] of Object.entries(objectsFrom))
    if ((o.kind === 'rule' || o.kind === 'index') && objectsTo[key]?.definition !== o.definition)
      ops.push(sqlOp(writer.dropObject(o)));
  for (const g of triggersGone) ops.push(sqlOp(writer.dropTrigger(g)));
  for (const v of [...viewsGone].reverse()) ops.push(sqlOp(writer.dropView(v)));

  // Enums.
  const enumsGone: EnumType[] = [];
  for (const e of Object.values(to.enums)) {
    const old = from.enums[e.name];
    if (!old) ops.push({ kind: 'createEnum', name: e.name, values: [...e.values] });
    else if (!sameObject(old.values, e.values)) {
      const kept = e.values.filter((v) => old.values.includes(v));
      const lastOld = Math.max(...old.values.map((v) => e.values.indexOf(v)));
      if (sameObject(kept, old.values) && old.values.includes(e.values[0])) {
        // Only values added, none first: after the last old one, the DSL's addEnumValue; between old ones,
        // the dialect's "add after" (in order, so the value before exists by then).
        for (const [i, v] of e.values.entries()) {
          if (old.values.includes(v)) continue;
          if (i > lastOld) ops.push({ kind: 'addEnumValue', name: e.name, value: v });
          else {
            const sql = writer.addEnumValue(e.name, v, e.values[i - 1]);
            if (sql) ops.push(sqlOp([sql]));
            else
              unexpressed.push(`Enum type ${e.name} cannot get value ${v} where ${label(e.values)} puts it.`);
          }
        }
        continue;
      }
      // Values go or move: the type is made again, its columns converted.
      const type = `enum:${e.name}`;
      const uses = Object.values(from.tables).flatMap((table) =>
        table.columns.filter((column) => column.type === type).map((column) => ({ table, column })),
      );
      const arrays = Object.values(from.tables).some((t) =>
        t.columns.some((c) => c.type.startsWith(`${e.name}[`) || c.type.startsWith(`${type}[`)),
      );
      const statements = arrays ? null : writer.replaceEnum(old, e, uses);
      if (statements) ops.push(sqlOp(statements));
      else
        unexpressed.push(
          `Enum type ${e.name} changes from ${label(old.values)} to ${label(e.values)}: values that go or move need the type made again, which generate cannot do here${arrays ? ' (an array column uses it)' : ''}.`,
        );
    }
  }
  for (const e of Object.values(from.enums)) if (!to.enums[e.name]) enumsGone.push(e);

  // Other objects (PostgreSQL types, domains, sequences, functions; SQLite virtual tables).
  const objectsLater: SchemaObject[] = [];
  const objectsGone: SchemaObject[] = [];
  const objectsNew: SchemaObject[] = [];
  for (const [key, o] of Object.entries(objectsTo)) {
    const old = objectsFrom[key];
    if (old && old.definition === o.definition) continue;
    if (old && !['function', 'rule', 'index', 'virtual table'].includes(o.kind)) {
      unexpressed.push(`${o.kind} ${o.name} changes; generate can create and drop it, not alter it.`);
      continue;
    }
    // A changed function is replaced in place (CREATE OR REPLACE): what uses it stays.
    if (old && o.kind !== 'function') objectsGone.push(old);
    if (o.kind === 'rule' || o.kind === 'index') objectsLater.push(o);
    else objectsNew.push(o);
  }
  for (const [key, o] of Object.entries(objectsFrom))
    if (!objectsTo[key] && o.kind !== 'rule' && o.kind !== 'index') objectsGone.push(o);
  // What names a table goes before the tables; types and sequences after them.
  const goneOrder = writer.orderObjects(
    objectsGone.filter((o) => o.kind !== 'rule' && o.kind !== 'index'),
    from,
    input.sources?.from ?? {},
  );
  for (const o of [...goneOrder.afterTables].reverse()) ops.push(sqlOp(writer.dropObject(o)));
  const objectOrder = writer.orderObjects(objectsNew, to, sourcesTo);
  for (const o of objectOrder.beforeTables) ops.push(sqlOp(writer.createObject(o, sourcesTo)));

  // Tables.
  const unchangedViews: Schema = {
    ...to,
    views: Object.fromEntries(Object.entries(to.views).filter(([n]) => !viewsNew.some((v) => v.name === n))),
    triggers: Object.fromEntries(Object.entries(to.triggers).filter(([k]) => !newTriggerKeys.has(k))),
  };
  const created = Object.values(to.tables).filter((t) => !from.tables[t.name]);
  const pending = new Set(created.map((t) => t.name));
  const deferred: { table: Table; key: Table['foreignKeys'][number] }[] = [];
  for (const whole of byReferences(created)) {
    pending.delete(whole.name);
    // Keys naming a table created after this one (they name each other) are added at the end.
    const later = writer.checksReferencesAtCreate
      ? whole.foreignKeys.filter((f) => pending.has(f.referencedTable))
      : [];
    const t = { ...whole, foreignKeys: whole.foreignKeys.filter((f) => !later.includes(f)) };
    for (const key of later) deferred.push({ table: t, key });
    const dsl = createTableOps(t, to);
    if (dsl) {
      ops.push(...dsl.ops);
      for (const i of dsl.rawIndexes) ops.push(sqlOp([writer.createIndex(t, i)]));
    } else ops.push(sqlOp(writer.createTable(t, to)));
  }
  for (const { table, key } of deferred) {
    if (key.name && (key.extras ?? []).length === 0)
      ops.push({ kind: 'addForeignKey', table: table.name, spec: foreignKeySpec(table.name, key) });
    else ops.push(sqlOp(writer.addForeignKey(table, key)));
  }
  for (const b of Object.values(to.tables)) {
    const a = from.tables[b.name];
    if (!a || sameTable(a, b, dialect)) continue;
    const dsl = alterTableOps(a, b, from, to);
    if (dsl) {
      for (const i of dsl.rawDrops) ops.push(sqlOp([writer.dropIndex(a, i)]));
      ops.push(...dsl.ops);
      for (const i of dsl.rawCreates) ops.push(sqlOp([writer.createIndex(b, i)]));
      continue;
    }
    const statements = writer.alterTable(a, b, unchangedViews, sourcesTo);
    if (statements) ops.push(sqlOp(statements));
    else
      unexpressed.push(
        `Table ${b.name} changes in a way ALTER TABLE cannot make (its options, a generated column, or a constraint without a name): write this migration by hand.`,
      );
  }
  for (const o of objectsNew) {
    const after = writer.afterTables(o);
    if (after.length > 0) ops.push(sqlOp(after));
  }
  const dropped = Object.values(from.tables).filter((t) => !to.tables[t.name]);
  const dropOrder = byReferences(dropped).reverse();
  if (writer.checksReferencesAtCreate) {
    // Tables that name each other: the key of the one dropped later goes first.
    const position = new Map(dropOrder.map((t, i) => [t.name, i]));
    for (const [i, t] of dropOrder.entries())
      for (const f of t.foreignKeys)
        if ((position.get(f.referencedTable) ?? i) < i && f.referencedTable !== t.name) {
          if (!f.name)
            unexpressed.push(`Foreign key ${t.name}${foreignKeyIdentity(f)} has no name to drop it by.`);
          else ops.push({ kind: 'dropForeignKey', table: t.name, name: f.name });
        }
  }
  for (const t of dropOrder) {
    const dsl = createTableOps(t, from);
    const createOp = dsl?.ops[0] as Extract<Operation, { kind: 'createTable' }> | undefined;
    ops.push(
      dsl && dsl.rawIndexes.length === 0 && createOp
        ? { kind: 'dropTable', table: t.name, definition: createOp.spec }
        : sqlOp(writer.dropTable(t)),
    );
  }

  for (const e of enumsGone) ops.push({ kind: 'dropEnum', name: e.name, values: [...e.values] });
  for (const o of [...goneOrder.beforeTables].reverse()) ops.push(sqlOp(writer.dropObject(o)));

  for (const o of objectOrder.afterTables) ops.push(sqlOp(writer.createObject(o, sourcesTo)));
  for (const v of orderViews(viewsNew)) ops.push(sqlOp(writer.createView(v, sourcesTo)));
  for (const o of objectsLater) ops.push(sqlOp(writer.createObject(o, sourcesTo)));
  for (const g of triggersNew) ops.push(sqlOp(writer.createTrigger(g, sourcesTo)));
  return { ops, unexpressed };
}

/** Views in the order the schema writer creates them (it orders by what each names). */
function orderViews<T extends { name: string; definition: string }>(views: T[]): T[] {
  const out: T[] = [];
  const pending = [...views];
  while (pending.length > 0) {
    const next = pending.findIndex((v) =>
      pending.every((o) => o === v || !v.definition.toLowerCase().includes(o.name.toLowerCase())),
    );
    out.push(...pending.splice(next < 0 ? 0 : next, 1));
  }
  return out;
}
