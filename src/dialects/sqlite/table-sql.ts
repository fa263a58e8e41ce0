/**
 * Editing SQLite's stored CREATE TABLE text for a rebuild. Everything an edit does not touch
 * (STRICT, WITHOUT ROWID, collations, AUTOINCREMENT, generated columns, comments inside a
 * definition) is kept byte for byte, which is what makes a rebuild lossless.
 */
import { matchingParen, splitTopLevel, type Token, tokenize, unquoteIdent } from './create-sql.js';
import { quoteIdent } from './quote.js';

export { renameIdentifier } from '../../schema/sql-tokens.js';

/** A CREATE TABLE statement cut into its top-level parts. */
export interface CreateTableParts {
  /** Column definitions and table constraints, as written. */
  items: string[];
  /** What follows the closing parenthesis: `STRICT`, `WITHOUT ROWID`, or nothing. */
  options: string;
}

/** Cuts a CREATE TABLE statement into its parts. */
export function splitCreateTable(sql: string): CreateTableParts {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.text === '(');
  if (open < 0) throw new Error(`not a CREATE TABLE with a column list: ${sql.slice(0, 80)}`);
  const close = matchingParen(tokens, open);
  const items = splitTopLevel(tokens, open + 1, close).map(([from, to]) =>
    sql.slice((tokens[from] as Token).start, (tokens[to - 1] as Token).end),
  );
  return { items, options: sql.slice((tokens[close] as Token).end).trim() };
}

/** A CREATE TABLE statement from its parts. */
export function joinCreateTable(name: string, parts: CreateTableParts): string {
  return `CREATE TABLE ${quoteIdent(name)} (\n  ${parts.items.join(',\n  ')}\n)${parts.options ? ` ${parts.options}` : ''}`;
}

const TABLE_CONSTRAINT_START = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

/** The column an item defines, or null for a table constraint. */
export function itemColumn(item: string): string | null {
  const first = tokenize(item)[0];
  if (!first) return null;
  if (first.kind === 'word' && TABLE_CONSTRAINT_START.has(first.text)) return null;
  return unquoteIdent(item.slice(first.start, first.end));
}

/** The CONSTRAINT name of a table constraint item, or null. */
export function itemConstraintName(item: string): string | null {
  const tokens = tokenize(item);
  if (tokens[0]?.text !== 'CONSTRAINT' || !tokens[1]) return null;
  return unquoteIdent(item.slice(tokens[1].start, tokens[1].end));
}

/** Whether SQL text names `identifier` (as a word or quoted name, any case), outside strings. */
export function mentionsIdentifier(sql: string, identifier: string): boolean {
  const wanted = identifier.toUpperCase();
  return tokenize(sql).some(
    (t) =>
      (t.kind === 'word' && (t.text === wanted || t.text.split('.').includes(wanted))) ||
      (t.kind === 'quoted' && unquoteIdent(sql.slice(t.start, t.end)).toUpperCase() === wanted),
  );
}

/** Words that start a column constraint (after the column's type). */
const COLUMN_CONSTRAINT_START = new Set([
  'CONSTRAINT',
  'PRIMARY',
  'NOT',
  'NULL',
  'UNIQUE',
  'CHECK',
  'DEFAULT',
  'COLLATE',
  'REFERENCES',
  'GENERATED',
  'AS',
]);

interface ColumnSegment {
  /** NOT (NOT NULL), NULL, DEFAULT, or another constraint's first word. */
  kind: string;
  text: string;
}

/** Cuts a column definition into name, type and constraint segments. */
function splitColumnItem(item: string): { name: string; type: string; segments: ColumnSegment[] } {
  const tokens = tokenize(item);
  const starts: number[] = [];
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (depth !== 0 || t.kind !== 'word' || !COLUMN_CONSTRAINT_START.has(t.text)) continue;
    const prev = tokens[i - 1] as Token;
    // Words that continue the constraint before them rather than start a new one.
    if (t.text === 'NULL' && (prev.text === 'NOT' || prev.text === 'DEFAULT')) continue;
    if (t.text === 'NOT' && tokens[i + 1]?.text === 'DEFERRABLE') continue;
    if (t.text === 'AS' && prev.text === 'ALWAYS') continue;
    if (prev.text === 'CONSTRAINT') continue; // a constraint named like a keyword
    if (
      starts.length > 0 &&
      tokens[starts[starts.length - 1] as number]?.text === 'CONSTRAINT' &&
      i === (starts[starts.length - 1] as number) + 2
    )
      continue; // the constraint a CONSTRAINT name introduces
    starts.push(i);
  }
  const first = tokens[0] as Token;
  const typeEnd = starts.length > 0 ? (tokens[starts[0] as number] as Token).start : item.length;
  const type = item.slice(first.end, typeEnd).trim();
  const segments = starts.map((s, k) => {
    const from = (tokens[s] as Token).start;
    const to = k + 1 < starts.length ? (tokens[starts[k + 1] as number] as Token).start : item.length;
    const kindToken = tokens[s]?.text === 'CONSTRAINT' ? tokens[s + 2] : tokens[s];
    return { kind: kindToken?.text ?? '', text: item.slice(from, to).trim() };
  });
  return { name: item.slice(first.start, first.end), type, segments };
}

/** What to change in a column definition; undefined leaves a part as it is. */
export interface ColumnEdit {
  typeSql?: string;
  nullable?: boolean;
  /** The SQL after DEFAULT, or null to remove the default. */
  defaultSql?: string | null;
}

/** A column definition with its type, nullability or default changed; the rest as written. */
export function editColumnItem(item: string, edit: ColumnEdit): string {
  const { name, type, segments } = splitColumnItem(item);
  let kept = segments;
  if (edit.nullable !== undefined) kept = kept.filter((s) => s.kind !== 'NOT' && s.kind !== 'NULL');
  if (edit.defaultSql !== undefined) kept = kept.filter((s) => s.kind !== 'DEFAULT');
  const parts = [name, edit.typeSql ?? type, ...kept.map((s) => s.text)];
  if (edit.nullable === false) parts.push('NOT NULL');
  if (edit.defaultSql !== undefined && edit.defaultSql !== null) parts.push(`DEFAULT ${edit.defaultSql}`);
  return parts.filter((p) => p !== '').join(' ');
}
