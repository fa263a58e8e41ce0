/**
 * A schema written in the operation DSL's vocabulary (`schema.ts`): tables as `createTable`
 * takes them, with their indexes, and enums. Portable: the same file describes the schema on
 * SQLite and on PostgreSQL, as a DSL migration does.
 */
import type { DialectName } from '../dialects/dialect.js';
import { DbDoctorError } from '../errors.js';
import { literal } from '../generate/code.js';
import { declareTable } from '../generate/plan.js';
import { foldOperations } from '../ops/fold.js';
import { PORTABLE_TYPES } from '../ops/portable.js';
import type { IndexSpec, Operation, TableSpec } from '../ops/types.js';
import type { Schema } from '../schema/model.js';

/** An index of a table in a {@link SchemaDefinition}. */
export interface IndexDefinition extends Omit<IndexSpec, 'concurrently'> {
  readonly columns: readonly string[];
}

/** A table in a {@link SchemaDefinition}: what `createTable` takes, plus its indexes. */
export interface TableDefinition extends TableSpec {
  readonly indexes?: readonly IndexDefinition[];
}

/** A whole schema in the DSL's vocabulary. */
export interface SchemaDefinition {
  /** Enum types by name (PostgreSQL types; on SQLite each column of one gets a CHECK). */
  readonly enums?: Readonly<Record<string, readonly string[]>>;
  readonly tables: Readonly<Record<string, TableDefinition>>;
}

/**
 * Declares the desired schema; use as the default export of `schema.ts`, then
 * `dbdoctor generate <name>` writes the migration that gets the database there.
 *
 * @example
 * export default defineSchema({
 *   tables: {
 *     accounts: {
 *       columns: { id: { type: 'integer', primaryKey: true }, email: { type: 'text', nullable: false } },
 *       indexes: [{ columns: ['email'], unique: true }],
 *     },
 *   },
 * });
 */
export function defineSchema<D extends SchemaDefinition>(definition: D): D {
  return definition;
}

/** The operations that create a defined schema from nothing. */
export function definitionOperations(definition: SchemaDefinition): Operation[] {
  const ops: Operation[] = [];
  for (const [name, values] of Object.entries(definition.enums ?? {}))
    ops.push({ kind: 'createEnum', name, values: [...values] });
  for (const [table, { indexes: _indexes, ...spec }] of Object.entries(definition.tables))
    ops.push({ kind: 'createTable', table, spec });
  for (const [table, t] of Object.entries(definition.tables))
    for (const i of t.indexes ?? []) {
      const { columns, ...spec } = i;
      const name = spec.name ?? `${table}_${columns.join('_')}_${spec.unique ? 'key' : 'idx'}`;
      ops.push({ kind: 'createIndex', table, columns: [...columns], name, spec: { ...spec, name } });
    }
  return ops;
}

/** The schema model a definition gives on `dialect` (what the database would report). */
export function schemaOfDefinition(definition: unknown, dialect: DialectName, file: string): Schema {
  if (
    typeof definition !== 'object' ||
    definition === null ||
    typeof (definition as { tables?: unknown }).tables !== 'object'
  ) {
    throw new DbDoctorError('BAD_SCHEMA_FILE', `${file} does not default-export a schema definition.`, {
      unchanged: 'Nothing was written.',
      hint: "Write `export default defineSchema({ tables: { ... } })` (import { defineSchema } from 'dbdoctor').",
    });
  }
  const problems = definitionProblems(definition as SchemaDefinition);
  if (problems.length > 0)
    throw new DbDoctorError(
      'BAD_SCHEMA_FILE',
      `${file} does not define a valid schema:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        unchanged: 'Nothing was written.',
        hint: `Column types are one of ${PORTABLE_TYPES.join(', ')}, or enumType(name, values); keys, indexes and foreign keys name columns (and tables) the file defines. For a type the DSL has no word for, use schema.sql (\`dbdoctor pull --format sql\`).`,
        details: { problems },
      },
    );
  try {
    return foldOperations(definitionOperations(definition as SchemaDefinition), dialect).schema;
  } catch (e) {
    throw new DbDoctorError('BAD_SCHEMA_FILE', `${file}: ${(e as Error).message}`, {
      unchanged: 'Nothing was written.',
      hint: 'Fix the definition so every index and key names columns and tables it defines.',
      cause: e,
    });
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNameList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * What is wrong with a definition, each naming its table and column: types outside the DSL's
 * vocabulary, and keys, indexes and foreign keys naming columns or tables it does not define.
 * Checked before folding, whose own errors say less (or nothing) about where.
 */
export function definitionProblems(definition: SchemaDefinition): string[] {
  const problems: string[] = [];
  const tables = definition.tables as unknown as Record<string, unknown>;
  const enums = isRecord(definition.enums) ? definition.enums : {};
  const columnsOf = (t: unknown): Record<string, unknown> =>
    isRecord(t) && isRecord(t.columns) ? t.columns : {};
  const checkColumns = (table: string, what: string, names: unknown, of = table) => {
    if (!isNameList(names)) {
      problems.push(`table ${table}: ${what} must be a list of column names`);
      return;
    }
    const known = columnsOf(tables[of]);
    for (const n of names)
      if (!(n in known))
        problems.push(
          `table ${table}: ${what} names column ${n}, which ${of === table ? 'the table' : `table ${of}`} does not have (columns: ${Object.keys(known).join(', ') || 'none'})`,
        );
  };
  for (const [table, t] of Object.entries(tables)) {
    if (!isRecord(t) || !isRecord(t.columns)) {
      problems.push(`table ${table}: needs columns: { name: { type: … }, … }`);
      continue;
    }
    for (const [column, c] of Object.entries(t.columns)) {
      const type = isRecord(c) ? c.type : undefined;
      if (typeof type === 'string') {
        if (!(PORTABLE_TYPES as string[]).includes(type))
          problems.push(
            `table ${table}, column ${column}: type '${type}' is not one the DSL accepts (${PORTABLE_TYPES.join(', ')}, or enumType(name, values))`,
          );
      } else if (isRecord(type) && typeof type.enum === 'string' && isNameList(type.values)) {
        const declared = enums[type.enum];
        if (declared !== undefined && JSON.stringify(declared) !== JSON.stringify(type.values))
          problems.push(
            `table ${table}, column ${column}: enum ${type.enum} has other values here than in enums`,
          );
      } else
        problems.push(
          `table ${table}, column ${column}: needs a type (${PORTABLE_TYPES.join(', ')}, or enumType(name, values))`,
        );
      const ref = isRecord(c) ? c.references : undefined;
      if (ref !== undefined) {
        if (!isRecord(ref) || typeof ref.table !== 'string' || typeof ref.column !== 'string')
          problems.push(`table ${table}, column ${column}: references needs { table, column }`);
        else if (!(ref.table in tables))
          problems.push(
            `table ${table}, column ${column}: references table ${ref.table}, which the file does not define`,
          );
        else checkColumns(table, `column ${column}'s reference`, [ref.column], ref.table);
      }
    }
    if (t.primaryKey !== undefined) checkColumns(table, 'primaryKey', t.primaryKey);
    if (t.unique !== undefined) {
      if (!Array.isArray(t.unique)) problems.push(`table ${table}: unique must be a list of column lists`);
      else for (const u of t.unique) checkColumns(table, 'a unique constraint', u);
    }
    if (t.indexes !== undefined) {
      if (!Array.isArray(t.indexes)) problems.push(`table ${table}: indexes must be a list`);
      else
        for (const i of t.indexes)
          checkColumns(
            table,
            `index ${isRecord(i) && typeof i.name === 'string' ? i.name : '(unnamed)'}`,
            isRecord(i) ? i.columns : undefined,
          );
    }
    if (t.foreignKeys !== undefined) {
      if (!Array.isArray(t.foreignKeys)) problems.push(`table ${table}: foreignKeys must be a list`);
      else
        for (const f of t.foreignKeys) {
          if (!isRecord(f) || !isRecord(f.references) || typeof f.references.table !== 'string') {
            problems.push(`table ${table}: a foreign key needs { columns, references: { table, columns } }`);
            continue;
          }
          checkColumns(table, 'a foreign key', f.columns);
          if (!(f.references.table in tables))
            problems.push(
              `table ${table}: a foreign key references table ${f.references.table}, which the file does not define`,
            );
          else checkColumns(table, "a foreign key's reference", f.references.columns, f.references.table);
        }
    }
  }
  return problems;
}

/** Tables and why each cannot be written in the DSL's vocabulary. */
export interface NotPortable {
  table: string;
  reason: string;
}

/**
 * A schema model as `schema.ts` source, or the tables the DSL cannot declare exactly (types
 * with no portable name, generated columns, table options, ...).
 */
export function definitionCode(schema: Schema): { code: string } | { notPortable: NotPortable[] } {
  const notPortable: NotPortable[] = [];
  const tables: Record<string, TableDefinition> = {};
  for (const t of Object.values(schema.tables)) {
    const made = declareTable(t, schema);
    if ('reason' in made) {
      notPortable.push({ table: t.name, reason: made.reason });
      continue;
    }
    if (made.rawIndexes.length > 0) {
      const names = made.rawIndexes.map((i) => i.name).join(', ');
      notPortable.push({ table: t.name, reason: `index ${names} has keys createIndex cannot declare` });
      continue;
    }
    const [create, ...indexes] = made.ops;
    const spec = (create as Extract<Operation, { kind: 'createTable' }>).spec;
    const indexList = indexes.map((op) => {
      const i = op as Extract<Operation, { kind: 'createIndex' }>;
      return { columns: [...i.columns], ...i.spec, name: i.name };
    });
    tables[t.name] = indexList.length > 0 ? { ...spec, indexes: indexList } : spec;
  }
  if (
    Object.keys(schema.views).length +
      Object.keys(schema.triggers).length +
      Object.keys(schema.objects ?? {}).length >
    0
  )
    notPortable.push({ table: '(views, triggers, other objects)', reason: 'the DSL has no words for them' });
  if (notPortable.length > 0) return { notPortable };
  const enums = Object.fromEntries(Object.values(schema.enums).map((e) => [e.name, e.values]));
  const definition = { ...(Object.keys(enums).length > 0 ? { enums } : {}), tables };
  const body = literal(definition, '');
  const helpers = ['defineSchema'];
  if (body.includes('enumType(')) helpers.push('enumType');
  if (body.includes('now()')) helpers.push('now');
  if (body.includes('sqlDefault(')) helpers.push('sqlDefault');
  return {
    code: `// The desired schema, in the operation DSL's vocabulary (written by dbdoctor pull).
// Edit it and run \`dbdoctor generate <name>\` for the migration that gets the database there.
import { ${helpers.sort().join(', ')} } from 'dbdoctor';

export default defineSchema(${body});
`,
  };
}
