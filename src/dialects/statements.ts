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
