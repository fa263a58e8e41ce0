import type { ObjectKey } from '../schema/fingerprint.js';
import type { ExpectedSchemas } from './expected.js';

/** Where the live schema stands among the expected schemas of every revision. */
export interface Location {
  /** Index of the latest revision whose expected schema equals the live one, or -1. */
  matches: number;
  /** When nothing matches: the revision with the fewest differing objects (-1 = empty base). */
  nearest: number;
  /** How many objects differ from the nearest revision. */
  distance: number;
}

/** Number of objects that differ between two sets of object hashes. */
export function objectDistance(a: Record<ObjectKey, string>, b: Record<ObjectKey, string>): number {
  let distance = 0;
  for (const key of Object.keys(a)) if (a[key] !== b[key]) distance++;
  for (const key of Object.keys(b)) if (!(key in a)) distance++;
  return distance;
}

/**
 * Finds the revision the live schema actually matches: the latest one with an equal
 * fingerprint, else the nearest by differing objects, ties going to `preferred` (the
 * recorded revision) and then to the later revision. Pure; one pass over the revisions.
 */
export function locateRevision(
  expected: ExpectedSchemas,
  liveFingerprint: string,
  liveHashes: Record<ObjectKey, string>,
  preferred: number,
): Location {
  let matches = -1;
  let nearest = -1;
  let distance = objectDistance({}, liveHashes);
  const running: Record<ObjectKey, string> = {};
  for (const [index, revision] of expected.revisions.entries()) {
    for (const [key, hash] of Object.entries(revision.changed)) {
      if (hash === null) delete running[key];
      else running[key] = hash;
    }
    if (revision.fingerprint === liveFingerprint) matches = index;
    const d = objectDistance(running, liveHashes);
    if (d < distance || (d === distance && (index === preferred || nearest !== preferred))) {
      distance = d;
      nearest = index;
    }
  }
  return { matches, nearest, distance };
}
