import path from 'node:path';
import {
  DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
  type EngineOptions,
  historyTableName,
  usingSession,
  withLock,
} from '../migrations/engine.js';
import { compareFilesWithHistory } from '../migrations/plan.js';
import { stamp } from '../migrations/stamp.js';
import type { SchemaChange } from '../schema/diff.js';
import { fingerprint } from '../schema/fingerprint.js';
import { healthFindings } from './checks/health.js';
import { historyFindings } from './checks/history.js';
import { lockFindings } from './checks/lock.js';
import { schemaVerdict } from './checks/schema.js';
import { expectedSchemas } from './expected.js';
import { type Finding, sortFindings } from './findings.js';

/** Options of {@link doctor}. */
export interface DoctorOptions extends EngineOptions {
  /** Repair what can be repaired without touching user data (stamps, stale locks). */
  fix?: boolean;
  /** PostgreSQL schema holding the application's tables. Default `public`. */
  schema?: string;
  /**
   * Where expected-schema fingerprints are cached; false disables the cache. Default
   * `.dbdoctor-cache` beside the migrations folder.
   */
  cacheDir?: string | false;
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
  /** When nothing matches: the closest revision, or null. */
  nearest: string | null;
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

function defaultCacheDir(options: EngineOptions): string {
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  return path.join(path.dirname(dir), '.dbdoctor-cache');
}

/** One read-only examination of the database against its migrations. */
async function examine(
  options: DoctorOptions,
): Promise<DoctorResult & { stampTo: string | null; staleLock: boolean }> {
  const historyTable = historyTableName(options.historyTable);
  return usingSession(
    options,
    async (session) => {
      const { conn, files } = session;
      const rows = await session.history.read();
      const state = compareFilesWithHistory(files, rows ?? []);
      const findings: Finding[] = historyFindings(state);
      const lock = await lockFindings(session.lock);
      findings.push(...lock);

      const live = await conn.dialect.introspect(conn, {
        schema: options.schema,
        exclude: [historyTable, `${historyTable}_lock`],
      });
      let verdict: ReturnType<typeof schemaVerdict> | null = null;
      let cached = false;
      try {
        const expected = await expectedSchemas({
          conn,
          files,
          historyTable,
          schema: options.schema,
          cacheDir: options.cacheDir === undefined ? defaultCacheDir(options) : options.cacheDir,
          statementLockTimeoutMs: options.statementLockTimeoutMs ?? DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
          onEvent: options.onEvent,
        });
        cached = expected.fromCache;
        verdict = schemaVerdict(expected, live, state.current, (rows ?? []).length > 0);
        findings.push(...verdict.findings);
      } catch (e) {
        const err = e as { code?: string; message: string; hint?: string };
        if (err.code !== 'REPLAY_FAILED' && err.code !== 'SCRATCH_UNAVAILABLE') throw e;
        findings.push({ code: err.code, severity: 'error', message: err.message, fix: err.hint });
      }
      findings.push(...(await healthFindings(conn, options.schema)));
      const sorted = sortFindings(findings);
      return {
        ok: !sorted.some((f) => f.severity === 'error'),
        dialect: conn.dialect.name,
        database: conn.display,
        revision: state.current,
        matches: verdict?.matches ?? null,
        nearest: verdict?.nearest ?? null,
        // The verdict already hashed the live schema; hash it here only when no verdict exists.
        fingerprint: verdict?.fingerprint ?? fingerprint(live),
        findings: sorted,
        drift: verdict?.drift ?? [],
        fixed: [],
        cached,
        stampTo: verdict?.stampTo ?? null,
        staleLock: lock.some((f) => f.code === 'LOCK_STALE'),
      };
    },
    { mustExist: true },
  );
}

/**
 * Health checks for a database against its migrations: which revision the live schema really
 * matches, drift table by table, history problems, locks and the dialect's own checks. With
 * `fix`, stamps the history to the revision the schema matches and clears stale locks; it
 * never drops or alters user tables. Read-only without `fix`.
 */
export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const first = await examine(options);
  const { stampTo, staleLock, ...result } = first;
  if (!options.fix) return result;

  const fixed: DoctorFix[] = [];
  if (stampTo !== null) {
    const stamped = await stamp({ ...options, target: stampTo });
    fixed.push({
      code: result.findings.find((f) => f.code === 'NO_HISTORY') ? 'NO_HISTORY' : 'REVISION_MISMATCH',
      action: `Stamped the history at ${stampTo} (was ${stamped.before ?? 'none'}): recorded ${stamped.added.join(', ') || 'nothing'}${stamped.removed.length ? `, forgot ${stamped.removed.join(', ')}` : ''}, without running anything.`,
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
  const { stampTo: _s, staleLock: _l, ...final } = after;
  return { ...final, fixed };
}
