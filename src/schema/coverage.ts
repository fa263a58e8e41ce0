/**
 * What the doctor does NOT compare: everything else a schema dump shows for the schema the
 * doctor reads (`pg_dump --schema-only` on PostgreSQL, `.schema` on SQLite, `mariadb-dump
 * --no-data` on MySQL) is part of the fingerprint. This is the common list; each dialect adds
 * its own in its folder (Dialect.notCompared). README.md ("What the doctor compares") shows the
 * whole list word for word and test/unit/coverage.test.ts keeps the two equal.
 *
 * Each entry is left out for a reason: it does not change what the schema can hold or how
 * queries behave (names, order, comments), it is operational tuning a DBA sets per server
 * (storage, statistics, tablespaces), it is about who may do what rather than what exists
 * (grants, ownership, labels), or replaying it into a scratch database would not reproduce
 * the live value (extension versions, identity sequences' positions).
 */
export const NOT_COMPARED: readonly string[] = [
  'column order',
  'names of PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK and exclusion constraints',
  'grants, default privileges and ownership',
  'comments',
  'tablespaces',
  'storage options of tables, indexes and views (each dialect names its own below)',
  'objects in schemas other than the one the doctor reads (--schema)',
];

/**
 * The whole list for the given dialects: {@link NOT_COMPARED}, then each dialect's own entries
 * ({@link NotComparedBy}, from its folder) prefixed with its label, in the order given.
 */
export function notCompared(dialects: readonly NotComparedBy[]): string[] {
  return [
    ...NOT_COMPARED,
    ...dialects.flatMap((d) => (d.notCompared ?? []).map((item) => `${d.label}: ${item}`)),
  ];
}

/** What a dialect adds to the list: its label (`PostgreSQL`) and its own entries. */
export interface NotComparedBy {
  readonly label: string;
  readonly notCompared?: readonly string[];
}
