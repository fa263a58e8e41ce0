import { diff } from '../schema/diff.js';
import type { ObjectKey } from '../schema/fingerprint.js';
import { emptySchema, type Schema, type Table } from '../schema/model.js';
import { type ExpectedSchemas, objectOf, placeObject, type SchemaObject } from './expected.js';

/** Where the live schema stands among the expected schemas of every revision. */
export interface Location {
  /** Index of the latest revision whose expected schema equals the live one, or -1. */
  matches: number;
  /** Every revision whose expected schema equals the live one, in file order. */
  candidates: number[];
  /** The revision with the fewest differing properties (-1 = empty base). */
  nearest: number;
  /** How many objects and properties differ from the nearest revision. */
  distance: number;
}

/**
 * How many properties an object has (a table: itself, each column, index, key and check): what
 * it weighs when it is on one side only, so that a table missing from a revision counts as
 * much as the differences it would take to build it, not as one.
 */
function weight(key: ObjectKey, object: SchemaObject): number {
  const kind = key.slice(0, key.indexOf(':'));
  if (kind === 'table') {
    const t = object as Table;
    return (
      1 +
      t.columns.length +
      t.indexes.length +
      t.uniques.length +
      t.foreignKeys.length +
      t.checks.length +
      (t.primaryKey ? 1 : 0)
    );
  }
  if (kind === 'enum') return 1 + ((object as { values?: string[] }).values?.length ?? 0);
  return 1;
}

/** Differences the structured diff finds between two versions of one object. */
function propertyDistance(
  dialect: Schema['dialect'],
  key: ObjectKey,
  a: SchemaObject,
  b: SchemaObject,
): number {
  const sa = emptySchema(dialect);
  const sb = emptySchema(dialect);
  placeObject(sa, key, a);
  placeObject(sb, key, b);
  return diff(sa, sb).changes.length;
}

/**
 * Finds the revision the live schema actually matches: every revision with an equal
 * fingerprint (the latest is `matches`), and the nearest by the number of objects and
 * properties that differ (the structured diff, object by object). A tie goes to `preferred`
 * (the recorded revision) when it is among the tied, else to the latest; the empty base wins
 * only when strictly nearer than every revision. Pure.
 */
export function locateRevision(
  expected: ExpectedSchemas,
  liveFingerprint: string,
  live: Schema,
  liveHashes: Record<ObjectKey, string>,
  preferred: number,
): Location {
  const memo = new Map<string, number>();
  const cost = (key: ObjectKey, expectedHash: string | undefined, liveHash: string | undefined): number => {
    const id = `${key}\0${expectedHash ?? ''}\0${liveHash ?? ''}`;
    let d = memo.get(id);
    if (d === undefined) {
      const a = expectedHash === undefined ? undefined : expected.objectOfHash(expectedHash);
      const b = liveHash === undefined ? undefined : objectOf(live, key);
      if (a && b) d = Math.max(1, propertyDistance(live.dialect, key, a, b));
      else if (a) d = weight(key, a);
      else if (b) d = weight(key, b);
      else d = 1;
      memo.set(id, d);
    }
    return d;
  };
  // What one object adds to the distance while a revision holds `hash` for it (undefined:
  // the revision has no such object).
  const contribution = (key: ObjectKey, hash: string | undefined): number =>
    hash === liveHashes[key] ? 0 : cost(key, hash, liveHashes[key]);

  const candidates: number[] = [];
  let nearest = -1;
  // The empty base: every live object is missing.
  let runningDistance = 0;
  for (const key of Object.keys(liveHashes)) runningDistance += contribution(key, undefined);
  let distance = runningDistance;
  let nearestIsPreferred = preferred === -1;
  const running: Record<ObjectKey, string> = {};
  for (const [index, revision] of expected.revisions.entries()) {
    // Only the objects a revision changed change its distance: it is kept up to date instead
    // of summed over every object for every revision.
    for (const [key, hash] of Object.entries(revision.changed)) {
      runningDistance -= contribution(key, running[key]);
      if (hash === null) delete running[key];
      else running[key] = hash;
      runningDistance += contribution(key, running[key]);
    }
    if (revision.fingerprint === liveFingerprint) candidates.push(index);
    const d = runningDistance;
    const tieWins = d === distance && (nearest === -1 || index === preferred || !nearestIsPreferred);
    if (d < distance || tieWins) {
      distance = d;
      nearest = index;
      nearestIsPreferred = index === preferred;
    }
  }
  return { matches: candidates.at(-1) ?? -1, candidates, nearest, distance };
}
