import { compareIds } from '../../migrations/files.js';
import { diff, type SchemaChange } from '../../schema/diff.js';
import { fingerprintOfHashes, objectHashes } from '../../schema/fingerprint.js';
import { adoptFrozenTimes } from '../../schema/frozen.js';
import type { Schema } from '../../schema/model.js';
import type { DoctorCheck } from '../check.js';
import type { DoctorContext } from '../context.js';
import { type ExpectedSchemas, oneLine } from '../expected.js';
import type { Finding } from '../findings.js';
import { locateRevision } from '../locate.js';

/** What the schema check concluded. */
export interface SchemaVerdict {
  findings: Finding[];
  /** The latest revision whose expected schema equals the live one, or null. */
  matches: string | null;
  /**
   * The earliest and latest revision whose expected schema equals the live one (equal ids when
   * only one does), or null: the schema cannot tell which of them the database is at.
   */
  matchesRange: { from: string; to: string } | null;
  /** When nothing matches: the closest revision (null = the empty base). */
  nearest: string | null;
  /** The differences between the expected schema at the compared revision and the live one. */
  drift: SchemaChange[];
  /**
   * The revision `doctor --fix` may stamp: the earliest whose expected schema equals the live
   * one, never past a migration whose effect the schema cannot show. Null when none matches.
   */
  stampTo: string | null;
  /** Every revision `doctor --fix --to` may stamp (those the live schema equals), in file order. */
  stampable: string[];
  /** Fingerprint of the live schema. */
  fingerprint: string;
  /** Whether the live schema is the one expected at the recorded revision. */
  recordedMatches: boolean;
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
 * The live schema without the extensions no migration creates: an extension a DBA installed
 * (pg_stat_statements) is the server's, not the project's. One a migration creates is compared,
 * so a database that lacks it is drift.
 */
function withoutUnmigratedExtensions(live: Schema, expected: ExpectedSchemas): Schema {
  const keys = Object.keys(live.objects ?? {}).filter((k) => k.startsWith('extension:'));
  if (keys.length === 0) return live;
  const migrated = new Set<string>();
  for (let i = 0; i < expected.revisions.length; i++)
    for (const k of Object.keys(expected.hashesAt(i))) if (k.startsWith('extension:')) migrated.add(k);
  const objects = { ...live.objects };
  for (const k of keys) if (!migrated.has(k)) delete objects[k];
  return { ...live, objects };
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
  /** The recorded revision's index when the caller knows it (a reordered replay), else from `recorded`. */
  recordedAt?: number,
): SchemaVerdict {
  // A time the migrations froze at creation ('now'::date) is compared as written, not as the moment.
  const live = withoutUnmigratedExtensions(
    adoptFrozenTimes(introspected, expected.frozenExpressions()),
    expected,
  );
  const liveHashes = objectHashes(live);
  const liveFingerprint = fingerprintOfHashes(live.dialect, liveHashes);
  const atRecorded = recordedAt ?? recordedIndex(expected, recorded);
  const location = locateRevision(expected, liveFingerprint, live, liveHashes, atRecorded);
  const idAt = (i: number) => (i >= 0 ? expected.revisions[i].id : null);
  const matches = idAt(location.matches);
  const { candidates } = location;
  const from = idAt(candidates[0] ?? -1);
  const verdict: SchemaVerdict = {
    findings: [],
    matches,
    matchesRange: from !== null && matches !== null ? { from, to: matches } : null,
    nearest: null,
    drift: [],
    stampTo: null,
    stampable: candidates.map((i) => expected.revisions[i].id),
    fingerprint: liveFingerprint,
    recordedMatches: false,
  };
  const ambiguity = candidates.length > 1 ? ambiguityReasons(expected, candidates) : null;
  const expectedFingerprint =
    atRecorded >= 0 ? expected.revisions[atRecorded].fingerprint : fingerprintOfHashes(live.dialect, {});
  if (liveFingerprint === expectedFingerprint) {
    verdict.recordedMatches = true;
    if (ambiguity && candidates.includes(atRecorded)) {
      verdict.findings.push({
        code: 'AMBIGUOUS_REVISION',
        severity: 'info',
        message: `The schema matches ${from}..${matches} alike (the recorded ${recorded} among them): ${ambiguity}.`,
      });
    }
    return verdict;
  }

  if (matches !== null && from !== null) {
    // Stamping past a migration whose effect the schema cannot show would record as done a
    // change that may never have happened (an INSERT, a backfill): the earliest is the one
    // revision the schema proves, and `apply` then runs the rest.
    verdict.stampTo = from;
    const range = from === matches ? matches : `${from}..${matches}`;
    if (!hasHistory) {
      verdict.findings.push({
        code: 'NO_HISTORY',
        severity: 'error',
        message: `The database has tables but no migration history; its schema matches revision ${range} exactly.`,
        fix: `dbdoctor stamp ${from}`,
        id: from,
      });
    } else {
      const why =
        compareIds(from, recorded ?? '') > 0
          ? `the changes of the migrations after ${recorded ?? 'base'} are already in the database but were never recorded`
          : `the history records migrations after ${from} whose changes are not in the database`;
      verdict.findings.push({
        code: 'REVISION_MISMATCH',
        severity: 'error',
        message: `The history says revision ${recorded ?? 'base (nothing fully applied)'}, but the schema matches revision ${range} exactly: ${why}.`,
        fix: `dbdoctor stamp ${from}`,
        id: from,
      });
    }
    if (ambiguity) {
      verdict.findings.push({
        code: 'AMBIGUOUS_REVISION',
        severity: 'warning',
        message: `The schema cannot tell ${from}..${matches} apart: ${ambiguity}. \`doctor --fix\` stamps the earliest, ${from}, so that \`apply\` runs the others.`,
        fix: `If you know the database is at a later one of them: dbdoctor doctor --fix --to <id> (one of ${verdict.stampable.join(', ')})`,
        id: from,
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
      message: `${table ? `Table ${table} differs` : untabledHeading(changes.changes)} from the migrations at ${baseLabel}: ${messages.join(' ')}`,
      fix: DRIFT_FIX,
      ...(table ? { table } : {}),
    });
  }
  if (!hasHistory) {
    const nearestId = idAt(base);
    verdict.findings.push({
      code: 'NO_HISTORY',
      severity: 'error',
      message:
        nearestId === null
          ? `The database has tables but no migration history, and no revision comes closer to its schema than an empty database (${location.distance} object(s) and properties differ): these tables were not made by these migrations.`
          : `The database has tables but no migration history, and its schema matches no revision; the closest is ${nearestId} (${location.distance} object(s) and properties differ).`,
      // Stamping base would record that a database full of tables has no schema at all.
      fix:
        nearestId === null
          ? 'Check that --url names the right database and --dir its migrations. If another tool migrated it, `dbdoctor adopt` takes over its history; if the tables were made by hand (or that tool keeps no history), `dbdoctor pull --baseline` writes them as the first migration and stamps the database at it (on an empty migrations folder).'
          : `Resolve the drift above, then \`dbdoctor stamp ${nearestId}\`; if another tool migrated the database, \`dbdoctor adopt\` takes over its history instead.`,
    });
  } else if (location.nearest !== atRecorded) {
    verdict.findings.push({
      code: 'NEAREST_REVISION',
      severity: 'info',
      message: `The closest revision to the live schema is ${verdict.nearest ?? 'base'} (${location.distance} object(s) and properties differ), not the recorded ${recorded ?? 'base'}.`,
    });
  }
  return verdict;
}

/**
 * Why revisions with one expected schema cannot be told apart, migration by migration after
 * the first of them: one that changes nothing the doctor compares (data only: INSERT, UPDATE;
 * a function replaced by the same body; or only what the "not compared" list names, such as
 * grants and comments), or one whose
 * changes the migrations around it undo.
 */
function ambiguityReasons(expected: ExpectedSchemas, candidates: number[]): string {
  const first = candidates[0];
  const last = candidates[candidates.length - 1];
  const reasons: string[] = [];
  for (let i = first + 1; i <= last; i++) {
    const r = expected.revisions[i];
    if (Object.keys(r.changed).length === 0) {
      reasons.push(
        `${r.id} changes no schema the doctor compares (data only, or only what it does not compare: grants, comments, ownership, ...)`,
      );
    } else if (!candidates.includes(i)) {
      reasons.push(`${r.id} changes the schema and a later migration undoes it`);
    } else {
      reasons.push(`${r.id} undoes the schema changes before it`);
    }
  }
  return reasons.join('; ');
}

/** Findings about the replay itself: skipped statements, a migration that failed, leftovers removed. Pure. */
export function replayFindings(expected: ExpectedSchemas, pendingIds: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const s of expected.skipped) {
    findings.push({
      code: 'REPLAY_SKIPPED_STATEMENT',
      severity: 'info',
      message: `Not replayed from migration ${s.id}: \`${oneLine(s.statement)}\` (${s.reason}; the replay runs on the live server and must not change it). Roles, tablespaces and databases are not compared.`,
      fix: 'To replay it too, give the doctor a server of its own: --scratch-url (or `scratchUrl` in the config).',
      id: s.id,
    });
  }
  const f = expected.failure;
  if (f) {
    findings.push({
      code: 'REPLAY_FAILED',
      // A pending migration that cannot be replayed says nothing about the live schema, which
      // was compared with the revisions before it; an applied one leaves it unverifiable.
      severity: pendingIds.has(f.id) ? 'warning' : 'error',
      message: pendingIds.has(f.id)
        ? `${f.message} (it is not applied yet; the database was compared with the revisions before it).`
        : f.message,
      fix: f.hint,
      id: f.id,
    });
  }
  for (const name of expected.removedLeftovers) {
    findings.push({
      code: 'SCRATCH_LEFTOVER_REMOVED',
      severity: 'info',
      message: `Dropped ${name}, left by a doctor that was killed before it could drop it.`,
    });
  }
  return findings;
}

/**
 * The live schema against the schemas the migrations make: the replay's own findings, then the
 * verdict's (drift, the revision it really matches), or why there was nothing to compare with.
 * Its repair, a stamp, is the history check's: it writes the history.
 */
export const schemaCheck: DoctorCheck<DoctorContext> = {
  code: 'SCHEMA',
  async run(context) {
    const { expected, verdict, unavailable } = await context.comparison();
    const findings: Finding[] = [];
    if (expected) findings.push(...replayFindings(expected, new Set(context.state.pending.map((f) => f.id))));
    if (verdict) findings.push(...verdict.findings);
    if (unavailable) findings.push(unavailable);
    const running = context.state.problems.find((p) => p.code === 'MIGRATION_IN_PROGRESS');
    return running ? findings.map((f) => provisional(f, running.id)) : findings;
  },
};

/**
 * A finding about a schema a runner is changing right now (migration `id` is in progress): it
 * is between revisions, so what differs is no fault yet; said as a warning, to be judged again.
 */
function provisional(finding: Finding, id: string): Finding {
  if (finding.severity !== 'error') return finding;
  return {
    ...finding,
    severity: 'warning',
    message: `${finding.message} (Migration ${id} is being run right now, so the schema is between revisions: run the doctor again once it is done.)`,
  };
}

/**
 * The heading of the drift no table holds, naming what it is about (enum types, views, and
 * the kinds of other objects: functions, procedures, events, sequences …), never a fixed
 * "types and views" where it is about routines.
 */
function untabledHeading(changes: readonly SchemaChange[]): string {
  const words: string[] = [];
  const add = (w: string) => {
    if (!words.includes(w)) words.push(w);
  };
  for (const c of changes) {
    if (c.table !== null) continue;
    if (c.kind.startsWith('enum')) add('enum types');
    else if (c.kind.startsWith('view')) add('views');
    else {
      const kind = ((c.a ?? c.b) as { kind?: unknown } | undefined)?.kind;
      add(typeof kind === 'string' && kind.length > 0 ? `${kind}s` : 'other objects');
    }
  }
  const list = words.length === 0 ? ['objects'] : words;
  const text = list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} differ`;
}
