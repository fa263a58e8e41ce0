/**
 * Checks the shape of operations that did not come from the builders (a migration file may
 * list them as plain objects). An operation of an unknown kind must never reach the
 * compilers: one of them would read it as "rebuild the table" and record a migration that
 * changed nothing as applied.
 */
import type { DialectName } from '../dialects/dialect.js';
import { dialectNames } from '../dialects/registry.js';
import type { ColumnDefault, Operation, OperationKind, SqlText } from './types.js';

type FieldType = 'string' | 'object' | 'strings' | 'sql';

/** Required fields of each kind, then optional ones (`?` suffix). */
const FIELDS: Record<OperationKind, Record<string, FieldType>> = {
  createTable: { table: 'string', spec: 'object' },
  dropTable: { table: 'string', 'definition?': 'object' },
  renameTable: { table: 'string', to: 'string' },
  addColumn: { table: 'string', column: 'string', spec: 'object' },
  dropColumn: { table: 'string', column: 'string', 'definition?': 'object' },
  alterColumn: { table: 'string', column: 'string', change: 'object', 'from?': 'object' },
  renameColumn: { table: 'string', column: 'string', to: 'string' },
  createIndex: { table: 'string', columns: 'strings', name: 'string', spec: 'object' },
  dropIndex: { name: 'string', 'definition?': 'object' },
  addForeignKey: { table: 'string', spec: 'object' },
  dropForeignKey: { table: 'string', name: 'string', 'definition?': 'object' },
  addCheck: { table: 'string', spec: 'object' },
  dropCheck: { table: 'string', name: 'string', 'expression?': 'string' },
  createEnum: { name: 'string', values: 'strings' },
  dropEnum: { name: 'string', 'values?': 'strings' },
  addEnumValue: { name: 'string', value: 'string' },
  sql: { up: 'sql', 'down?': 'sql' },
};

const KINDS = Object.keys(FIELDS) as OperationKind[];

function fits(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string' && value.length > 0;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'sql':
      return (
        typeof value === 'string' ||
        (typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length > 0 &&
          Object.values(value).every((v) => typeof v === 'string'))
      );
  }
}

const DESCRIBE: Record<FieldType, string> = {
  string: 'a non-empty string',
  object: 'an object',
  strings: 'a list of strings',
  sql: 'SQL text or an object of SQL texts keyed by dialect name ({ sqlite, postgres, ... })',
};

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function nearestKind(kind: string): OperationKind | null {
  let best: OperationKind | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of KINDS) {
    const d = distance(kind.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= 3 ? best : null;
}

/**
 * What is wrong with `op` as an operation (`null` when its kind is known and its fields have
 * the right types). Only the top-level shape is checked here; the compilers check the specs.
 */
export function operationProblem(op: unknown): string | null {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return 'it is not an object';
  const kind = (op as { kind?: unknown }).kind;
  if (typeof kind !== 'string') return 'it has no `kind`';
  if (!Object.hasOwn(FIELDS, kind)) {
    const near = nearestKind(kind);
    return `\`${kind}\` is not an operation${near ? ` (did you mean \`${near}\`?)` : ''}; known: ${KINDS.join(', ')}`;
  }
  for (const [key, type] of Object.entries(FIELDS[kind as OperationKind])) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    const value = (op as Record<string, unknown>)[name];
    if (value === undefined && optional) continue;
    if (!fits(value, type)) return `${kind}: \`${name}\` must be ${DESCRIBE[type]}`;
  }
  const unknownKey = unknownKeyProblem(op as Record<string, unknown>, kind as OperationKind);
  if (unknownKey) return `${kind}: ${unknownKey}`;
  for (const { where, text } of sqlTexts(op as Operation)) {
    if (typeof text === 'string') continue;
    const unknown = Object.keys(text).find((k) => !dialectNames().includes(k));
    if (unknown !== undefined)
      return `${kind}: ${where} names "${unknown}", which is not a dialect (known: ${dialectNames().join(', ')})`;
  }
  return null;
}

/** The SQL an operation carries: a `sql` operation's texts and every `sqlDefault` in it. */
function sqlTexts(op: Operation): { where: string; text: SqlText }[] {
  const out: { where: string; text: SqlText }[] = [];
  const fromDefault = (where: string, d: ColumnDefault | undefined) => {
    if (typeof d === 'object' && d !== null && 'sql' in d && d.sql !== undefined)
      out.push({ where: `the default of ${where}`, text: d.sql });
  };
  const fromColumns = (columns: unknown) => {
    if (typeof columns !== 'object' || columns === null) return;
    for (const [name, spec] of Object.entries(columns))
      fromDefault(`column "${name}"`, (spec as { default?: ColumnDefault } | null)?.default);
  };
  switch (op.kind) {
    case 'sql':
      out.push({ where: '`up`', text: op.up });
      if (op.down !== undefined) out.push({ where: '`down`', text: op.down });
      break;
    case 'createTable':
      fromColumns(op.spec?.columns);
      break;
    case 'dropTable':
      fromColumns(op.definition?.columns);
      break;
    case 'addColumn':
      fromDefault(`column "${op.column}"`, op.spec?.default);
      break;
    case 'dropColumn':
      fromDefault(`column "${op.column}"`, op.definition?.default);
      break;
    case 'alterColumn':
      fromDefault(`column "${op.column}"`, op.change?.default);
      fromDefault(`column "${op.column}" (from)`, op.from?.default);
      break;
    default:
      break;
  }
  return out.filter((e) => typeof e.text === 'string' || (typeof e.text === 'object' && e.text !== null));
}

/** Per-dialect SQL that has no text for the dialect a migration runs on. */
export interface MissingDialectSql {
  /** Index of the operation in its list. */
  index: number;
  kind: OperationKind;
  /** Which text: `` `up` ``, `the default of column "x"`. */
  where: string;
  /** The dialects it does give SQL for. */
  given: string[];
}

/**
 * The first per-dialect SQL in `ops` without an entry for `dialect`, or null when every text
 * covers it. Checked before a migration runs, so a dialect without transactional DDL never
 * runs half of one.
 */
export function missingDialectSql(ops: readonly Operation[], dialect: DialectName): MissingDialectSql | null {
  for (const [index, op] of ops.entries()) {
    for (const { where, text } of sqlTexts(op)) {
      if (typeof text === 'string' || typeof text[dialect] === 'string') continue;
      return { index, kind: op.kind, where, given: Object.keys(text) };
    }
  }
  return null;
}

/** The keys each object of an operation takes: a key outside these is never read. */
const COLUMN_KEYS = ['type', 'nullable', 'default', 'primaryKey', 'autoIncrement', 'unique', 'references'];
const TABLE_KEYS = ['columns', 'primaryKey', 'unique', 'checks', 'foreignKeys'];
const REFERENCES_KEYS = ['table', 'column', 'onDelete', 'onUpdate'];
const FOREIGN_KEY_KEYS = ['name', 'columns', 'references', 'onDelete', 'onUpdate'];
const FOREIGN_KEY_TARGET_KEYS = ['table', 'columns'];
const CHECK_KEYS = ['name', 'expression'];
const INDEX_KEYS = ['name', 'unique', 'where', 'concurrently'];
const CHANGE_KEYS = ['type', 'nullable', 'default'];
const INDEX_DEFINITION_KEYS = ['table', 'columns', 'spec'];

/**
 * Other tools' words for the DSL's: a key like these would otherwise be ignored in silence
 * (`identity: true` made no AUTO_INCREMENT column).
 */
const SYNONYMS: Record<string, string> = {
  identity: 'autoIncrement',
  autoincrement: 'autoIncrement',
  auto_increment: 'autoIncrement',
  serial: 'autoIncrement',
  increments: 'autoIncrement',
  generated: 'autoIncrement',
  null: 'nullable',
  notNull: 'nullable',
  required: 'nullable',
  primary: 'primaryKey',
  pk: 'primaryKey',
  defaultValue: 'default',
  ref: 'references',
  foreignKey: 'references',
};

function plainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first key of `obj` outside `accepted`, said with what it may have meant and what is accepted. */
function strayKey(obj: unknown, accepted: readonly string[], where: string): string | null {
  if (!plainObject(obj)) return null;
  for (const key of Object.keys(obj)) {
    if (accepted.includes(key)) continue;
    const synonym = SYNONYMS[key] ?? SYNONYMS[key.toLowerCase()];
    const near =
      synonym && accepted.includes(synonym)
        ? synonym
        : accepted.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
    return `${where} has the key \`${key}\`, which the DSL does not know${near ? ` (did you mean \`${near}\`?)` : ''}; accepted: ${accepted.join(', ')}`;
  }
  return null;
}

/** A column's problems: unknown keys, and an autoIncrement that would not be one everywhere. */
function columnProblem(spec: unknown, where: string): string | null {
  if (!plainObject(spec)) return null;
  const stray =
    strayKey(spec, COLUMN_KEYS, where) ??
    strayKey(spec.references, REFERENCES_KEYS, `${where}'s \`references\``);
  if (stray) return stray;
  if (plainObject(spec.type)) {
    const enumStray = strayKey(spec.type, ['enum', 'values'], `${where}'s enum type`);
    if (enumStray) return enumStray;
  }
  if (plainObject(spec.default)) {
    const defaultStray = strayKey(spec.default, ['now', 'sql'], `${where}'s default`);
    if (defaultStray) return defaultStray;
  }
  // SQLite takes AUTOINCREMENT only on an INTEGER PRIMARY KEY (and would ignore it elsewhere).
  if (
    spec.autoIncrement === true &&
    (spec.primaryKey !== true || (spec.type !== 'integer' && spec.type !== 'bigint'))
  )
    return `${where} has \`autoIncrement: true\` without \`primaryKey: true\` on an integer or bigint column; the spelling that works on every dialect is { type: 'integer', primaryKey: true, autoIncrement: true }`;
  return null;
}

function tableProblem(spec: unknown, where: string): string | null {
  if (!plainObject(spec)) return null;
  const stray = strayKey(spec, TABLE_KEYS, where);
  if (stray) return stray;
  if (plainObject(spec.columns))
    for (const [name, column] of Object.entries(spec.columns)) {
      const problem = columnProblem(column, `column "${name}"`);
      if (problem) return problem;
    }
  for (const fk of Array.isArray(spec.foreignKeys) ? spec.foreignKeys : []) {
    const problem = foreignKeyProblem(fk, 'a foreign key');
    if (problem) return problem;
  }
  for (const check of Array.isArray(spec.checks) ? spec.checks : []) {
    const problem = strayKey(check, CHECK_KEYS, 'a check');
    if (problem) return problem;
  }
  return null;
}

function foreignKeyProblem(spec: unknown, where: string): string | null {
  if (!plainObject(spec)) return null;
  return (
    strayKey(spec, FOREIGN_KEY_KEYS, where) ??
    strayKey(spec.references, FOREIGN_KEY_TARGET_KEYS, `${where}'s \`references\``)
  );
}

/** A key of `op` (or of an object in it) that nothing reads, or null. */
function unknownKeyProblem(op: Record<string, unknown>, kind: OperationKind): string | null {
  // createEnum(...) is also the column type of its enum (an EnumRef): its `enum` is read too.
  const extra = kind === 'createEnum' ? ['enum'] : [];
  const top = ['kind', ...Object.keys(FIELDS[kind]).map((k) => k.replace(/\?$/, '')), ...extra];
  const stray = strayKey(op, top, 'the operation');
  if (stray) return stray;
  switch (kind) {
    case 'createTable':
      return tableProblem(op.spec, 'the table');
    case 'dropTable':
      return tableProblem(op.definition, 'the definition');
    case 'addColumn':
      return columnProblem(op.spec, `column "${String(op.column)}"`);
    case 'dropColumn':
      return columnProblem(op.definition, `the definition of column "${String(op.column)}"`);
    case 'alterColumn':
      return strayKey(op.change, CHANGE_KEYS, 'the change') ?? strayKey(op.from, CHANGE_KEYS, '`from`');
    case 'createIndex':
      return strayKey(op.spec, INDEX_KEYS, 'the index options');
    case 'dropIndex':
      return (
        strayKey(op.definition, INDEX_DEFINITION_KEYS, 'the definition') ??
        (plainObject(op.definition) ? strayKey(op.definition.spec, INDEX_KEYS, 'the index options') : null)
      );
    case 'addForeignKey':
      return foreignKeyProblem(op.spec, 'the foreign key');
    case 'dropForeignKey':
      return foreignKeyProblem(op.definition, 'the definition');
    case 'addCheck':
      return strayKey(op.spec, CHECK_KEYS, 'the check');
    default:
      return null;
  }
}
