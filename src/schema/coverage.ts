/**
 * What the doctor does NOT compare: everything else a schema dump shows (`pg_dump
 * --schema-only` on PostgreSQL, `.schema` on SQLite) for the schema the doctor reads is part
 * of the fingerprint. This is the one list; README.md ("What the doctor compares") shows it
 * word for word and test/unit/coverage.test.ts keeps the two equal.
 *
 * Each entry is left out for a reason: it does not change what the schema can hold or how
 * queries behave (names, order, comments), it is operational tuning a DBA sets per server
 * (storage, statistics, tablespaces), it is about who may do what rather than what exists
 * (grants, ownership, labels), or replaying it into a scratch database would not reproduce
 * the live value (extension versions, identity sequences' positions).
 */
export const NOT_COMPARED: readonly string[] = [
  'column order',
  "names of PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK and exclusion constraints (SQLite's PRAGMAs do not report them; on MySQL a UNIQUE key named after its first column, as MySQL names one made without a name, is a constraint)",
  "grants, default privileges and ownership (MySQL's DEFINER too)",
  "comments (COMMENT ON; MySQL's COMMENT clauses of tables, columns, indexes and routines)",
  'security labels',
  'tablespaces',
  "storage parameters (WITH (fillfactor = ...), autovacuum settings) of tables, indexes and views; MySQL's ROW_FORMAT, KEY_BLOCK_SIZE, STATS_PERSISTENT and other storage options of tables",
  'column statistics targets, storage and compression',
  'REPLICA IDENTITY and CLUSTER ON',
  'table access methods',
  "view options (PostgreSQL's WITH CHECK OPTION, security_barrier, security_invoker; MySQL's SQL SECURITY)",
  'operator class options of index keys',
  "extension versions (the extension's name is compared; its members are not), and extensions no migration creates (installed by the server's administrator, like pg_stat_statements)",
  "identity columns' sequence options, and MySQL's AUTO_INCREMENT counter (the next value is data)",
  'extended statistics (CREATE STATISTICS), collations, operators, operator classes and families, casts, conversions, text search configurations',
  'foreign data wrappers, servers, user mappings and foreign tables',
  'publications, subscriptions and event triggers',
  'objects in schemas other than the one the doctor reads (--schema)',
  'SQLite: sqlite_sequence and sqlite_stat tables',
  "MySQL: an event's STARTS, ENDS and AT times (evaluated as the event is created, so a replay cannot reproduce them)",
];
