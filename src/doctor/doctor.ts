import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Connection, Dialect } from '../dialects/dialect.js';
import { openConnection } from '../dialects/open.js';
import { DbDoctorError } from '../errors.js';
import {
  DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
  type EngineOptions,
  type EngineSession,
  historyTableName,
  lockHolderIfUnsettled,
  usingSession,
} from '../migrations/engine.js';
import { compareIds, type MigrationFile } from '../migrations/files.js';
import type { HistoryRow } from '../migrations/history.js';
import { compareFilesWithHistory, type MigrationState, replayOrder } from '../migrations/plan.js';
import type { SchemaChange } from '../schema/diff.js';
import { fingerprint } from '../schema/fingerprint.js';
import type { DoctorCheck, DoctorFix } from './check.js';
import { historyCheck } from './checks/history.js';
import { lockCheck } from './checks/lock.js';
import { type SchemaVerdict, schemaCheck, schemaVerdict } from './checks/schema.js';
import { schemaTargetCheck } from './checks/schema-target.js';
import type { DoctorContext, SchemaComparison } from './context.js';
import { expectedSchemas } from './expected.js';
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

export type { DoctorFix } from './check.js';

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
  /**
   * How the replay was kept inside its scratch database on the live server, in words, where the
   * dialect has more than one way (MySQL: by the server, as a throwaway account, or by a check of
   * each statement's tokens); null otherwise.
   */
  confinement: string | null;
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

/** One examination: the report, and what `--fix` hands each check. */
interface Examination {
  result: DoctorResult;
  checks: readonly DoctorCheck<DoctorContext>[];
  context: DoctorContext;
  /** Each check's findings, by its index in `checks`. */
  byCheck: Finding[][];
}

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

/**
 * Introspects the live schema, replays the migrations (files in replay order) on a scratch
 * database and judges the one against the other. Read-only on the live database.
 */
async function compareSchemas(
  session: EngineSession,
  options: DoctorOptions,
  state: MigrationState,
  files: MigrationFile[],
  reordered: number | null,
  hasHistory: boolean,
): Promise<SchemaComparison> {
  const { conn } = session;
  const historyTable = historyTableName(options.historyTable);
  const exclude = await notTheUsers(conn, historyTable, session.history.schema ?? '', options.ignore ?? []);
  const live = await conn.dialect.introspect(conn, { schema: options.schema, exclude });
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
    // The recorded revision must be among those replayed for the live schema to be judged.
    let recordedAt = -1;
    for (const [i, f] of files.entries())
      if (state.current !== null && compareIds(f.id, state.current) <= 0) recordedAt = i;
    if (reordered !== null) recordedAt = reordered;
    let verdict: SchemaVerdict | null = null;
    if (expected.failure === null || expected.failure.index > recordedAt) {
      verdict = schemaVerdict(expected, live, state.current, hasHistory, reordered ?? undefined);
      // Revisions after a failed replay are unknown: one of them could match as well.
      if (expected.failure) verdict.stampTo = verdict.matches === state.current ? null : verdict.stampTo;
    }
    return { live, expected, unavailable: null, verdict };
  } catch (e) {
    const err = e as { code?: string; message: string; hint?: string };
    if (err.code !== 'SCRATCH_UNAVAILABLE') throw e;
    return {
      live,
      expected: null,
      unavailable: { code: err.code, severity: 'error', message: err.message, fix: err.hint },
      verdict: null,
    };
  } finally {
    await scratchServer?.close();
  }
}

/**
 * The checks, in the order they run and fix: the doctor's own (the files against the history,
 * the lock, where unqualified names land, the live schema against the migrations), then the
 * dialect's.
 */
function doctorChecks(dialect: Dialect): readonly DoctorCheck<DoctorContext>[] {
  return [historyCheck, lockCheck, schemaTargetCheck, schemaCheck, ...dialect.healthChecks];
}

/** One read-only examination of the database against its migrations. */
async function examine(options: DoctorOptions): Promise<Examination> {
  return usingSession(
    options,
    async (session) => {
      const { conn } = session;
      const recorded = (await session.history.read()) ?? [];
      const rows = [...recorded, ...assumedRows(session.files, recorded, options.assumeApplied ?? [])];
      // Read without the lock: a migration a live runner is at now is in progress, not stopped.
      const state = compareFilesWithHistory(
        session.files,
        rows,
        await lockHolderIfUnsettled(session.lock, rows),
      );
      // Repeatables that ran before pending versioned migrations are replayed where they ran.
      const { files, recordedAt: reordered } = replayOrder(session.files, rows);
      const hasHistory = rows.length > 0;
      let compared: Promise<SchemaComparison> | undefined;
      const context: DoctorContext = {
        conn,
        schema: options.schema,
        options,
        session,
        state,
        hasHistory,
        comparison: () => {
          compared ??= compareSchemas(session, options, state, files, reordered, hasHistory);
          return compared;
        },
      };
      const checks = doctorChecks(conn.dialect);
      const byCheck: Finding[][] = [];
      for (const check of checks) byCheck.push(await check.run(context));
      const sorted = sortFindings(byCheck.flat());
      const { live, expected, verdict } = await context.comparison();
      const result: DoctorResult = {
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
        cached: expected?.fromCache ?? false,
        confinement: expected?.confinement ?? null,
      };
      return { result, checks, context, byCheck };
    },
    { mustExist: true },
  );
}

/**
 * Health checks for a database against its migrations: which revision the live schema really
 * matches, drift table by table, history problems, locks and the dialect's own checks. With
 * `fix`, each check repairs what it can without touching user data (the history is stamped at
 * the revision the schema matches, a stale lock is cleared), then the database is examined
 * again; it never drops or alters user tables. Read-only without `fix`.
 */
export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const first = await examine(options);
  if (!options.fix) return first.result;

  const fixed: DoctorFix[] = [];
  const refused: Finding[] = [];
  await usingSession(
    options,
    async (session) => {
      for (const [i, check] of first.checks.entries()) {
        if (!check.fix) continue;
        const context = {
          ...first.context,
          conn: session.conn,
          session,
          findings: first.result.findings,
          fixed: [...fixed],
        };
        const outcome = await check.fix(context, first.byCheck[i]);
        fixed.push(...outcome.fixed);
        refused.push(...outcome.refused);
      }
    },
    { mustExist: true },
  );
  if (fixed.length === 0) return { ...first.result, findings: [...first.result.findings, ...refused] };
  const after = await examine({ ...options, fix: false });
  return { ...after.result, fixed };
}
