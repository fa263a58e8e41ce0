import { compareIds } from '../../migrations/files.js';
import { diff, type SchemaChange } from '../../schema/diff.js';
import { fingerprintOfHashes, objectHashes } from '../../schema/fingerprint.js';
import { adoptFrozenTimes } from '../../schema/frozen.js';
import type { Schema } from '../../schema/model.js';
import type { ExpectedSchemas } from '../expected.js';
import type { Finding } from '../findings.js';
import { locateRevision } from '../locate.js';

/** What the schema check concluded. */
export interface SchemaVerdict {
  findings: Finding[];
  /** The latest revision whose expected schema equals the live one, or null. */
  matches: string | null;
  /** When nothing matches: the closest revision (null = the empty base). */
  nearest: string | null;
  /** The differences between the expected schema at the compared revision and the live one. */
  drift: SchemaChange[];
  /** The revision `doctor --fix` may stamp: set only when the live schema matches it exactly. */
  stampTo: string | null;
  /** Fingerprint of the live schema. */
  fingerprint: string;
}

const DRIFT_FIX =
  'Write a migration that makes this change (`dbdoctor new <name>`), or undo the hand-made change. `doctor --fix` never alters tables.';

/** Index of the revision a recorded id stands for: itself, or the last file before it if its file is gone. */
function recordedIndex(expected: ExpectedSchemas, recorded: string | null): number {
  if (recorded === null) return -1;
  let index = -1;
  for (const [i, r] of expected.revisions.entries()) if (compareIds(r.id, recorded) <= 0) index = i;
  return index;
}

/**
 * Compares the live schema with the schema expected at the recorded revision, and finds the
 * revision it really matches. Pure: all I/O (introspection, replay) happened before.
 */
export function schemaVerdict(
  expected: ExpectedSchemas,
  introspected: Schema,
  recorded: string | null,
  hasHistory: boolean,
): SchemaVerdict {
  // A time the migrations froze at creation ('now'::date) is compared as written, not as the moment.
  const live = adoptFrozenTimes(introspected, expected.frozenExpressions());
  const liveHashes = objectHashes(live);
  const liveFingerprint = fingerprintOfHashes(live.dialect, liveHashes);
  const atRecorded = recordedIndex(expected, recorded);
  const location = locateRevision(expected, liveFingerprint, liveHashes, atRecorded);
  const idAt = (i: number) => (i >= 0 ? expected.revisions[i].id : null);
  const matches = idAt(location.matches);
  const verdict: SchemaVerdict = {
    findings: [],
    matches,
    nearest: null,
    drift: [],
    stampTo: null,
    fingerprint: liveFingerprint,
  };
  const expectedFingerprint =
    atRecorded >= 0 ? expected.revisions[atRecorded].fingerprint : fingerprintOfHashes(live.dialect, {});
  if (liveFingerprint === expectedFingerprint) return verdict;

  if (matches !== null) {
    verdict.stampTo = matches;
    if (!hasHistory) {
      verdict.findings.push({
        code: 'NO_HISTORY',
        severity: 'error',
        message: `The database has tables but no migration history; its schema matches revision ${matches} exactly.`,
        fix: `dbdoctor stamp ${matches}`,
        id: matches,
      });
    } else {
      const why =
        compareIds(matches, recorded ?? '') > 0
          ? `the changes of the migrations after ${recorded} are already in the database but were never recorded`
          : `the history records migrations after ${matches} whose changes are not in the database`;
      verdict.findings.push({
        code: 'REVISION_MISMATCH',
        severity: 'error',
        message: `The history says revision ${recorded}, but the schema matches revision ${matches} exactly: ${why}.`,
        fix: `dbdoctor stamp ${matches}`,
        id: matches,
      });
    }
    return verdict;
  }

  // Nothing matches: explain the drift against the recorded revision (or, with no history,
  // the nearest one), table by table.
  const base = hasHistory ? atRecorded : location.nearest;
  const baseLabel = idAt(base) ?? 'base (no migrations)';
  verdict.nearest = idAt(location.nearest);
  const changes = diff(expected.schemaAt(base), live, {
    a: `the migrations at ${baseLabel}`,
    b: 'the database',
  });
  verdict.drift = changes.changes;
  for (const [table, messages] of Object.entries(changes.byTable)) {
    verdict.findings.push({
      code: 'SCHEMA_DRIFT',
      severity: 'error',
      message: `${table ? `Table ${table} differs` : 'Types and views differ'} from the migrations at ${baseLabel}: ${messages.join(' ')}`,
      fix: DRIFT_FIX,
      ...(table ? { table } : {}),
    });
  }
  if (!hasHistory) {
    verdict.findings.push({
      code: 'NO_HISTORY',
      severity: 'error',
      message: `The database has tables but no migration history, and its schema matches no revision; the closest is ${baseLabel} (${location.distance} object(s) differ).`,
      fix: `Resolve the drift above, then \`dbdoctor stamp ${idAt(base) ?? 'base'}\`.`,
    });
  } else if (location.nearest !== atRecorded) {
    verdict.findings.push({
      code: 'NEAREST_REVISION',
      severity: 'info',
      message: `The closest revision to the live schema is ${verdict.nearest ?? 'base'} (${location.distance} object(s) differ), not the recorded ${recorded ?? 'base'}.`,
    });
  }
  return verdict;
}
