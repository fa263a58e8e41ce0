import {
  type Column,
  type ForeignKey,
  type Index,
  putObject,
  type Schema,
  type Table,
} from '../../schema/model.js';
import {
  normalizeAction,
  normalizeExpression,
  normalizeSchema,
  normalizeType,
} from '../../schema/normalize.js';
import type { IntrospectOptions } from '../dialect.js';
import { nameFilter } from '../exclude.js';
import {
  canonicalExpressions,
  canonicalKey,
  type ExpressionBatch,
  modernValueFunctions,
} from './canonical.js';
import type { PostgresConnection } from './driver.js';
import { POSTGRES_EXPRESSIONS, quoteLiteral } from './quote.js';
import { tokenizePostgres } from './split.js';

// Each query reads one kind of object for every table of the schema at once, so the cost
// does not grow with a round trip per table.

/**
 * Catalog columns PostgreSQL 15 added (ON DELETE SET NULL (cols), NULLS NOT DISTINCT), or
 * what they mean on an older server, so one query text serves every version.
 */
interface Pg15Columns {
  setColumns: string;
  nullsNotDistinct: string;
}

function pg15Columns(serverVersionNum: number): Pg15Columns {
  return serverVersionNum >= 150000
    ? { setColumns: 'con.confdelsetcols', nullsNotDistinct: 'COALESCE(x.indnullsnotdistinct, false)' }
    : { setColumns: "'{}'::int2[]", nullsNotDistinct: 'false' };
}

// Partitions are tables of their own (their bound is one of their options); what
// pg_get_partkeydef and pg_get_expr(relpartbound) print is taken as the database deparses it.
const TABLES_SQL = `
SELECT c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence,
  c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid, true) END AS partition_bound,
  ARRAY(SELECT p.relname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
        WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parents
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND ($2::oid[] IS NULL OR c.oid = ANY ($2))`;

const COLUMNS_SQL = `
SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
  t.typtype AS typtype, t.typname AS typname, a.attnotnull AS notnull,
  pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attgenerated AS generated, a.attidentity AS identity,
  CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ($2::oid[] IS NULL OR c.oid = ANY ($2))
ORDER BY c.relname, a.attnum`;

const CONSTRAINTS_SQL = (PG15: Pg15Columns) => `
SELECT c.relname AS table_name, con.conname AS name, con.contype AS type,
  ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
  rc.relname AS ref_table, rn.nspname AS ref_schema,
  ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
  con.confdeltype AS on_delete, con.confupdtype AS on_update,
  CASE WHEN con.contype IN ('c', 'x') THEN pg_get_constraintdef(con.oid, true) END AS definition,
  con.condeferrable AS deferrable, con.condeferred AS deferred, con.convalidated AS validated,
  con.connoinherit AS no_inherit, con.confmatchtype AS match_type,
  ARRAY(SELECT a.attname::text FROM unnest(${PG15.setColumns}) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS set_columns,
  ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(x.indnkeyatts + 1, x.indnatts) k ORDER BY k) AS include_defs,
  ${PG15.nullsNotDistinct} AS nulls_not_distinct
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_index x ON x.indexrelid = con.conindid AND con.contype IN ('p', 'u')
WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c', 'x') AND ($2::oid[] IS NULL OR c.oid = ANY ($2))
ORDER BY c.relname, con.conname`;

// Everything pg_get_indexdef prints is read here, one column of the catalog each: keys, order,
// NULLS FIRST/LAST (indoption bit 1), operator classes, collations, INCLUDE, NULLS NOT
// DISTINCT, the predicate; plus indisvalid, which pg_get_indexdef does not print. (WITH (...)
// storage parameters and TABLESPACE are in the README's "not compared" list.)
const INDEXES_SQL = (PG15: Pg15Columns) => `
SELECT c.relname AS table_name, c.relkind AS table_kind, i.relname AS name, x.indisunique AS is_unique, am.amname AS method,
  pg_get_expr(x.indpred, x.indrelid, true) AS predicate,
  x.indkey::int2[] AS key_columns, x.indoption::int2[] AS key_options,
  ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) k ORDER BY k) AS key_defs,
  ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(x.indnkeyatts + 1, x.indnatts) k ORDER BY k) AS include_defs,
  ARRAY(SELECT CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname::text END
        FROM unnest(x.indclass::oid[]) WITH ORDINALITY k(opclass, ord) JOIN pg_opclass opc ON opc.oid = k.opclass
        ORDER BY k.ord) AS opclasses,
  ARRAY(SELECT CASE WHEN k.coll = 0 OR k.coll = COALESCE((SELECT a.attcollation FROM pg_attribute a
                      WHERE a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0), 100) THEN ''
                    ELSE (SELECT co.collname::text FROM pg_collation co WHERE co.oid = k.coll) END
        FROM unnest(x.indcollation::oid[], x.indkey::int2[]) WITH ORDINALITY k(coll, attnum, ord)
        WHERE k.ord <= x.indnkeyatts ORDER BY k.ord) AS collations,
  x.indisvalid AS valid,
  CASE WHEN c.relkind = 'm' THEN pg_get_indexdef(x.indexrelid, 0, true) END AS definition,
  ${PG15.nullsNotDistinct} AS nulls_not_distinct
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm') AND ($2::oid[] IS NULL OR c.oid = ANY ($2))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname, i.relname`;

const ENUMS_SQL = `
SELECT t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype = 'e'`;

const VIEWS_SQL = `
SELECT c.relname AS name, c.relkind AS kind, pg_get_viewdef(c.oid, true) AS definition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') AND ($2::oid[] IS NULL OR c.oid = ANY ($2))`;

const TRIGGERS_SQL = `
SELECT t.tgname AS name, c.relname AS table_name,
  pg_get_triggerdef(t.oid, true) || CASE t.tgenabled WHEN 'D' THEN ' disabled' WHEN 'R' THEN ' enabled replica'
    WHEN 'A' THEN ' enabled always' ELSE '' END AS definition
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT t.tgisinternal AND ($2::oid[] IS NULL OR c.oid = ANY ($2))`;

const POLICIES_SQL = `
SELECT c.relname AS table_name, p.polname AS name,
  concat_ws(' ', CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
    'for ' || CASE p.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update' WHEN 'd' THEN 'delete' ELSE 'all' END,
    'to ' || ARRAY_TO_STRING(ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END
                                  FROM unnest(p.polroles) r ORDER BY 1), ', '),
    'using (' || pg_get_expr(p.polqual, p.polrelid, true) || ')',
    'with check (' || pg_get_expr(p.polwithcheck, p.polrelid, true) || ')') AS definition
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND ($2::oid[] IS NULL OR c.oid = ANY ($2))`;

// Objects of the schema with no structured form, each as the database deparses it, in one
// set-based query. Members of an extension are the extension's (its name stands for them).
const OBJECTS_SQL = `
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1),
ext_members AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT 'domain' AS kind, t.typname::text AS name, NULL AS owner,
  concat_ws(' ', format_type(t.typbasetype, t.typtypmod),
    CASE WHEN t.typcollation <> bt.typcollation THEN 'collate ' || quote_ident(co.collname) END,
    CASE WHEN t.typnotnull THEN 'not null' END,
    'default ' || t.typdefault,
    (SELECT string_agg(pg_get_constraintdef(k.oid, true), ' ' ORDER BY pg_get_constraintdef(k.oid, true))
     FROM pg_constraint k WHERE k.contypid = t.oid)) AS definition
FROM pg_type t JOIN pg_type bt ON bt.oid = t.typbasetype LEFT JOIN pg_collation co ON co.oid = t.typcollation
WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typtype = 'd'
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
UNION ALL
SELECT 'type', t.typname::text, NULL,
  CASE t.typtype
    WHEN 'c' THEN 'composite (' || ARRAY_TO_STRING(ARRAY(
      SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
      FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), ', ') || ')'
    ELSE (SELECT 'range of ' || format_type(r.rngsubtype, NULL) || ' opclass ' || opc.opcname
          || COALESCE(' collate ' || quote_ident(co.collname), '')
          || COALESCE(' canonical ' || NULLIF(r.rngcanonical::oid, 0)::regproc::text, '')
          || COALESCE(' subtype_diff ' || NULLIF(r.rngsubdiff::oid, 0)::regproc::text, '')
          FROM pg_range r JOIN pg_opclass opc ON opc.oid = r.rngsubopc LEFT JOIN pg_collation co ON co.oid = r.rngcollation
          WHERE r.rngtypid = t.oid) END
FROM pg_type t LEFT JOIN pg_class rel ON rel.oid = t.typrelid
WHERE t.typnamespace IN (SELECT oid FROM ns) AND (t.typtype = 'r' OR (t.typtype = 'c' AND rel.relkind = 'c'))
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL, pg_get_functiondef(p.oid)
FROM pg_proc p
WHERE p.pronamespace IN (SELECT oid FROM ns) AND p.prokind <> 'a'
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
SELECT 'aggregate', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
  concat_ws(' ', 'sfunc', a.aggtransfn::regproc::text, 'stype', format_type(a.aggtranstype, NULL),
    'finalfunc ' || NULLIF(a.aggfinalfn::oid, 0)::regproc::text, 'initcond ' || a.agginitval)
FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE p.pronamespace IN (SELECT oid FROM ns)
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
SELECT 'sequence', c.relname::text, owner.relname::text,
  concat_ws(' ', 'as', format_type(s.seqtypid, NULL), 'start', s.seqstart, 'increment', s.seqincrement,
    'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, CASE WHEN s.seqcycle THEN 'cycle' END,
    'owned by ' || quote_ident(owner.relname) || '.' || quote_ident(oa.attname))
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class owner ON owner.oid = d.refobjid
LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
WHERE c.relnamespace IN (SELECT oid FROM ns) AND (d.deptype IS NULL OR d.deptype = 'a')
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
UNION ALL
SELECT 'rule', c.relname || '.' || r.rulename, c.relname::text,
  pg_get_ruledef(r.oid, true) || CASE r.ev_enabled WHEN 'D' THEN ' disabled' WHEN 'R' THEN ' enabled replica'
    WHEN 'A' THEN ' enabled always' ELSE '' END
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
WHERE c.relnamespace IN (SELECT oid FROM ns) AND r.rulename <> '_RETURN'
UNION ALL
SELECT 'extension', x.extname::text, NULL, x.extname::text
FROM pg_extension x WHERE x.extnamespace IN (SELECT oid FROM ns)`;

/**
 * One stamp per relation (table, view, materialized view) of the schema, from the version of
 * every catalog row its model is read from: the relation's pg_class row, its columns (system columns never change), defaults,
 * constraints, indexes, triggers, policies, rules, partition data, and the rows of what those
 * refer to (pg_depend: types and their labels, functions, sequences, collations, operator
 * classes, other relations and their columns), whose names its deparsed text prints. A DDL
 * statement writes a new row version (new xmin and ctid) for everything it changes, and a
 * dropped part takes its row out of the stamp, so a relation whose stamp did not change since
 * the last introspection has the same model: the doctor's replay re-reads only the relations a
 * migration touched instead of the whole schema after every migration.
 */
const STAMPS_SQL = `
WITH rel AS (
  SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')),
part AS (
  SELECT r.oid AS rel, 'pg_class'::regclass AS classid, r.oid AS objid FROM rel r
  UNION ALL SELECT x.indrelid, 'pg_class'::regclass, x.indexrelid FROM pg_index x JOIN rel r ON r.oid = x.indrelid
  UNION ALL SELECT k.conrelid, 'pg_constraint'::regclass, k.oid FROM pg_constraint k JOIN rel r ON r.oid = k.conrelid
  UNION ALL SELECT d.adrelid, 'pg_attrdef'::regclass, d.oid FROM pg_attrdef d JOIN rel r ON r.oid = d.adrelid
  UNION ALL SELECT t.tgrelid, 'pg_trigger'::regclass, t.oid FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid
  UNION ALL SELECT p.polrelid, 'pg_policy'::regclass, p.oid FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
  UNION ALL SELECT w.ev_class, 'pg_rewrite'::regclass, w.oid FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class),
version AS (
  SELECT r.oid AS rel, 'c' || c.xmin || c.ctid AS v FROM rel r JOIN pg_class c ON c.oid = r.oid
  UNION ALL SELECT a.attrelid, 'a' || a.xmin || a.ctid FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid WHERE a.attnum > 0
  UNION ALL SELECT x.indrelid, 'x' || x.xmin || x.ctid || i.xmin || i.ctid FROM pg_index x JOIN rel r ON r.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
  UNION ALL SELECT d.adrelid, 'd' || d.xmin || d.ctid FROM pg_attrdef d JOIN rel r ON r.oid = d.adrelid
  UNION ALL SELECT k.conrelid, 'k' || k.xmin || k.ctid FROM pg_constraint k JOIN rel r ON r.oid = k.conrelid
  UNION ALL SELECT t.tgrelid, 't' || t.xmin || t.ctid FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid
  UNION ALL SELECT p.polrelid, 'p' || p.xmin || p.ctid FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
  UNION ALL SELECT w.ev_class, 'w' || w.xmin || w.ctid FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class
  UNION ALL SELECT h.inhrelid, 'h' || h.xmin || h.ctid || pc.xmin || pc.ctid FROM pg_inherits h JOIN rel r ON r.oid = h.inhrelid JOIN pg_class pc ON pc.oid = h.inhparent
  UNION ALL SELECT pt.partrelid, 'q' || pt.xmin || pt.ctid FROM pg_partitioned_table pt JOIN rel r ON r.oid = pt.partrelid
  UNION ALL SELECT p.rel, 'r' || d.refclassid || '.' || d.refobjid || '.' || d.refobjsubid || '.' || COALESCE(CASE d.refclassid
      WHEN 'pg_class'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_class o WHERE o.oid = d.refobjid)
        || COALESCE((SELECT o.xmin || '' || o.ctid FROM pg_attribute o WHERE o.attrelid = d.refobjid AND o.attnum = d.refobjsubid), '')
      WHEN 'pg_type'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_type o WHERE o.oid = d.refobjid)
        || COALESCE((SELECT string_agg(e.xmin || '' || e.ctid, ',' ORDER BY e.oid) FROM pg_enum e WHERE e.enumtypid = d.refobjid), '')
      WHEN 'pg_proc'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_proc o WHERE o.oid = d.refobjid)
      WHEN 'pg_constraint'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_constraint o WHERE o.oid = d.refobjid)
      WHEN 'pg_collation'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_collation o WHERE o.oid = d.refobjid)
      WHEN 'pg_opclass'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_opclass o WHERE o.oid = d.refobjid)
      WHEN 'pg_operator'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_operator o WHERE o.oid = d.refobjid)
      WHEN 'pg_namespace'::regclass THEN (SELECT o.xmin || '' || o.ctid FROM pg_namespace o WHERE o.oid = d.refobjid)
      ELSE 'unknown' END, 'gone')
  FROM part p JOIN pg_depend d ON d.classid = p.classid AND d.objid = p.objid
  -- Objects of initdb (below FirstNormalObjectId) never change; the relation's own parts are
  -- stamped above.
  WHERE d.refobjid >= 16384 AND d.refobjid <> p.rel
    AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indexrelid = d.refobjid AND x.indrelid = p.rel))
SELECT r.oid::text AS oid, r.relname AS name, count(*) || ':' || sum(hashtextextended(v.v, 0)::numeric) AS stamp
FROM rel r JOIN version v ON v.rel = r.oid GROUP BY r.oid, r.relname`;

const ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

interface ColumnRow {
  table_name: string;
  name: string;
  type: string;
  typtype: string;
  typname: string;
  notnull: boolean;
  default_expr: string | null;
  generated: string;
  identity: string;
  collation: string | null;
}

interface ConstraintRow {
  table_name: string;
  name: string;
  type: 'p' | 'u' | 'f' | 'c' | 'x';
  columns: string[];
  ref_table: string | null;
  /** The referenced table's schema: a key into another schema (Supabase's auth.users) is not one into this one's table of that name. */
  ref_schema: string | null;
  ref_columns: string[];
  on_delete: string;
  on_update: string;
  definition: string | null;
  deferrable: boolean;
  deferred: boolean;
  validated: boolean;
  no_inherit: boolean;
  match_type: string;
  set_columns: string[];
  include_defs: string[];
  nulls_not_distinct: boolean;
}

interface TableRow {
  name: string;
  kind: string;
  persistence: string;
  rls: boolean;
  force_rls: boolean;
  partition_key: string | null;
  partition_bound: string | null;
  parents: string[];
}

interface IndexRow {
  table_name: string;
  table_kind: string;
  name: string;
  is_unique: boolean;
  method: string;
  predicate: string | null;
  key_columns: number[];
  key_options: number[];
  key_defs: string[];
  include_defs: string[];
  opclasses: string[];
  collations: string[];
  valid: boolean;
  nulls_not_distinct: boolean;
  /** The whole CREATE INDEX, read for indexes of materialized views only. */
  definition: string | null;
}

interface ObjectRow {
  kind: string;
  name: string;
  /** The table the object belongs to (a sequence's owner, a rule's table), or null. */
  owner: string | null;
  definition: string | null;
}

/** An expression's canonical text (see canonical.ts), normalized for comparison. */
type Canon = (table: string | null, text: string) => string;

function toColumn(r: ColumnRow, canon: Canon): Column {
  const isGenerated = r.generated === 's';
  return {
    name: r.name,
    type: r.typtype === 'e' ? `enum:${r.typname}` : normalizeType(r.type),
    nullable: !r.notnull,
    default: !isGenerated && r.default_expr !== null ? canon(null, r.default_expr) : null,
    generated:
      isGenerated && r.default_expr !== null ? `${canon(r.table_name, r.default_expr)} stored` : null,
    collation: r.collation,
    identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null,
  };
}

/** INCLUDE columns, quoted as pg_get_indexdef quotes them, as one extra. */
function includeExtra(defs: readonly string[]): string[] {
  return defs.length > 0 ? [`include (${defs.join(', ')})`] : [];
}

/**
 * What an index has beyond its structured form, from the catalog columns pg_get_indexdef
 * reads (see INDEXES_SQL). Keys are numbered from 1 as in the index definition.
 */
function indexExtras(r: IndexRow): string[] {
  const out: string[] = [];
  r.key_defs.forEach((_, i) => {
    const option = r.key_options[i] ?? 0;
    // indoption bit 0 is DESC, bit 1 NULLS FIRST; NULLS FIRST is the default only for DESC.
    const nullsFirst = (option & 2) === 2;
    if (nullsFirst !== ((option & 1) === 1))
      out.push(`nulls ${nullsFirst ? 'first' : 'last'} on key ${i + 1}`);
    if (r.opclasses[i]) out.push(`opclass ${r.opclasses[i]} on key ${i + 1}`);
    if (r.collations[i]) out.push(`collate "${r.collations[i]}" on key ${i + 1}`);
  });
  out.push(...includeExtra(r.include_defs));
  if (r.nulls_not_distinct) out.push('nulls not distinct');
  if (!r.valid) out.push('invalid (a failed CREATE INDEX CONCURRENTLY)');
  return out;
}

/** Deferrability and validation, as the catalog records them for every kind of constraint. */
function constraintExtras(r: ConstraintRow): string[] {
  const out: string[] = [];
  if (r.type === 'u' || r.type === 'p') {
    if (r.nulls_not_distinct) out.push('nulls not distinct');
    out.push(...includeExtra(r.include_defs));
  }
  if (r.type === 'f') {
    if (r.match_type === 'f') out.push('match full');
    else if (r.match_type === 'p') out.push('match partial');
    if (r.set_columns.length > 0) out.push(`on delete set (${r.set_columns.join(', ')})`);
  }
  if (r.deferrable) out.push(r.deferred ? 'deferrable initially deferred' : 'deferrable');
  // connoinherit is set on keys too (they are never inherited); only a CHECK can choose.
  if (r.type === 'c' && r.no_inherit) out.push('no inherit');
  if (!r.validated) out.push('not valid');
  return out;
}

function withExtras<T extends object>(object: T, extras: string[]): T & { extras?: string[] } {
  return extras.length > 0 ? { ...object, extras } : object;
}

/** Table options: everything CREATE TABLE says about the table as a whole. */
function tableOptions(t: TableRow): string[] {
  const options: string[] = [];
  if (t.kind === 'p')
    options.push(`partition by ${normalizeExpression(t.partition_key ?? '', POSTGRES_EXPRESSIONS)}`);
  if (t.partition_bound !== null)
    options.push(
      `partition of ${t.parents[0]} ${normalizeExpression(t.partition_bound, POSTGRES_EXPRESSIONS)}`,
    );
  else if (t.parents.length > 0) options.push(`inherits (${t.parents.join(', ')})`);
  if (t.persistence === 'u') options.push('unlogged');
  if (t.rls) options.push('row level security');
  if (t.force_rls) options.push('force row level security');
  return options;
}

function toIndex(r: IndexRow, canon: Canon): Index {
  return withExtras(
    {
      name: r.name,
      unique: r.is_unique,
      keys: r.key_defs.map((def, i) => ({
        column: r.key_columns[i] !== 0 ? def.replace(/^"(.*)"$/, '$1').replaceAll('""', '"') : null,
        expression: r.key_columns[i] === 0 ? canon(r.table_name, def) : null,
        // indoption bit 0 is DESC.
        descending: ((r.key_options[i] ?? 0) & 1) === 1,
        collation: null,
      })),
      where: r.predicate === null ? null : canon(r.table_name, r.predicate),
      method: r.method === 'btree' ? null : r.method,
    },
    indexExtras(r),
  );
}

function attach(table: Table, key: string, definition: string): void {
  table.attached ??= {};
  table.attached[key] = definition;
}

function addObject(schema: Schema, kind: string, name: string, definition: string): void {
  putObject(schema, { kind, name, definition: normalizeExpression(definition, POSTGRES_EXPRESSIONS) });
}

/**
 * `CHECK (expr) NOT VALID` as pg_get_constraintdef prints it, cut into the expression and
 * what follows it (`NOT VALID`, `NO INHERIT`).
 */
function splitCheck(definition: string): { expression: string; suffix: string } {
  const tokens = tokenizePostgres(definition);
  const open = tokens.findIndex((t) => t.text === '(');
  let depth = 0;
  for (let i = Math.max(open, 0); i < tokens.length; i++) {
    if (tokens[i].text === '(') depth++;
    else if (tokens[i].text === ')' && --depth === 0)
      return {
        expression: definition.slice(tokens[open].end, tokens[i].start),
        suffix: definition.slice(tokens[i].end).trim(),
      };
  }
  return { expression: definition.replace(/^CHECK\s*/i, ''), suffix: '' };
}

/** Every expression of the schema that the server can canonicalize, grouped by table. */
function expressionBatches(
  columns: ColumnRow[],
  constraints: ConstraintRow[],
  indexes: IndexRow[],
): ExpressionBatch[] {
  const byTable = new Map<string, ExpressionBatch>();
  const defaults: ExpressionBatch = { table: null, signature: '', texts: [] };
  const batch = (table: string) => {
    let b = byTable.get(table);
    if (!b) {
      const types = columns.filter((c) => c.table_name === table).map((c) => `${c.name}:${c.type}`);
      b = { table, signature: types.join(','), texts: [] };
      byTable.set(table, b);
    }
    return b;
  };
  for (const c of columns) {
    if (c.default_expr === null) continue;
    if (c.generated === 's') batch(c.table_name).texts.push(c.default_expr);
    else defaults.texts.push(c.default_expr);
  }
  for (const c of constraints)
    if (c.type === 'c') batch(c.table_name).texts.push(splitCheck(c.definition ?? '').expression);
  for (const i of indexes) {
    if (i.predicate !== null) batch(i.table_name).texts.push(i.predicate);
    i.key_defs.forEach((def, k) => {
      if (i.key_columns[k] === 0) batch(i.table_name).texts.push(def);
    });
  }
  return [defaults, ...byTable.values()];
}

/**
 * Names of the relations and types of schema `ns` that belong to an extension (pg_depend
 * deptype 'e', PG docs "Packaging Related Objects into an Extension"): dropped and created
 * with it, never by a migration's own statements.
 */
async function extensionMembers(conn: PostgresConnection, ns: string): Promise<string[]> {
  const rows = await conn.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
     WHERE n.nspname = $1
     UNION
     SELECT t.typname FROM pg_catalog.pg_type t
       JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
     WHERE n.nspname = $1`,
    [ns],
  );
  return rows.map((r) => r.name);
}

/**
 * Reads one schema (default `public`) of a live PostgreSQL database into the schema model,
 * from pg_catalog, in a handful of queries whatever the number of tables. Read-only.
 */
export async function introspectPostgres(
  conn: PostgresConnection,
  options: IntrospectOptions,
): Promise<Schema> {
  const memo = options.memo;
  if (!memo) return readSchema(conn, options, null);
  const ns = options.schema ?? 'public';
  const logKey = `postgres change log\0${ns}\0${options.exclude.join('\0')}`;
  const logged = memo.get(logKey) as ChangeLogState | false | undefined;
  if (logged === undefined) {
    // First introspection of a replay: from here on the scratch database logs what each
    // migration's DDL touches, when the replay may create event triggers (a superuser).
    if (await installChangeLog(conn)) {
      const schema = await readSchema(conn, options, null);
      const relations = await conn.query<{ oid: string; name: string }>(RELATIONS_SQL, [ns]);
      memo.set(logKey, { names: new Map(relations.map((r) => [r.oid, r.name])), schema });
      return schema;
    }
    memo.set(logKey, false);
  } else if (logged !== false) {
    const schema = await fromChangeLog(conn, options, logged).catch(() => null);
    if (schema) {
      logged.schema = schema;
      return schema;
    }
    // The log is gone (a migration dropped it): read everything from here on.
    memo.set(logKey, false);
  }
  const key = `postgres relation stamps\0${ns}\0${options.exclude.join('\0')}`;
  const stamps = await conn.query<{ oid: string; name: string; stamp: string }>(STAMPS_SQL, [ns]);
  const before = memo.get(key) as RelationState | undefined;
  const now = new Map(stamps.map((r) => [r.oid, r]));
  if (!before) {
    const schema = await readSchema(conn, options, null);
    memo.set(key, { relations: now, schema });
    return schema;
  }
  // Relations to read again: new or changed ones; and to forget: changed or gone ones (by the
  // name they had, a rename changes the stamp).
  const changed = stamps.filter((r) => before.relations.get(r.oid)?.stamp !== r.stamp);
  const forget = new Set<string>();
  for (const [oid, r] of before.relations) if (now.get(oid)?.stamp !== r.stamp) forget.add(r.name);
  const fresh = await readSchema(
    conn,
    options,
    changed.map((r) => r.oid),
  );
  const schema = mergeRelations(before.schema, fresh, forget);
  memo.set(key, { relations: now, schema });
  return schema;
}

/** The relations of a schema, by oid. */
const RELATIONS_SQL = `
SELECT c.oid::text AS oid, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')`;

/** Where the scratch database logs the objects DDL touched (PG docs, "Event Triggers"). */
const CHANGE_LOG = 'dbdoctor_replay_log';

/**
 * Event triggers that log every object a DDL command creates, alters or drops
 * (pg_event_trigger_ddl_commands, pg_event_trigger_dropped_objects) into a table of the
 * scratch database, enabled ALWAYS so that a migration's `session_replication_role = replica`
 * does not silence them. Only shared objects (roles, databases, tablespaces) and event
 * triggers themselves fire none, and neither is part of the compared schema. False when the
 * user may not create event triggers: the replay then stamps relations instead.
 */
async function installChangeLog(conn: PostgresConnection): Promise<boolean> {
  if (await conn.inTransaction()) return false;
  const [{ superuser }] = await conn.query<{ superuser: boolean }>(
    'SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
  );
  if (!superuser) return false;
  try {
    await conn.exec(`BEGIN;
CREATE SCHEMA ${CHANGE_LOG};
CREATE TABLE ${CHANGE_LOG}.touched (classid oid, objid oid, names text[], kind text);
CREATE FUNCTION ${CHANGE_LOG}.ddl() RETURNS event_trigger LANGUAGE plpgsql AS $f$BEGIN
  INSERT INTO ${CHANGE_LOG}.touched SELECT classid, objid, NULL, object_type FROM pg_event_trigger_ddl_commands();
END$f$;
CREATE FUNCTION ${CHANGE_LOG}.dropped() RETURNS event_trigger LANGUAGE plpgsql AS $f$BEGIN
  INSERT INTO ${CHANGE_LOG}.touched SELECT classid, objid, address_names, object_type FROM pg_event_trigger_dropped_objects();
END$f$;
CREATE EVENT TRIGGER ${CHANGE_LOG}_ddl ON ddl_command_end EXECUTE FUNCTION ${CHANGE_LOG}.ddl();
CREATE EVENT TRIGGER ${CHANGE_LOG}_drop ON sql_drop EXECUTE FUNCTION ${CHANGE_LOG}.dropped();
ALTER EVENT TRIGGER ${CHANGE_LOG}_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ${CHANGE_LOG}_drop ENABLE ALWAYS;
COMMIT`);
    return true;
  } catch {
    await conn.exec('ROLLBACK').catch(() => {});
    return false;
  }
}

/** What {@link introspectPostgres} keeps while the change log works. */
interface ChangeLogState {
  /** The schema's relations (tables, views, materialized views) by oid, as last read. */
  names: Map<string, string>;
  schema: Schema;
}

/**
 * The relations of schema $1 to read again after DDL touched the objects ($2 classids, $3
 * objids) and dropped parts of the relations named $4: the touched relations, the owners of touched indexes, constraints, defaults,
 * triggers, policies and rules, and every relation with a part that refers to one of those
 * (pg_depend), whose deparsed text prints its name: a view over a renamed column, a foreign
 * key to a renamed table, a CHECK calling a renamed function.
 */
const TOUCHED_RELATIONS_SQL = `
WITH t AS (SELECT * FROM unnest($2::oid[], $3::oid[]) AS t(classid, objid)),
owner AS (
  SELECT t.objid AS rel FROM t WHERE t.classid = 'pg_class'::regclass
  UNION SELECT x.indrelid FROM t JOIN pg_index x ON x.indexrelid = t.objid WHERE t.classid = 'pg_class'::regclass
  UNION SELECT k.conrelid FROM t JOIN pg_constraint k ON k.oid = t.objid WHERE t.classid = 'pg_constraint'::regclass
  UNION SELECT d.adrelid FROM t JOIN pg_attrdef d ON d.oid = t.objid WHERE t.classid = 'pg_attrdef'::regclass
  UNION SELECT g.tgrelid FROM t JOIN pg_trigger g ON g.oid = t.objid WHERE t.classid = 'pg_trigger'::regclass
  UNION SELECT p.polrelid FROM t JOIN pg_policy p ON p.oid = t.objid WHERE t.classid = 'pg_policy'::regclass
  UNION SELECT w.ev_class FROM t JOIN pg_rewrite w ON w.oid = t.objid WHERE t.classid = 'pg_rewrite'::regclass),
referred AS (
  SELECT classid, objid FROM t UNION SELECT 'pg_class'::regclass, rel FROM owner),
dependent AS (
  SELECT CASE d.classid
      WHEN 'pg_class'::regclass THEN COALESCE((SELECT x.indrelid FROM pg_index x WHERE x.indexrelid = d.objid), d.objid)
      WHEN 'pg_constraint'::regclass THEN (SELECT k.conrelid FROM pg_constraint k WHERE k.oid = d.objid)
      WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
      WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = d.objid)
      WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
      WHEN 'pg_rewrite'::regclass THEN (SELECT w.ev_class FROM pg_rewrite w WHERE w.oid = d.objid)
    END AS rel
  FROM referred r JOIN pg_depend d ON d.refclassid = r.classid AND d.refobjid = r.objid)
SELECT c.oid::text AS oid, c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')
  AND (c.oid IN (SELECT rel FROM owner UNION SELECT rel FROM dependent) OR c.relname = ANY ($4::text[]))`;

/**
 * The schema after the DDL the change log recorded since the last introspection: the
 * relations it touched (and those referring to them) read again, the rest kept as they were.
 * The same object when no DDL ran (a data-only migration).
 */
async function fromChangeLog(
  conn: PostgresConnection,
  options: IntrospectOptions,
  state: ChangeLogState,
): Promise<Schema> {
  const ns = options.schema ?? 'public';
  const touched = await conn.query<{
    classid: string;
    objid: string;
    names: string[] | null;
    kind: string | null;
  }>(`DELETE FROM ${CHANGE_LOG}.touched RETURNING classid::text, objid::text, names, kind`);
  if (touched.length === 0) return state.schema;
  const previous = options.memo ? lastObjectRows.get(options.memo) : undefined;
  const reuse =
    previous &&
    touched.every((t) => t.names === null && leavesObjectsAlone(t.kind, !state.names.has(t.objid)))
      ? previous
      : null;
  const forget = new Set<string>();
  for (const t of touched) {
    if (t.names === null) continue;
    // A dropped object: its relation (gone or not) by the name it had.
    const gone = state.names.get(t.objid);
    if (gone !== undefined) {
      forget.add(gone);
      state.names.delete(t.objid);
    } else if (t.names[0] === ns && t.names.length >= 3) forget.add(t.names[1]);
    else if (t.names[0] === ns && t.names.length === 2) {
      // A dropped index names no table: find the one it belonged to.
      for (const table of Object.values(state.schema.tables))
        if (table.indexes.some((i) => i.name === t.names?.[1])) forget.add(table.name);
      for (const o of Object.values(state.schema.objects ?? {}))
        if (o.kind === 'index' && o.name.endsWith(`.${t.names[1]}`))
          forget.add(o.name.slice(0, -t.names[1].length - 1));
    }
  }
  const reread = await conn.query<{ oid: string; name: string }>(TOUCHED_RELATIONS_SQL, [
    ns,
    touched.map((t) => t.classid),
    touched.map((t) => t.objid),
    // Relations a dropped part (index, constraint, trigger, ...) belonged to, if they remain.
    [...forget],
  ]);
  const rereadOids = new Set(reread.map((r) => r.oid));
  for (const t of touched) {
    // A touched relation not read again left the schema (dropped, or moved by SET SCHEMA).
    const name = state.names.get(t.objid);
    if (name !== undefined && !rereadOids.has(t.objid)) {
      forget.add(name);
      state.names.delete(t.objid);
    }
  }
  for (const r of reread) {
    const before = state.names.get(r.oid);
    if (before !== undefined) forget.add(before);
    forget.add(r.name);
    state.names.set(r.oid, r.name);
  }
  // Relations still named in `forget` but not read again are gone (or no longer in the schema).
  const fresh = await readSchema(
    conn,
    options,
    reread.map((r) => r.oid),
    reuse,
  );
  return mergeRelations(state.schema, fresh, forget);
}

/**
 * The rows of each relation query, for schema `ns` and the relations `only` (null: all). The
 * replay reads a few relations after each migration: then all queries travel in one round trip
 * (one simple-protocol query of several statements, with the values written in).
 */
async function relationRows(
  conn: PostgresConnection,
  queries: string[],
  ns: string,
  only: string[] | null,
): Promise<Record<string, unknown>[][]> {
  if (only === null) {
    const out: Record<string, unknown>[][] = [];
    for (const q of queries) out.push(await conn.query(q, [ns, null]));
    return out;
  }
  if (only.length === 0) return queries.map(() => []);
  const oids = `'{${only.map((o) => String(Number(o))).join(',')}}'`;
  const text = queries
    .map((q) => q.replaceAll(/\$1(?!\d)/g, quoteLiteral(ns)).replaceAll(/\$2(?!\d)/g, oids))
    .join(';\n');
  const results = (await conn.client.query(text)) as unknown as { rows: Record<string, unknown>[] }[];
  return results.map((r) => r.rows);
}

/** The rows of the queries that read everything but relations, as last read for a memo. */
interface ObjectRows {
  members: string[];
  enums: { name: string; labels: string[] }[];
  objects: ObjectRow[];
}

const lastObjectRows = new WeakMap<Map<string, unknown>, ObjectRows>();

/**
 * Object kinds whose creation or change leaves every object outside relations as it was
 * (domains, types, functions, sequences, rules, extensions and what they print): an index, a
 * trigger, a policy, and a relation that did not exist before (its sequences, types and
 * rules are logged as objects of their own).
 */
function leavesObjectsAlone(kind: string | null, isNew: boolean): boolean {
  if (kind === 'index' || kind === 'trigger' || kind === 'policy') return true;
  return isNew && (kind === 'table' || kind === 'view' || kind === 'materialized view');
}

/** What {@link introspectPostgres} keeps between introspections in the caller's memo. */
interface RelationState {
  relations: Map<string, { oid: string; name: string; stamp: string }>;
  schema: Schema;
}

/**
 * `fresh` (read for the changed relations only, with the schema's other objects in full) with
 * the relations of `before` that did not change, as the same objects.
 */
function mergeRelations(before: Schema, fresh: Schema, forget: ReadonlySet<string>): Schema {
  const keep = <T>(record: Record<string, T>, owner: (key: string, value: T) => string) =>
    Object.fromEntries(Object.entries(record).filter(([k, v]) => !forget.has(owner(k, v))));
  const matviewIndexes = keep(
    Object.fromEntries(Object.entries(before.objects ?? {}).filter(([, o]) => o.kind === 'index')),
    (_k, o) => o.name.slice(0, o.name.lastIndexOf('.')),
  );
  return normalizeSchema({
    dialect: 'postgres',
    tables: { ...keep(before.tables, (k) => k), ...fresh.tables },
    enums: fresh.enums,
    views: { ...keep(before.views, (k) => k), ...fresh.views },
    triggers: { ...keep(before.triggers, (_k, g) => g.table), ...fresh.triggers },
    objects: { ...matviewIndexes, ...fresh.objects },
  });
}

/**
 * Reads the schema; with `only`, the relation-based parts (tables, columns, constraints,
 * indexes, views, triggers, policies) of those relations (oids) alone.
 */
async function readSchema(
  conn: PostgresConnection,
  options: IntrospectOptions,
  only: string[] | null,
  reuse: ObjectRows | null = null,
): Promise<Schema> {
  const ns = options.schema ?? 'public';
  // Objects an extension created (pg_stat_statements' view, …) are the extension's, not the user's.
  const members = reuse?.members ?? (await extensionMembers(conn, ns));
  const excluded = nameFilter([...options.exclude, ...members]);
  // One client runs one query at a time; issuing them together is deprecated in pg.
  let version = options.memo?.get('postgres server_version_num') as number | undefined;
  if (version === undefined) {
    [{ version }] = await conn.query<{ version: number }>(
      "SELECT current_setting('server_version_num')::int AS version",
    );
    options.memo?.set('postgres server_version_num', version);
  }
  const pg15 = pg15Columns(version);
  const [tables, columns, constraints, indexes, views, triggers, policies] = (await relationRows(
    conn,
    [
      TABLES_SQL,
      COLUMNS_SQL,
      CONSTRAINTS_SQL(pg15),
      INDEXES_SQL(pg15),
      VIEWS_SQL,
      TRIGGERS_SQL,
      POLICIES_SQL,
    ],
    ns,
    only,
  )) as [
    TableRow[],
    ColumnRow[],
    ConstraintRow[],
    IndexRow[],
    { name: string; kind: string; definition: string }[],
    { name: string; table_name: string; definition: string }[],
    { table_name: string; name: string; definition: string }[],
  ];
  const enums = reuse?.enums ?? (await conn.query<{ name: string; labels: string[] }>(ENUMS_SQL, [ns]));
  const objects =
    reuse?.objects ?? (await conn.query<ObjectRow & Record<string, unknown>>(OBJECTS_SQL, [ns]));
  if (options.memo) lastObjectRows.set(options.memo, { members, enums, objects });

  const canonical = await canonicalExpressions(
    conn,
    ns,
    expressionBatches(columns, constraints, indexes),
    options.memo,
  );
  const canon: Canon = (table, text) =>
    normalizeExpression(canonical.get(canonicalKey(table, text)) ?? text, POSTGRES_EXPRESSIONS);

  const schema: Schema = { dialect: 'postgres', tables: {}, enums: {}, views: {}, triggers: {}, objects: {} };
  for (const t of tables) {
    if (excluded.has(t.name)) continue;
    const options = tableOptions(t);
    schema.tables[t.name] = {
      name: t.name,
      columns: [],
      primaryKey: null,
      uniques: [],
      indexes: [],
      foreignKeys: [],
      checks: [],
      options,
    };
  }
  const tableOf = (name: string): Table | undefined => schema.tables[name];
  for (const c of columns) tableOf(c.table_name)?.columns.push(toColumn(c, canon));
  for (const c of constraints) {
    const table = tableOf(c.table_name);
    if (!table) continue;
    const extras = constraintExtras(c);
    if (c.type === 'p') {
      table.primaryKey = c.columns;
      if (extras.length > 0) attach(table, 'primary key', extras.join(' '));
    } else if (c.type === 'u') table.uniques.push(withExtras({ name: c.name, columns: c.columns }, extras));
    else if (c.type === 'c')
      table.checks.push(
        withExtras(
          {
            name: c.name,
            // NOT VALID and NO INHERIT are extras, so the expression is the CHECK's alone.
            expression: canon(c.table_name, splitCheck(c.definition ?? '').expression),
          },
          extras,
        ),
      );
    else if (c.type === 'x') {
      // Names are not compared (see Table): an exclusion constraint is its definition.
      const definition = normalizeExpression(c.definition ?? '', POSTGRES_EXPRESSIONS);
      attach(table, definition, definition);
    } else if (c.type === 'f') {
      const fk: ForeignKey = {
        name: c.name,
        columns: c.columns,
        referencedTable: c.ref_table ?? '',
        referencedColumns: c.ref_columns,
        onDelete: normalizeAction(ACTIONS[c.on_delete]),
        onUpdate: normalizeAction(ACTIONS[c.on_update]),
      };
      const elsewhere =
        c.ref_schema !== null && c.ref_schema !== ns ? [`references schema ${c.ref_schema}`] : [];
      table.foreignKeys.push(withExtras(fk, [...extras, ...elsewhere]));
    }
  }
  for (const i of indexes) {
    if (i.table_kind !== 'm') tableOf(i.table_name)?.indexes.push(toIndex(i, canon));
    else if (!excluded.has(i.table_name))
      addObject(schema, 'index', `${i.table_name}.${i.name}`, `${i.definition}${i.valid ? '' : ' invalid'}`);
  }
  for (const p of policies) {
    const table = tableOf(p.table_name);
    if (table) attach(table, `policy ${p.name}`, normalizeExpression(p.definition, POSTGRES_EXPRESSIONS));
  }
  for (const o of objects) {
    if (o.owner !== null && excluded.has(o.owner)) continue;
    addObject(schema, o.kind, o.name, o.definition ?? '');
  }
  for (const e of enums) if (!excluded.has(e.name)) schema.enums[e.name] = { name: e.name, values: e.labels };
  for (const v of views) {
    if (excluded.has(v.name)) continue;
    const body = normalizeExpression(
      modernValueFunctions(v.definition.replace(/;\s*$/, '')),
      POSTGRES_EXPRESSIONS,
    );
    schema.views[v.name] = { name: v.name, definition: v.kind === 'm' ? `materialized: ${body}` : body };
  }
  for (const g of triggers) {
    if (excluded.has(g.table_name)) continue;
    // A trigger's name is unique per table only (pagila has a last_updated on each table).
    schema.triggers[`${g.name} on ${g.table_name}`] = {
      name: g.name,
      table: g.table_name,
      definition: normalizeExpression(modernValueFunctions(g.definition), POSTGRES_EXPRESSIONS),
    };
  }
  return normalizeSchema(schema);
}
