/** One lexical token of SQL text. Comments and whitespace are not tokens. */
export interface SqlToken {
  /** Upper-cased for words, the raw text otherwise. */
  text: string;
  /** `quoted` is a quoted identifier; `string` any string literal (dollar-quoted too). */
  kind: 'word' | 'quoted' | 'string' | 'number' | 'punct';
  /** Offsets into the script: `script.slice(start, end)` is the token as written. */
  start: number;
  end: number;
}

/**
 * Cuts `script` into statements at the `;` tokens that `ends` accepts. `ends` sees every token
 * in order (so it can keep the state its dialect's rule needs) and returns true for a `;` that
 * ends the statement. A statement's text runs from just after the previous terminator to just
 * before its own, trimmed, so leading comments stay with the statement they precede; pieces with
 * no token (blank, or only comments) are dropped.
 */
export function cutStatements(
  script: string,
  tokens: readonly SqlToken[],
  ends: (token: SqlToken) => boolean,
): string[] {
  const out: string[] = [];
  let start = 0;
  let hasToken = false;
  for (const t of tokens) {
    const isEnd = ends(t) && t.kind === 'punct' && t.text === ';';
    if (!isEnd) {
      hasToken = true;
      continue;
    }
    if (hasToken) out.push(script.slice(start, t.start).trim());
    start = t.end;
    hasToken = false;
  }
  if (hasToken) out.push(script.slice(start).trim());
  return out;
}

/**
 * `sql` followed by `terminator` as a command-line client reads it: on a line of its own when
 * the statement's last line holds a line comment (`--`, or `#` where `hashComments`), which
 * would otherwise swallow it. A `--` inside a string on that line only costs a line break.
 */
export function terminated(sql: string, terminator: string, hashComments = false): string {
  const last = sql.slice(sql.lastIndexOf('\n') + 1);
  const comment = last.includes('--') || (hashComments && last.includes('#'));
  return comment ? `${sql}\n${terminator}` : `${sql}${terminator}`;
}
