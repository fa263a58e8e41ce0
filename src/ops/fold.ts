/**
 * Folding operations into the schema model: the expected schema of a DSL migration without a
 * database. The result is what introspection of each dialect reports after running the ops
 * (types, defaults and SQLite's enum CHECKs spelled the way each database reports them), so
 * it can be compared by fingerprint with a live database.
 */
import type { Dialect, DialectName } from '../dialects/dialect.js';
import { dialectNamed } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';
import type { CheckConstraint, Column, ForeignKey, Index, Schema, Table } from '../schema/model.js';
import { emptySchema } from '../schema/model.js';
import { normalizeAction, normalizeExpression, normalizeSchema } from '../schema/normalize.js';
import { renameIdentifier } from '../schema/sql-tokens.js';
import {
  columnTypeOfModel,
  enumCheckExpression,
  enumCheckName,
  enumValuesOf,
  isEnumCheckOf,
  isEnumRef,
} from './portable.js';
import type { ColumnSpec, ForeignKeySpec, Operation, TableSpec } from './types.js';

/** The result of folding: the schema, and whether raw SQL made parts of it unknowable. */
export interface FoldResult {
  schema: Schema;
  /** True when a `sql` operation ran: its effect on the model is not known. */
  opaque: boolean;
}

function foldError(op: Operation, message: string): DbDoctorError {
  return new DbDoctorError('BAD_OPERATION', `${op.kind}: ${message}`, {
    unchanged: 'Nothing was run.',
    hint: 'Fix the operation so it names objects that exist at that point of the migrations.',
  });
}

/** A model column for a DSL column. */
export function modelColumn(name: string, spec: ColumnSpec, dialect: Dialect, inPrimaryKey: boolean): Column {
  const columns = dialect.compiler.columns;
  const identity = spec.autoIncrement ? columns.identity : null;
  return {
    name,
    type: columns.modelType(spec.type),
    nullable: inPrimaryKey || spec.primaryKey ? false : (spec.nullable ?? true),
    default: columns.modelDefault(spec.default, spec.type),
    generated: null,
    collation: null,
    identity,
  };
}

function modelForeignKey(spec: ForeignKeySpec): ForeignKey {
  return {
    name: spec.name ?? null,
    columns: [...spec.columns],
    referencedTable: spec.references.table,
    referencedColumns: [...spec.references.columns],
    onDelete: normalizeAction(spec.onDelete),
    onUpdate: normalizeAction(spec.onUpdate),
  };
}

/** The CHECK standing for an enum column, where enums are CHECKs. */
function enumCheck(column: string, spec: ColumnSpec, dialect: Dialect): CheckConstraint[] {
  if (dialect.capabilities.enumStyle !== 'check' || !isEnumRef(spec.type)) return [];
  return [
    {
      name: enumCheckName(spec.type.enum, column),
      expression: normalizeExpression(
        enumCheckExpression(column, spec.type.values, dialect),
        dialect.expressionSyntax,
      ),
    },
  ];
}

/** What a column declaration adds besides the column: unique, foreign key, enum check. */
function columnExtras(table: Table, name: string, spec: ColumnSpec, dialect: Dialect): void {
  if (spec.unique) table.uniques.push({ name: null, columns: [name] });
  if (spec.references) {
    table.foreignKeys.push(
      modelForeignKey({
        columns: [name],
        references: { table: spec.references.table, columns: [spec.references.column] },
        onDelete: spec.references.onDelete,
        onUpdate: spec.references.onUpdate,
      }),
    );
  }
  table.checks.push(...enumCheck(name, spec, dialect));
}

/** The model table for a createTable. */
export function modelTable(name: string, spec: TableSpec, dialect: Dialect): Table {
  const columnPk = Object.entries(spec.columns)
    .filter(([, c]) => c.primaryKey)
    .map(([n]) => n);
  const primaryKey = spec.primaryKey ? [...spec.primaryKey] : columnPk.length > 0 ? columnPk : null;
  const table: Table = {
    name,
    columns: Object.entries(spec.columns).map(([n, c]) =>
      modelColumn(n, c, dialect, primaryKey?.includes(n) ?? false),
    ),
    primaryKey,
    uniques: [],
    indexes: [],
    foreignKeys: [],
    checks: [],
    options: [],
  };
  for (const [n, c] of Object.entries(spec.columns)) columnExtras(table, n, c, dialect);
  for (const u of spec.unique ?? []) table.uniques.push({ name: null, columns: [...u] });
  for (const fk of spec.foreignKeys ?? []) table.foreignKeys.push(modelForeignKey(fk));
  for (const c of spec.checks ?? [])
    table.checks.push({
      name: c.name,
      expression: normalizeExpression(c.expression, dialect.expressionSyntax),
    });
  return table;
}

function tableOf(schema: Schema, name: string, op: Operation): Table {
  const t = schema.tables[name];
  if (!t) throw foldError(op, `table "${name}" does not exist.`);
  return t;
}

function columnOf(table: Table, name: string, op: Operation): Column {
  const c = table.columns.find((x) => x.name === name);
  if (!c) throw foldError(op, `column "${table.name}"."${name}" does not exist.`);
  return c;
}

function findIndex(schema: Schema, name: string): { table: Table; index: Index } | null {
  for (const table of Object.values(schema.tables)) {
    const index = table.indexes.find((i) => i.name === name);
    if (index) return { table, index };
  }
  return null;
}

/** Applies one operation to `schema` in place. Returns false for raw SQL (effect unknown). */
function foldOne(schema: Schema, op: Operation, dialect: Dialect): boolean {
  const syntax = dialect.expressionSyntax;
  const columns = dialect.compiler.columns;
  switch (op.kind) {
    case 'createTable':
      if (schema.tables[op.table]) throw foldError(op, `table "${op.table}" already exists.`);
      schema.tables[op.table] = modelTable(op.table, op.spec, dialect);
      return true;
    case 'dropTable':
      tableOf(schema, op.table, op);
      delete schema.tables[op.table];
      return true;
    case 'renameTable': {
      const t = tableOf(schema, op.table, op);
      if (schema.tables[op.to]) throw foldError(op, `table "${op.to}" already exists.`);
      delete schema.tables[op.table];
      t.name = op.to;
      schema.tables[op.to] = t;
      for (const other of Object.values(schema.tables))
        for (const fk of other.foreignKeys) if (fk.referencedTable === op.table) fk.referencedTable = op.to;
      return true;
    }
    case 'addColumn': {
      const t = tableOf(schema, op.table, op);
      if (t.columns.some((c) => c.name === op.column))
        throw foldError(op, `column "${op.table}"."${op.column}" already exists.`);
      t.columns.push(modelColumn(op.column, op.spec, dialect, false));
      if (op.spec.primaryKey) t.primaryKey = [op.column];
      columnExtras(t, op.column, op.spec, dialect);
      return true;
    }
    case 'dropColumn': {
      const t = tableOf(schema, op.table, op);
      columnOf(t, op.column, op);
      t.columns = t.columns.filter((c) => c.name !== op.column);
      t.indexes = t.indexes.filter((i) => !i.keys.some((k) => k.column === op.column));
      t.uniques = t.uniques.filter((u) => !u.columns.includes(op.column));
      t.foreignKeys = t.foreignKeys.filter((f) => !f.columns.includes(op.column));
      t.checks = t.checks.filter((c) => !isEnumCheckOf(c.name, op.column));
      return true;
    }
    case 'alterColumn': {
      const t = tableOf(schema, op.table, op);
      const c = columnOf(t, op.column, op);
      const { change } = op;
      if (change.type !== undefined) {
        c.type = columns.modelType(change.type);
        t.checks = t.checks.filter((k) => !isEnumCheckOf(k.name, op.column));
        t.checks.push(...enumCheck(op.column, { type: change.type }, dialect));
      }
      if (change.nullable !== undefined) c.nullable = change.nullable;
      if (change.default !== undefined) {
        c.default = columns.modelDefault(change.default, change.type ?? columnTypeOfModel(c.type, dialect));
      }
      return true;
    }
    case 'renameColumn': {
      const t = tableOf(schema, op.table, op);
      const c = columnOf(t, op.column, op);
      if (t.columns.some((x) => x.name === op.to))
        throw foldError(op, `column "${op.table}"."${op.to}" already exists.`);
      c.name = op.to;
      const swap = (n: string) => (n === op.column ? op.to : n);
      if (t.primaryKey) t.primaryKey = t.primaryKey.map(swap);
      for (const u of t.uniques) u.columns = u.columns.map(swap);
      for (const i of t.indexes) {
        for (const k of i.keys) if (k.column === op.column) k.column = op.to;
        if (i.where) i.where = normalizeExpression(renameIdentifier(i.where, op.column, op.to), syntax);
      }
      for (const f of t.foreignKeys) f.columns = f.columns.map(swap);
      for (const k of t.checks)
        k.expression = normalizeExpression(renameIdentifier(k.expression, op.column, op.to), syntax);
      for (const other of Object.values(schema.tables))
        for (const f of other.foreignKeys)
          if (f.referencedTable === op.table) f.referencedColumns = f.referencedColumns.map(swap);
      return true;
    }
    case 'createIndex': {
      const t = tableOf(schema, op.table, op);
      if (findIndex(schema, op.name)) throw foldError(op, `index "${op.name}" already exists.`);
      for (const col of op.columns) columnOf(t, col, op);
      t.indexes.push({
        name: op.name,
        unique: op.spec.unique ?? false,
        keys: op.columns.map((column) => ({ column, expression: null, descending: false, collation: null })),
        where: op.spec.where ? normalizeExpression(op.spec.where, syntax) : null,
        method: null,
      });
      return true;
    }
    case 'dropIndex': {
      const found = findIndex(schema, op.name);
      if (!found) throw foldError(op, `index "${op.name}" does not exist.`);
      found.table.indexes = found.table.indexes.filter((i) => i.name !== op.name);
      return true;
    }
    case 'addForeignKey':
      tableOf(schema, op.table, op).foreignKeys.push(modelForeignKey(op.spec));
      return true;
    case 'dropForeignKey': {
      const t = tableOf(schema, op.table, op);
      if (!t.foreignKeys.some((f) => f.name === op.name))
        throw foldError(op, `foreign key "${op.name}" does not exist on "${op.table}".`);
      t.foreignKeys = t.foreignKeys.filter((f) => f.name !== op.name);
      return true;
    }
    case 'addCheck':
      tableOf(schema, op.table, op).checks.push({
        name: op.spec.name,
        expression: normalizeExpression(op.spec.expression, syntax),
      });
      return true;
    case 'dropCheck': {
      const t = tableOf(schema, op.table, op);
      if (!t.checks.some((c) => c.name === op.name))
        throw foldError(op, `check "${op.name}" does not exist on "${op.table}".`);
      t.checks = t.checks.filter((c) => c.name !== op.name);
      return true;
    }
    case 'createEnum':
      // Where enums are CHECKs, the type exists only in the columns that use it.
      if (dialect.capabilities.enumStyle === 'type')
        schema.enums[op.name] = { name: op.name, values: [...op.values] };
      return true;
    case 'dropEnum':
      delete schema.enums[op.name];
      return true;
    case 'addEnumValue':
      // Inline enums have no name in the database: which columns were declared with this
      // enum is not known, so the compiler refuses it as well (see inlineEnumValueError).
      if (dialect.capabilities.enumStyle === 'inline') throw inlineEnumValueError(op);
      if (dialect.capabilities.enumStyle === 'type') {
        const e = schema.enums[op.name];
        if (!e) throw foldError(op, `enum "${op.name}" does not exist.`);
        e.values.push(op.value);
      } else {
        for (const t of Object.values(schema.tables)) {
          for (const c of t.checks) {
            if (!c.name?.startsWith(`${enumCheckName(op.name, '')}`)) continue;
            const column = c.name.slice(enumCheckName(op.name, '').length);
            const values = enumValuesOf(c.expression);
            c.expression = normalizeExpression(
              enumCheckExpression(column, [...values, op.value], dialect),
              syntax,
            );
          }
        }
      }
      return true;
    case 'sql':
      return false;
  }
}

/**
 * `addEnumValue` where enums are inline column types (MySQL's ENUM('a','b')): the database
 * keeps no enum name, so the columns declared with the enum cannot be found; each column is
 * widened with its own alterColumn instead.
 */
export function inlineEnumValueError(op: Extract<Operation, { kind: 'addEnumValue' }>): DbDoctorError {
  return new DbDoctorError(
    'BAD_OPERATION',
    `addEnumValue("${op.name}", "${op.value}"): on this dialect an enum is the inline type of each column that uses it (ENUM('a','b')), with no name in the database, so the columns of enum "${op.name}" cannot be found.`,
    {
      unchanged: 'Nothing was run.',
      hint: `Widen each column instead: alterColumn(table, column, { type: enumType('${op.name}', [...values, '${op.value}']) }, { type: enumType('${op.name}', values) }).`,
    },
  );
}

/** Folds `ops` into a copy of `base` (default: an empty schema of `dialect`). */
export function foldOperations(ops: readonly Operation[], dialect: DialectName, base?: Schema): FoldResult {
  const schema: Schema = structuredClone(base ?? emptySchema(dialect));
  const rules = dialectNamed(schema.dialect);
  let opaque = false;
  for (const op of ops) if (!foldOne(schema, op, rules)) opaque = true;
  return { schema: normalizeSchema(schema), opaque };
}
