import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from '../dialects/dialect.js';
import { openConnection } from '../dialects/open.js';
import { DbDoctorError } from '../errors.js';
import {
  DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
  type EngineOptions,
  historyTableName,
  usingSession,
  withLock,
} from '../migrations/engine.js';
import { compareIds, type MigrationFile } from '../migrations/files.js';
import type { HistoryRow } from '../migrations/history.js';
import { compareFilesWithHistory, replayOrder } from '../migrations/plan.js';
import { stamp } from '../migrations/stamp.js';
import type { SchemaChange } from '../schema/diff.js';
import { fingerprint } from '../schema/fingerprint.js';
import { healthFindings } from './checks/health.js';
import { historyFindings } from './checks/history.js';
import { lockFindings } from './checks/lock.js';
import { schemaVerdict } from './checks/schema.js';
import { type ExpectedSchemas, expectedSchemas, oneLine } from './expected.js';
import { type Finding, sortFindings } from './findings.js';
import { notTheUsers } from './ignore.js';

/** Options of {@link doctor}. */
export interface DoctorOptions extends EngineOptions {
  /** Repair what can be repaired without touching user data (stamps, stale locks). */
  fix?: boolean;
  /** PostgreSQL schema holding the application's tables. Default `public`. */
  schema?: string;
  /**
   * Where expected-schema fingerprints are cached; false disables the cache. Default: a
   * folder for this project in the user's cache folder ({@link defaultCacheDir}), never
   * inside the project.
   */
  cacheDir?: string | false;
  /**
   * A database URL on a server of its own for the scratch database (`--scratch-url`, like
   * Prisma's shadow database): the replay may then run statements that change the whole
   * cluster (roles, tablespaces, databases). Without it they are skipped on the live server.
   */
  scratchUrl?: string;
  /** Tables that are not the project's (names or globs, `*` and `?`): never drift. */
  ignore?: string[];
  /**
   * Examine the database as though these migrations were also recorded as applied (stamped):
   * `adopt` checks its plan this way before it records anything.
   */
  assumeApplied?: readonly string[];
  /**
   * With `fix`: the revision to stamp when several match the live schema alike (one of
   * `stampable`). Without it, `fix` stamps the earliest of them.
   */
  to?: string;
}

/** A repair `doctor --fix` made. */
export interface DoctorFix {
  code: string;
  /** What was done, in words. */
  action: string;
}

/** The result of {@link doctor}: the `doctor --json` contract. */
export interface DoctorResult {
  /** False while an error-level finding remains. */
  ok: boolean;
  dialect: string;
  database: string;
  /** The recorded revision (highest applied id), or null. */
  revision: string | null;
  /** The latest revision whose expected schema equals the live one, or null. */
  matches: string | null;
  /**
   * The earliest and latest revision whose expected schema equals the live one, or null;
   * `from` differs from `to` when the schema cannot tell them apart (AMBIGUOUS_REVISION).
   */
  matchesRange: { from: string; to: string } | null;
  /** When nothing matches: the closest revision, or null. */
  nearest: string | null;
  /**
   * Whether the live schema is the one the migrations make at the recorded revision (true with
   * no history and an empty schema); null when it could not be judged (the replay failed
   * before it, or no scratch database).
   */
  recordedMatches: boolean | null;
  /** Fingerprint of the live schema. */
  fingerprint: string;
  findings: Finding[];
  /** Differences between the expected and the live schema, structured. */
  drift: SchemaChange[];
  /** Repairs made by `fix` (empty without it). */
  fixed: DoctorFix[];
  /** True when the expected schemas came from the cache (nothing replayed). */
  cached: boolean;
}

/**
 * The user's cache folder for dbdoctor: `$DBDOCTOR_CACHE_DIR`, else the operating system's
 * (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%`
 * on Windows); null when there is no home to put it in.
 */
function userCacheRoot(): string | null {
  const env = process.env;
  if (env.DBDOCTOR_CACHE_DIR) return path.resolve(env.DBDOCTOR_CACHE_DIR);
  let home: string;
  try {
    home = os.homedir();
  } catch {
    return null;
  }
  if (process.platform === 'win32')
    return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'dbdoctor', 'Cache');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'dbdoctor');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'dbdoctor');
}

/**
 * Where the expected schemas of a project are cached: in the user's cache folder, one folder
 * per migrations folder (its name and a hash of its path), never inside the project, so a
 * read-only doctor writes nothing there. False (no cache) when the user has no cache folder.
 */
export function defaultCacheDir(options: Pick<EngineOptions, 'cwd' | 'dir'>): string | false {
  const root = userCacheRoot();
  if (root === null) return false;
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  const label = path.basename(path.dirname(dir)).replace(/[^A-Za-z0-9._-]/g, '_') || 'project';
  return path.join(root, `${label}-${key}`);
}

type Examination = DoctorResult & { stampTo: string | null; stampable: string[]; staleLock: boolean };

/** Findings that only `resolve` may settle: `--fix` stamps nothing while one remains. */
const RESOLVE_FIRST = new Set(['PARTIALLY_APPLIED', 'PARTIALLY_REVERTED', 'INVALID_INDEX']);

/** Opens the scratch server of `--scratch-url`, which must speak the live database's dialect. */
async function openScratchServer(options: DoctorOptions, dialect: string): Promise<Connection | undefined> {
  if (options.scratchUrl === undefined) return undefined;
  const server = await openConnection(options.scratchUrl, { cwd: options.cwd });
  if (server.dialect.name !== dialect) {
    await server.close();
    throw new DbDoctorError(
      'BAD_USAGE',
      `--scratch-url names a ${server.dialect.name} database, but the database is ${dialect}.`,
      {
        unchanged: 'Nothing was read or written.',
        hint: 'Give a URL of a server of the same kind (e.g. postgres://user@scratch-host/postgres), where the user may create databases.',
      },
    );
  }
  return server;
}

/** Findings about the replay itself: skipped statements, a migration that failed, leftovers removed. */
function replayFindings(expected: ExpectedSchemas, pendingIds: ReadonlySet<string>): Finding[] {
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
      message: `Dropped ${name}, a scratch database left by a doctor that was killed before it could drop it.`,
    });
  }
  return findings;
}

/** History rows for `ids` not recorded yet, as a stamp would write them (see DoctorOptions.assumeApplied). */
function assumedRows(
  files: readonly MigrationFile[],
  recorded: readonly HistoryRow[],
  ids: readonly string[],
): HistoryRow[] {
  const have = new Set(recorded.map((r) => r.id));
  let seq = Math.max(0, ...recorded.map((r) => r.seq));
  const out: HistoryRow[] = [];
  for (const id of ids) {
    const file = files.find((f) => f.id === id);
    if (!file || have.has(id)) continue;
    have.add(id);
    out.push({
      id,
      name: file.name,
      checksum: file.checksum,
      status: 'stamped',
      appliedAt: new Date(0).toISOString(),
      executionMs: 0,
      seq: ++seq,
      statementsDone: 0,
      statementsTotal: 0,
      error: null,
    });
  }
  return out;
}

/** One read-only examination of the database against its migrations. */
async function examine(options: DoctorOptions): Promise<Examination> {
  const historyTable = historyTableName(options.historyTable);
  return usingSession(
    options,
    async (session) => {
      const { conn } = session;
      const recorded = (await session.history.read()) ?? [];
      const rows = [...recorded, ...assumedRows(session.files, recorded, options.assumeApplied ?? [])];
      const state = compareFilesWithHistory(session.files, rows);
      // Repeatables that ran before pending versioned migrations are replayed where they ran.
      const { files, recordedAt: reordered } = replayOrder(session.files, rows);
      const findings: Finding[] = historyFindings(state);
      const lock = await lockFindings(session.lock);
      findings.push(...lock);

      const exclude = await notTheUsers(
        conn,
        historyTable,
        session.history.schema ?? '',
        options.ignore ?? [],
      );
      const live = await conn.dialect.introspect(conn, { schema: options.schema, exclude });
      let verdict: ReturnType<typeof schemaVerdict> | null = null;
      let cached = false;
      const scratchServer = await openScratchServer(options, conn.dialect.name);
      try {
        const expected = await expectedSchemas({
          conn,
          files,
          historyTable,
          exclude,
          scratchServer,
          schema: options.schema,
          cacheDir: options.cacheDir === undefined ? defaultCacheDir(options) : options.cacheDir,
          statementLockTimeoutMs: options.statementLockTimeoutMs ?? DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
          onEvent: options.onEvent,
        });
        cached = expected.fromCache;
        const pendingIds = new Set(state.pending.map((f) => f.id));
        findings.push(...replayFindings(expected, pendingIds));
        // The recorded revision must be among those replayed for the live schema to be judged.
        let recordedAt = -1;
        for (const [i, f] of files.entries())
          if (state.current !== null && compareIds(f.id, state.current) <= 0) recordedAt = i;
        if (reordered !== null) recordedAt = reordered;
        if (expected.failure === null || expected.failure.index > recordedAt) {
          verdict = schemaVerdict(expected, live, state.current, rows.length > 0, reordered ?? undefined);
          findings.push(...verdict.findings);
          // Revisions after a failed replay are unknown: one of them could match as well.
          if (expected.failure) verdict.stampTo = verdict.matches === state.current ? null : verdict.stampTo;
        }
      } catch (e) {
        const err = e as { code?: string; message: string; hint?: string };
        if (err.code !== 'SCRATCH_UNAVAILABLE') throw e;
        findings.push({ code: err.code, severity: 'error', message: err.message, fix: err.hint });
      } finally {
        await scratchServer?.close();
      }
      findings.push(...(await healthFindings({ conn, schema: options.schema })));
      const sorted = sortFindings(findings);
      return {
        ok: !sorted.some((f) => f.severity === 'error'),
        dialect: conn.dialect.name,
        database: conn.display,
        revision: state.current,
        matches: verdict?.matches ?? null,
        matchesRange: verdict?.matchesRange ?? null,
        nearest: verdict?.nearest ?? null,
        recordedMatches: verdict?.recordedMatches ?? null,
        // The verdict already hashed the live schema; hash it here only when no verdict exists.
        fingerprint: verdict?.fingerprint ?? fingerprint(live),
        findings: sorted,
        drift: verdict?.drift ?? [],
        fixed: [],
        cached,
        stampTo: verdict?.stampTo ?? null,
        stampable: verdict?.stampable ?? [],
        staleLock: lock.some((f) => f.code === 'LOCK_STALE'),
      };
    },
    { mustExist: true },
  );
}

/**
 * The revision `--fix` stamps: `--to` when given (it must be one the live schema matches),
 * else the verdict's (the earliest that matches). Null when nothing is to be stamped.
 */
function stampTarget(options: DoctorOptions, exam: Examination): string | null {
  if (options.to === undefined) return exam.stampTo;
  if (!exam.stampable.includes(options.to)) {
    throw new DbDoctorError(
      'BAD_USAGE',
      `--to ${options.to}: the schema does not match revision ${options.to}${exam.stampable.length ? ` (it matches ${exam.stampable.join(', ')})` : ' (it matches no revision)'}.`,
      {
        unchanged: 'Nothing was stamped.',
        hint: 'Give one of the revisions the schema matches, or leave --to out to stamp the earliest of them.',
      },
    );
  }
  return exam.revision === options.to ? null : options.to;
}

/** Why `--fix` stamped the earliest of several revisions the schema matches alike. */
function whyThisStamp(stampTo: string, exam: Examination): string {
  if (exam.stampable.length < 2) return '';
  const later = exam.stampable.filter((id) => compareIds(id, stampTo) > 0);
  if (later.length === 0) return '';
  return ` The schema matches ${exam.stampable.join(', ')} alike, so whether ${later.join(', ')} ran cannot be seen: ${stampTo} is the latest revision it proves; \`apply\` runs the rest (or \`doctor --fix --to <id>\` if you know they ran).`;
}

/**
 * Health checks for a database against its migrations: which revision the live schema really
 * matches, drift table by table, history problems, locks and the dialect's own checks. With
 * `fix`, stamps the history to the revision the schema matches and clears stale locks; it
 * never drops or alters user tables. Read-only without `fix`.
 */
export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const first = await examine(options);
  const { stampTo: _proposed, stampable: _all, staleLock, ...result } = first;
  if (!options.fix) return result;

  const fixed: DoctorFix[] = [];
  let stampTo = stampTarget(options, first);
  const blockers = result.findings.filter((f) => RESOLVE_FIRST.has(f.code));
  if (stampTo !== null && blockers.length > 0) {
    // A half-done migration or index is settled by `resolve`, which knows what it leaves:
    // a stamp over it would record as done what may be half there.
    result.findings.push({
      code: 'FIX_REFUSED',
      severity: 'warning',
      message: `--fix did not stamp ${stampTo}: ${blockers.map((b) => `${b.code}${b.id ? ` ${b.id}` : ''}`).join(', ')} must be settled first.`,
      fix: 'dbdoctor resolve <id> --applied | --rolled-back (for an INVALID index: drop it or rebuild it), then dbdoctor doctor --fix',
    });
    stampTo = null;
  }
  if (stampTo !== null) {
    const stamped = await stamp({ ...options, target: stampTo });
    fixed.push({
      code: result.findings.find((f) => f.code === 'NO_HISTORY') ? 'NO_HISTORY' : 'REVISION_MISMATCH',
      action: `Stamped the history at ${stampTo} (was ${stamped.before ?? 'none'}): recorded ${stamped.added.join(', ') || 'nothing'}${stamped.removed.length ? `, forgot ${stamped.removed.join(', ')}` : ''}, without running anything.${whyThisStamp(stampTo, first)}`,
    });
  }
  if (staleLock && stampTo !== null) {
    fixed.push({
      code: 'LOCK_STALE',
      action: 'Took over and removed the migration lock left by a process that is gone.',
    });
  } else if (staleLock) {
    // Acquiring takes a dead owner's lock over; releasing it leaves no lock row behind.
    await usingSession(options, (session) => withLock(session.lock, options, async () => {}), {
      mustExist: true,
    });
    fixed.push({ code: 'LOCK_STALE', action: 'Removed the migration lock left by a process that is gone.' });
  }
  if (fixed.length === 0) return result;
  const after = await examine({ ...options, fix: false });
  const { stampTo: _s, stampable: _a, staleLock: _l, ...final } = after;
  return { ...final, fixed };
}
