/**
 * Reads the parts of SQLite's stored CREATE TABLE / CREATE INDEX text that no PRAGMA reports:
 * CHECK constraints, foreign key constraint names, column collations, AUTOINCREMENT, generated
 * column expressions, index
 * key expressions and partial-index WHERE clauses. SQLite keeps the statement exactly as
 * written, so this is a tokenizer plus a walk over the top-level parts, not a full parser.
 */

export { type Token, tokenize, unquoteIdent } from '../../schema/sql-tokens.js';

import { type Token, tokenize, unquoteIdent } from '../../schema/sql-tokens.js';

/** Index of the `)` matching the `(` at `open`. */
export function matchingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].text === '(') depth++;
    else if (tokens[i].text === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return tokens.length - 1;
}

/** Splits tokens[from, to) at top-level commas. */
export function splitTopLevel(tokens: Token[], from: number, to: number): [number, number][] {
  const parts: [number, number][] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i].text;
    if (t === '(') depth++;
    else if (t === ')') depth--;
    else if (t === ',' && depth === 0) {
      parts.push([start, i]);
      start = i + 1;
    }
  }
  if (start < to) parts.push([start, to]);
  return parts;
}

/** What CREATE TABLE text says that PRAGMAs do not. */
export interface CreateTableExtras {
  checks: { name: string | null; expression: string }[];
  /** Column name -> collation, for columns declared with COLLATE. */
  collations: Map<string, string>;
  autoincrement: Set<string>;
  /** Column name -> generation expression. */
  generated: Map<string, string>;
  /**
   * Every foreign key in declaration order with its `CONSTRAINT` name or null (PRAGMA
   * foreign_key_list has no names).
   */
  foreignKeyNames: { name: string | null; columns: string[] }[];
}

/** Reads CHECKs, foreign key names, collations, AUTOINCREMENT and generated expressions from a CREATE TABLE. */
export function parseCreateTable(sql: string): CreateTableExtras {
  const extras: CreateTableExtras = {
    checks: [],
    collations: new Map(),
    autoincrement: new Set(),
    generated: new Map(),
    foreignKeyNames: [],
  };
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.text === '(');
  if (open < 0) return extras;
  const close = matchingParen(tokens, open);
  const textOf = (from: number, to: number) => sql.slice(tokens[from].start, tokens[to - 1].end);

  for (const [from, to] of splitTopLevel(tokens, open + 1, close)) {
    let i = from;
    let constraintName: string | null = null;
    const first = tokens[i];
    const isTableConstraint =
      first.kind === 'word' && ['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'].includes(first.text);
    const column = isTableConstraint ? null : unquoteIdent(sql.slice(first.start, first.end));
    if (!isTableConstraint) i++;
    let depth = 0;
    for (; i < to; i++) {
      const t = tokens[i];
      if (t.text === '(') depth++;
      if (t.text === ')') depth--;
      if (depth !== 0 || t.kind !== 'word') continue;
      if (t.text === 'CONSTRAINT' && i + 1 < to) {
        constraintName = unquoteIdent(sql.slice(tokens[i + 1].start, tokens[i + 1].end));
        i++;
      } else if (t.text === 'CHECK' && tokens[i + 1]?.text === '(') {
        const end = matchingParen(tokens, i + 1);
        extras.checks.push({ name: constraintName, expression: textOf(i + 2, end) });
        constraintName = null;
        i = end;
      } else if (t.text === 'COLLATE' && column && i + 1 < to) {
        extras.collations.set(column, unquoteIdent(sql.slice(tokens[i + 1].start, tokens[i + 1].end)));
        i++;
      } else if (t.text === 'AUTOINCREMENT' && column) {
        extras.autoincrement.add(column);
      } else if (t.text === 'AS' && column && tokens[i + 1]?.text === '(') {
        const end = matchingParen(tokens, i + 1);
        extras.generated.set(column, textOf(i + 2, end));
        i = end;
      } else if (t.text === 'FOREIGN' && tokens[i + 1]?.text === 'KEY' && tokens[i + 2]?.text === '(') {
        const end = matchingParen(tokens, i + 2);
        const columns = splitTopLevel(tokens, i + 3, end).map(([a, b]) =>
          unquoteIdent(sql.slice(tokens[a].start, tokens[b - 1].end)),
        );
        extras.foreignKeyNames.push({ name: constraintName, columns });
        constraintName = null;
        i = end;
      } else if (t.text === 'REFERENCES' && column) {
        extras.foreignKeyNames.push({ name: constraintName, columns: [column] });
        constraintName = null;
      } else if (['PRIMARY', 'UNIQUE', 'NOT', 'NULL', 'DEFAULT', 'REFERENCES', 'FOREIGN'].includes(t.text)) {
        constraintName = null;
      }
    }
  }
  return extras;
}

/** What CREATE INDEX text says that PRAGMAs do not. */
export interface CreateIndexExtras {
  /** Each key's text in order, without ASC/DESC and COLLATE. */
  keys: string[];
  /** The partial-index predicate, or null. */
  where: string | null;
}

/** Reads key texts and the WHERE clause from a CREATE INDEX. */
export function parseCreateIndex(sql: string): CreateIndexExtras {
  const tokens = tokenize(sql);
  const on = tokens.findIndex((t) => t.kind === 'word' && t.text === 'ON');
  const open = tokens.findIndex((t, i) => i > on && t.text === '(');
  if (on < 0 || open < 0) return { keys: [], where: null };
  const close = matchingParen(tokens, open);
  const keys = splitTopLevel(tokens, open + 1, close).map(([from, to]) => {
    let end = to;
    if (end - 1 > from && tokens[end - 1].kind === 'word' && ['ASC', 'DESC'].includes(tokens[end - 1].text))
      end--;
    if (end - 2 > from && tokens[end - 2].kind === 'word' && tokens[end - 2].text === 'COLLATE') end -= 2;
    return sql.slice(tokens[from].start, tokens[end - 1].end);
  });
  const whereAt = tokens.findIndex((t, i) => i > close && t.kind === 'word' && t.text === 'WHERE');
  const where =
    whereAt >= 0 && whereAt + 1 < tokens.length ? sql.slice(tokens[whereAt + 1].start).trim() : null;
  return { keys, where };
}
