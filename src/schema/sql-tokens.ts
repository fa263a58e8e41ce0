/**
 * A lenient SQL tokenizer: words, quoted names in every quote style the built-in dialects use
 * ("", ``, []), strings and punctuation, comments dropped. SQLite's own lexer follows these
 * rules; the operation fold uses it to rename a column inside an expression. Pure.
 */

export interface Token {
  /** Upper-cased for words, the raw text otherwise. */
  text: string;
  kind: 'word' | 'quoted' | 'string' | 'punct';
  start: number;
  end: number;
}

/** Splits SQL into words, quoted names, strings and punctuation (comments dropped). */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const closeCh = ch === '[' ? ']' : ch;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === closeCh) {
          if (closeCh !== ']' && sql[j + 1] === closeCh) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      tokens.push({
        text: sql.slice(i, j + 1),
        kind: ch === "'" ? 'string' : 'quoted',
        start: i,
        end: j + 1,
      });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z0-9_$\u0080-\uffff]/.test(ch)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$.\u0080-\uffff]/.test(sql[j])) j++;
      tokens.push({ text: sql.slice(i, j).toUpperCase(), kind: 'word', start: i, end: j });
      i = j;
      continue;
    }
    tokens.push({ text: ch, kind: 'punct', start: i, end: i + 1 });
    i++;
  }
  return tokens;
}

/** The identifier a token names, without its quotes. */
export function unquoteIdent(raw: string): string {
  const first = raw[0];
  if (first === '"' || first === '`' || first === "'")
    return raw.slice(1, -1).replaceAll(first + first, first);
  if (first === '[') return raw.slice(1, -1);
  return raw;
}

/**
 * SQL text with identifier `from` renamed to `to`, keeping each occurrence's quoting (as
 * SQLite's RENAME COLUMN does): bare words (also parts of `t.col`) any case, `"quoted"` names
 * exactly; strings and comments are left alone.
 */
export function renameIdentifier(sql: string, from: string, to: string): string {
  const lower = from.toLowerCase();
  let out = '';
  let last = 0;
  for (const t of tokenize(sql)) {
    const original = sql.slice(t.start, t.end);
    let replaced = original;
    if (t.kind === 'word') {
      replaced = original
        .split('.')
        .map((part) => (part.toLowerCase() === lower ? to : part))
        .join('.');
    } else if (t.kind === 'quoted' && original.startsWith('"') && unquoteIdent(original) === from) {
      replaced = `"${to.replace(/"/g, '""')}"`;
    }
    out += sql.slice(last, t.start) + replaced;
    last = t.end;
  }
  return out + sql.slice(last);
}
