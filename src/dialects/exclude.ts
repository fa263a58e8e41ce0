/** A set of names given as exact names or globs (`*` any run of characters, `?` one character). */
export interface NameFilter {
  has(name: string): boolean;
}

/** The names `patterns` cover; a pattern without `*` or `?` is an exact name. */
export function nameFilter(patterns: readonly string[]): NameFilter {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of patterns) {
    if (/[*?]/.test(p)) globs.push(globToRegExp(p));
    else exact.add(p);
  }
  return { has: (name) => exact.has(name) || globs.some((g) => g.test(name)) };
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}
