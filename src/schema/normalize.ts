import type { ReferentialAction, Schema, Table } from './model.js';

/**
 * Spellings that mean the same type in SQLite's and PostgreSQL's vocabularies, mapped to one
 * canonical name. SQLite keeps the declared type text verbatim, PostgreSQL's `format_type`
 * spells out long forms; both land here. A spelling whose SQLite affinity differs is never a
 * synonym of the other: STRING has NUMERIC affinity, not TEXT's (sqlite.org/datatype3.html 3.1),
 * so it is not `text`.
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
 * The lexical rules an expression follows, as far as normalizing needs them; each dialect
 * gives its own ({@link Dialect.expressionSyntax}). SQLite quotes identifiers with "", `` and
 * [], and folds identifiers case-insensitively even when quoted; PostgreSQL uses [] for arrays
 * and `::` for casts, folds only unquoted identifiers (to lower case) and has E'…' strings.
 */
export interface ExpressionSyntax {
  /** Identifiers compare case-insensitively even when quoted (they are folded to lower case). */
  readonly foldsQuotedIdentifiers: boolean;
  /** Characters that open a quoted identifier besides `"` (`[` closes with `]`). */
  readonly identifierQuotes: readonly string[];
  /** `E'…'` strings, which take backslash escapes, exist. */
  readonly escapeStrings: boolean;
}

/** The rules assumed when none are given: the most lenient (SQLite's). */
export const LENIENT_EXPRESSIONS: ExpressionSyntax = {
  foldsQuotedIdentifiers: true,
  identifierQuotes: ['`', '['],
  escapeStrings: false,
};

interface ExprToken {
  kind: 'word' | 'ident' | 'string' | 'number' | 'op';
  text: string;
}

/**
 * Operators of more than one character, longest first (SQLite: lang_expr.html "Operators";
 * PostgreSQL: the deparser's spellings of the built-in operators). Anything else is one
 * character, so `price>=0` and `price >= 0` yield the same tokens.
 */
const OPERATORS = [
  '!~~*',
  '->>',
  '#>>',
  '!~~',
  '!~*',
  '~~*',
  '::',
  '->',
  '#>',
  '@>',
  '<@',
  '||',
  '<=',
  '>=',
  '<>',
  '!=',
  '==',
  '<<',
  '>>',
  '~~',
  '!~',
  '~*',
  '&&',
];

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CONT = /[A-Za-z0-9_$\u0080-\uffff]/;

/** The end of a quoted run opening at `i` (a doubled closing quote stays inside). */
function quoteEnd(text: string, i: number, close: string): number {
  let j = i + 1;
  while (j < text.length) {
    if (text[j] === close) {
      if (close !== ']' && text[j + 1] === close) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return text.length;
}

/** An identifier as it compares: bare when it needs no quotes, `"…"` otherwise. */
function identToken(name: string, syntax: ExpressionSyntax): ExprToken {
  // SQLite matches identifiers case-insensitively, quoted or not (lang_keywords.html).
  const folded = syntax.foldsQuotedIdentifiers ? name.toLowerCase() : name;
  if (/^[a-z_][a-z0-9_$]*$/.test(folded)) return { kind: 'ident', text: folded };
  return { kind: 'ident', text: `"${folded.replaceAll('"', '""')}"` };
}

/** Tokens of an expression: comments and whitespace dropped, words lowercased. */
function expressionTokens(raw: string, syntax: ExpressionSyntax): ExprToken[] {
  const tokens: ExprToken[] = [];
  const text = raw;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else if (ch === "'") {
      const end = quoteEnd(text, i, "'");
      tokens.push({ kind: 'string', text: text.slice(i, end) });
      i = end;
    } else if (ch === '"' || syntax.identifierQuotes.includes(ch)) {
      const close = ch === '[' ? ']' : ch;
      const end = quoteEnd(text, i, close);
      const inner = text.slice(i + 1, end - 1);
      tokens.push(identToken(close === ']' ? inner : inner.replaceAll(close + close, close), syntax));
      i = end;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z_.]/.test(text[j])) j++;
      tokens.push({ kind: 'number', text: text.slice(i, j).toLowerCase() });
      i = j;
    } else if (WORD_START.test(ch)) {
      let j = i + 1;
      while (j < text.length && WORD_CONT.test(text[j])) j++;
      if (syntax.escapeStrings && j === i + 1 && /[eE]/.test(ch) && text[j] === "'") {
        // E'…' strings take backslash escapes; the deparser writes them for backslashes.
        let k = j + 1;
        while (k < text.length && text[k] !== "'") k += text[k] === '\\' ? 2 : 1;
        if (text[k + 1] === "'") k = quoteEnd(text, k, "'") - 1;
        tokens.push({ kind: 'string', text: `E${text.slice(j, k + 1)}` });
        i = k + 1;
        continue;
      }
      tokens.push({ kind: 'word', text: text.slice(i, j).toLowerCase() });
      i = j;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i)) ?? ch;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    }
  }
  return tokens;
}

/** Words after which `(` opens a parenthesized operand rather than a call's arguments. */
const SPACED_BEFORE_PAREN = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'as',
  'any',
  'all',
  'some',
  'between',
  'like',
  'glob',
  'ilike',
  'when',
  'then',
  'else',
  'where',
  'select',
  'from',
  'on',
  'using',
  'exists',
  'check',
  'case',
  'distinct',
  'values',
  'by',
  'join',
]);

/** Whether the operator at `n` stands before its only operand (a sign: `> -1`). */
function isPrefixPosition(tokens: ExprToken[], n: number): boolean {
  const before = tokens[n - 1];
  if (!before) return true;
  if (before.kind === 'op') return before.text !== ')' && before.text !== ']';
  return before.kind === 'word' && SPACED_BEFORE_PAREN.has(before.text);
}

/** Words after which a parenthesized single operand needs no parentheses. */
const LOGICAL_WORDS = new Set(['and', 'or', 'not', 'when', 'then', 'else']);

/**
 * Drops parentheses around a single operand where they cannot change the meaning:
 * `(status)::text` = `status::text`. Kept after a word or `)` (call arguments, `IN (x)`, a
 * subscript) and before `.` (PostgreSQL's `(composite).field` needs them).
 */
function dropAtomParens(tokens: ExprToken[]): ExprToken[] {
  const out: ExprToken[] = [];
  for (let n = 0; n < tokens.length; n++) {
    const [open, atom, close, after] = [tokens[n], tokens[n + 1], tokens[n + 2], tokens[n + 3]];
    const prev = out[out.length - 1];
    const atomic = atom && atom.kind !== 'op';
    const prefixed =
      !prev ||
      (prev.kind === 'op' && prev.text !== ')' && prev.text !== ']') ||
      (prev.kind === 'word' && LOGICAL_WORDS.has(prev.text));
    if (open.text === '(' && atomic && close?.text === ')' && prefixed && after?.text !== '.') {
      out.push(atom);
      n += 2;
    } else out.push(open);
  }
  return out;
}

/**
 * Drops parentheses around an operand of AND/OR that holds no AND/OR itself: every other
 * operator binds tighter (SQLite lang_expr.html "Operators"; PostgreSQL "Operator
 * Precedence"), so `(a IS NULL) OR (a = b)` (how EXPLAIN prints) = `a IS NULL OR a = b` (how
 * pg_get_constraintdef prints). Not applied when BETWEEN's own AND is in the expression.
 */
function dropLogicalOperandParens(tokens: ExprToken[]): ExprToken[] {
  if (tokens.some((t) => t.kind === 'word' && t.text === 'between')) return tokens;
  const logical = (t: ExprToken | undefined) => t?.kind === 'word' && (t.text === 'and' || t.text === 'or');
  let current = tokens;
  for (let changed = true; changed; ) {
    changed = false;
    for (let open = 0; open < current.length && !changed; open++) {
      if (current[open].text !== '(' || current[open].kind !== 'op') continue;
      const before = current[open - 1];
      if (!(logical(before) || before === undefined || before.text === '(')) continue;
      let depth = 0;
      let close = -1;
      let inner = false;
      for (let i = open; i < current.length; i++) {
        const t = current[i];
        if (t.kind === 'op' && t.text === '(') depth++;
        else if (t.kind === 'op' && t.text === ')' && --depth === 0) {
          close = i;
          break;
        } else if (depth === 1 && logical(t)) inner = true;
      }
      const after = current[close + 1];
      if (close < 0 || inner || !(logical(after) || after === undefined || after.text === ')')) continue;
      // A group that is the whole expression or the whole of an enclosing group is left to the
      // caller (stripOuterParens); only operands of AND/OR are unwrapped here.
      if (!logical(before) && !logical(after)) continue;
      current = [...current.slice(0, open), ...current.slice(open + 1, close), ...current.slice(close + 1)];
      changed = true;
    }
  }
  return current;
}

/** Canonical text of a token list: one spelling for each token sequence. */
function joinTokens(tokens: ExprToken[]): string {
  let out = '';
  for (const [n, t] of tokens.entries()) {
    const prev = tokens[n - 1];
    let space = n > 0;
    if (prev && (prev.text === '(' || prev.text === '[' || prev.text === '::' || prev.text === '.'))
      space = false;
    if (t.text === ')' || t.text === ']' || t.text === ',' || t.text === '::' || t.text === '.')
      space = false;
    if (
      prev &&
      (t.text === '(' || t.text === '[') &&
      (prev.kind === 'ident' || (prev.kind === 'word' && !SPACED_BEFORE_PAREN.has(prev.text)))
    )
      space = false;
    if (t.kind === 'op' && t.text === '[' && prev && (prev.text === ']' || prev.text === ')')) space = false;
    if (prev && (prev.text === '-' || prev.text === '+') && isPrefixPosition(tokens, n - 1)) space = false;
    out += (space ? ' ' : '') + t.text;
  }
  return out;
}

/**
 * Normalizes an SQL expression (a default, a CHECK, an index predicate, a view body) for
 * comparison, as TOKENS, never as raw text: spacing (`price>=0` = `price >= 0`), keyword and
 * identifier case (both dialects fold unquoted names), quotes on identifiers that need none,
 * comments and parentheses around the whole expression do not count; strings are kept
 * exactly. `syntax` picks the lexical rules (see {@link ExpressionSyntax}); default {@link LENIENT_EXPRESSIONS}.
 */
export function normalizeExpression(raw: string, syntax: ExpressionSyntax = LENIENT_EXPRESSIONS): string {
  const tokens = expressionTokens(raw, syntax);
  // A string literal cast to text means the string (PostgreSQL adds these when it deparses).
  const dropped = new Set<number>();
  for (let n = 1; n < tokens.length; n++) {
    if (tokens[n].text !== '::' || tokens[n - 1].kind !== 'string') continue;
    const width = textTypeWidth(tokens, n + 1);
    for (let k = 0; k <= width && width > 0; k++) dropped.add(n + k);
  }
  return stripOuterParens(dropLogicalOperandParens(dropAtomParens(tokens.filter((_, n) => !dropped.has(n)))));
}

/** How many tokens at `n` name text or character varying (not an array of them); 0 if none. */
function textTypeWidth(tokens: ExprToken[], n: number): number {
  const t = tokens[n];
  if (t?.kind !== 'word') return 0;
  const width = t.text === 'text' ? 1 : t.text === 'character' && tokens[n + 1]?.text === 'varying' ? 2 : 0;
  return width > 0 && tokens[n + width]?.text !== '[' ? width : 0;
}

/** Removes parentheses that wrap the whole expression: "((a > 0))" -> "a > 0". */
function stripOuterParens(tokens: ExprToken[]): string {
  let from = 0;
  let to = tokens.length;
  while (
    to - from >= 2 &&
    tokens[from].text === '(' &&
    tokens[to - 1].text === ')' &&
    wrapsWhole(tokens, from, to)
  ) {
    from++;
    to--;
  }
  return joinTokens(tokens.slice(from, to));
}

function wrapsWhole(tokens: ExprToken[], from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    if (tokens[i].kind !== 'op') continue;
    if (tokens[i].text === '(') depth++;
    else if (tokens[i].text === ')') {
      depth--;
      if (depth === 0 && i < to - 1) return false;
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

/**
 * Tables already normalized, by identity: the doctor's replay introspects after every migration
 * and gets the same (never mutated) object back for each table the migration did not touch.
 */
const normalized = new WeakMap<Table, Table>();

/** A table with its unordered parts (constraints, indexes, options) in a stable order. */
export function normalizeTable(table: Table): Table {
  let out = normalized.get(table);
  if (!out) {
    out = sortedTable(table);
    normalized.set(table, out);
    normalized.set(out, out);
  }
  return out;
}

function sortedTable(table: Table): Table {
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
