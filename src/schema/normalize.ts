import type { ReferentialAction, Schema, Table } from './model.js';

/**
 * Spellings that mean the same type in SQLite's and PostgreSQL's vocabularies, mapped to one
 * canonical name. SQLite keeps the declared type text verbatim, PostgreSQL's `format_type`
 * spells out long forms; both land here.
 */
const TYPE_SYNONYMS: Record<string, string> = {
  int: 'integer',
  integer: 'integer',
  int4: 'integer',
  mediumint: 'integer',
  serial: 'integer',
  serial4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallint: 'smallint',
  int2: 'smallint',
  smallserial: 'smallint',
  tinyint: 'smallint',
  text: 'text',
  clob: 'text',
  string: 'text',
  varchar: 'varchar',
  'character varying': 'varchar',
  'varying character': 'varchar',
  nvarchar: 'varchar',
  'native character': 'char',
  char: 'char',
  character: 'char',
  nchar: 'char',
  bpchar: 'char',
  boolean: 'boolean',
  bool: 'boolean',
  real: 'real',
  float4: 'real',
  double: 'double',
  'double precision': 'double',
  float8: 'double',
  float: 'double',
  numeric: 'numeric',
  decimal: 'numeric',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  datetime: 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  date: 'date',
  time: 'time',
  'time without time zone': 'time',
  timetz: 'timetz',
  'time with time zone': 'timetz',
  json: 'json',
  jsonb: 'jsonb',
  uuid: 'uuid',
  blob: 'blob',
  bytea: 'blob',
  '': 'any',
};

/**
 * Normalizes a declared or catalog type so that spellings of the same type compare equal:
 * `INTEGER`, `int4` and `integer` all become `integer`; `character varying(40)` becomes
 * `varchar(40)`; `DECIMAL(10, 2)` becomes `numeric(10,2)`. Unknown types are lowercased with
 * whitespace collapsed, so they still compare by spelling.
 */
export function normalizeType(raw: string): string {
  let text = raw.trim().toLowerCase().replace(/\s+/g, ' ');
  let arraySuffix = '';
  while (text.endsWith('[]')) {
    arraySuffix += '[]';
    text = text.slice(0, -2).trim();
  }
  // Modifiers may sit in the middle: "timestamp(3) with time zone".
  const modifierMatch = /\(([^)]*)\)/.exec(text);
  const modifier = modifierMatch ? `(${modifierMatch[1].replace(/\s+/g, '')})` : '';
  const base = text.replace(/\s*\([^)]*\)\s*/, ' ').trim();
  const canonical = TYPE_SYNONYMS[base] ?? base;
  if (canonical === 'integer' || canonical === 'bigint' || canonical === 'smallint') {
    // MySQL-style display widths (INT(11)) do not change the type.
    return canonical + arraySuffix;
  }
  return canonical + modifier + arraySuffix;
}

/**
 * Normalizes an SQL expression (a default, a CHECK, an index predicate, a view body) for
 * comparison: whitespace collapsed, unquoted text lowercased (both dialects fold unquoted
 * identifiers and keywords), quoted strings and identifiers kept exactly, and redundant
 * outer parentheses removed.
 */
export function normalizeExpression(raw: string): string {
  let out = '';
  let i = 0;
  let pendingSpace = false;
  const text = raw.trim();
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === close) {
          if (close !== ']' && text[j + 1] === close) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      if (pendingSpace && out.length > 0 && !/[(,]$/.test(out)) out += ' ';
      pendingSpace = false;
      let quoted = text.slice(i, j + 1);
      // Identifiers quoted with [] or `` mean the same as "..." in SQLite.
      if (ch === '[' || ch === '`') quoted = `"${quoted.slice(1, -1)}"`;
      out += quoted;
      i = j + 1;
      continue;
    }
    if (/\s/.test(ch)) {
      pendingSpace = true;
      i++;
      continue;
    }
    if (ch === ')' || ch === ',') {
      out += ch;
      pendingSpace = false;
      i++;
      continue;
    }
    if (pendingSpace && out.length > 0 && !out.endsWith('(')) out += ' ';
    pendingSpace = false;
    out += ch.toLowerCase();
    i++;
  }
  return stripOuterParens(
    out
      .replace(/ ,/g, ',')
      // A string literal cast to text means the string (PostgreSQL adds these when it deparses).
      .replace(/('(?:[^']|'')*')::(?:text|character varying)(?![a-z0-9_])/g, '$1')
      // "name" and name are the same identifier when name is already in folded (lower) case.
      .replace(/"([a-z_][a-z0-9_]*)"/g, (m, id: string, offset: number, whole: string) =>
        insideString(whole, offset) ? m : id,
      ),
  );
}

/** Whether `offset` in normalized text lies inside a single-quoted string. */
function insideString(text: string, offset: number): boolean {
  let inside = false;
  for (let i = 0; i < offset; i++) if (text[i] === "'") inside = !inside;
  return inside;
}

/** Removes parentheses that wrap the whole expression: "((a > 0))" -> "a > 0". */
function stripOuterParens(text: string): string {
  let current = text;
  while (current.startsWith('(') && current.endsWith(')') && wrapsWhole(current)) {
    current = current.slice(1, -1).trim();
  }
  return current;
}

function wrapsWhole(text: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0 && i < text.length - 1) return false;
    }
  }
  return depth === 0;
}

/** Normalizes an ON DELETE/UPDATE action as the catalogs spell it. */
export function normalizeAction(raw: string | null | undefined): ReferentialAction {
  const text = (raw ?? '').trim().toUpperCase().replace(/\s+/g, ' ');
  switch (text) {
    case 'CASCADE':
    case 'RESTRICT':
    case 'SET NULL':
    case 'SET DEFAULT':
      return text;
    default:
      return 'NO ACTION';
  }
}

function byKey<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

/** Sorts a record's entries by key so JSON output and hashing are stable. */
function sortedRecord<T>(record: Record<string, T>, map: (x: T) => T = (x) => x): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = map(record[key]);
  return out;
}

/** A table with its unordered parts (constraints, indexes, options) in a stable order. */
export function normalizeTable(table: Table): Table {
  return {
    ...table,
    uniques: [...table.uniques].sort(byKey((u) => u.columns.join('\0'))),
    indexes: [...table.indexes].sort(byKey((i) => i.name)),
    foreignKeys: [...table.foreignKeys].sort(byKey(foreignKeyIdentity)),
    checks: [...table.checks].sort(byKey((c) => c.expression)),
    options: [...table.options].sort(),
    ...(table.attached ? { attached: sortedRecord(table.attached) } : {}),
  };
}

/** What identifies a foreign key regardless of its (often generated) name. */
export function foreignKeyIdentity(fk: {
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
}): string {
  return `(${fk.columns.join(', ')}) -> ${fk.referencedTable}(${fk.referencedColumns.join(', ')})`;
}

/** Returns the schema with every map and list in a stable order. Pure. */
export function normalizeSchema(schema: Schema): Schema {
  return {
    dialect: schema.dialect,
    tables: sortedRecord(schema.tables, normalizeTable),
    enums: sortedRecord(schema.enums),
    views: sortedRecord(schema.views),
    triggers: sortedRecord(schema.triggers),
    objects: sortedRecord(schema.objects ?? {}),
  };
}
