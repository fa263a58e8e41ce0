import { createHash } from 'node:crypto';
import type { Schema, Table } from './model.js';
import { foreignKeyIdentity, normalizeTable } from './normalize.js';

/**
 * Bumped whenever normalization or the canonical form changes, so fingerprints cached on disk
 * by an older dbdoctor are not compared with new ones.
 */
export const FINGERPRINT_VERSION = 9;

/**
 * A key naming one object of a schema: `table:accounts`, `enum:status`, `view:v`, `trigger:t`,
 * or the key of one of {@link Schema.objects} (`function:f(integer)`, `domain:email`, ...).
 */
export type ObjectKey = string;

/**
 * The comparable form of a table: what makes two tables "the same" for dbdoctor. Column
 * order and the names of UNIQUE, FOREIGN KEY and CHECK constraints are left out (SQLite does
 * not keep constraint names; column order does not change what a table can hold).
 */
function canonicalTable(table: Table): unknown {
  const t = normalizeTable(table);
  return {
    name: t.name,
    columns: [...t.columns]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => [
        c.name,
        c.type,
        c.nullable,
        c.default,
        c.generated,
        c.collation,
        c.identity,
        extras(c.extras),
      ]),
    primaryKey: t.primaryKey,
    uniques: t.uniques.map((u) => [u.columns, extras(u.extras)]),
    indexes: t.indexes.map((i) => [
      i.name,
      i.unique,
      i.keys.map((k) => [k.column, k.expression, k.descending, k.collation]),
      i.where,
      i.method,
      extras(i.extras),
    ]),
    foreignKeys: t.foreignKeys.map((f) => [foreignKeyIdentity(f), f.onDelete, f.onUpdate, extras(f.extras)]),
    checks: t.checks.map((c) => [c.expression, extras(c.extras)]),
    options: t.options,
    attached: Object.entries(t.attached ?? {}),
  };
}

/** Extras in a stable order; absent and empty are the same (the defaults). */
function extras(list: readonly string[] | undefined): string[] {
  return [...(list ?? [])].sort();
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * Object hashes by identity. Schema objects are never changed once built, and the doctor's
 * replay gets the same object back for everything a migration did not touch, so each object
 * is hashed once per replay rather than once per revision.
 */
const hashes = new WeakMap<object, string>();

function objectHash(object: object, compute: () => unknown): string {
  let h = hashes.get(object);
  if (h === undefined) {
    h = hash(compute()).slice(0, 24);
    hashes.set(object, h);
  }
  return h;
}

/**
 * One short hash per object of the schema. Two schemas have the same object hashes exactly
 * when dbdoctor considers them equal, object by object; the revision cache stores these.
 */
export function objectHashes(schema: Schema): Record<ObjectKey, string> {
  const out: Record<ObjectKey, string> = {};
  for (const t of Object.values(schema.tables))
    out[`table:${t.name}`] = objectHash(t, () => canonicalTable(t));
  for (const e of Object.values(schema.enums))
    out[`enum:${e.name}`] = objectHash(e, () => [e.name, e.values]);
  for (const v of Object.values(schema.views))
    out[`view:${v.name}`] = objectHash(v, () => [v.name, v.definition]);
  for (const [key, g] of Object.entries(schema.triggers))
    out[`trigger:${key}`] = objectHash(g, () => [g.name, g.table, g.definition]);
  for (const [key, o] of Object.entries(schema.objects ?? {}))
    out[key] = objectHash(o, () => [o.kind, o.name, o.definition]);
  return out;
}

/** The fingerprint of a set of object hashes (see {@link objectHashes}). */
export function fingerprintOfHashes(dialect: string, hashes: Record<ObjectKey, string>): string {
  const pairs = Object.keys(hashes)
    .sort()
    .map((k) => [k, hashes[k]]);
  return hash([FINGERPRINT_VERSION, dialect, pairs]);
}

/**
 * A stable fingerprint of a schema: equal for two schemas exactly when {@link diff} finds no
 * difference between them, whatever order the introspection returned things in.
 */
export function fingerprint(schema: Schema): string {
  return fingerprintOfHashes(schema.dialect, objectHashes(schema));
}
