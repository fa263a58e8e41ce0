import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { parseDuration } from '../config/duration.js';
import { type SessionDatabaseInput, withSessionDatabase } from './database.js';
import { missingTables } from './sql-backend.js';
import type { Ttl } from './types.js';
import { checkKey } from './validate.js';

/** Options of {@link openLoginThrottle}. */
export interface ThrottleOptions {
  /** Failures within `window` that lock the key. Default 5. */
  maxFailures?: number;
  /** The window failures are counted in. Default 15 minutes. */
  window?: Ttl;
  /** How long a key stays locked. Default 15 minutes. */
  lockFor?: Ttl;
  clock?: () => number;
  cwd?: string;
}

/** Where a key stands. */
export interface ThrottleState {
  allowed: boolean;
  failures: number;
  /** Epoch ms until which the key is locked, or null. */
  lockedUntil: number | null;
  /** Milliseconds until it may try again (0 when allowed). */
  retryAfterMs: number;
}

/** A login throttle whose counts live in the database, so every worker shares them (report 003). */
export interface LoginThrottle {
  /** Records one failure, atomically, and returns the state after it. */
  hit(key: string): Promise<ThrottleState>;
  /** The state without changing it. */
  check(key: string): Promise<ThrottleState>;
  /** Forgets the key (after a successful login). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

// One statement per hit: the upsert decides "new window or one more failure" and "lock now"
// under the row's write lock, so concurrent hits from many processes are all counted.
const HIT_SQL = (p: (n: number) => string) => `
INSERT INTO dbdoctor_login_attempts AS a (key, failures, window_start, locked_until)
VALUES (${p(1)}, 1, ${p(2)}, CASE WHEN 1 >= ${p(4)} THEN ${p(2)} + ${p(5)} ELSE NULL END)
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN a.window_start <= ${p(2)} - ${p(3)} THEN 1 ELSE a.failures + 1 END,
  window_start = CASE WHEN a.window_start <= ${p(2)} - ${p(3)} THEN ${p(2)} ELSE a.window_start END,
  locked_until = CASE
    WHEN (CASE WHEN a.window_start <= ${p(2)} - ${p(3)} THEN 1 ELSE a.failures + 1 END) >= ${p(4)}
      AND (a.locked_until IS NULL OR a.locked_until <= ${p(2)}) THEN ${p(2)} + ${p(5)}
    ELSE a.locked_until END
RETURNING failures, window_start, locked_until`;

interface Counts {
  failures: number | string;
  window_start: number | string;
  locked_until: number | string | null;
}

class DatabaseThrottle implements LoginThrottle {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly lockMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly run: (sql: 'hit' | 'check' | 'reset', params: unknown[]) => Promise<Counts | undefined>,
    private readonly onClose: () => Promise<void>,
    options: ThrottleOptions,
  ) {
    this.max = options.maxFailures ?? 5;
    this.windowMs = parseDuration(options.window ?? '15m', 'throttle window');
    this.lockMs = parseDuration(options.lockFor ?? '15m', 'throttle lock');
    this.clock = options.clock ?? Date.now;
  }

  private state(row: Counts | undefined, now: number): ThrottleState {
    if (!row) return { allowed: true, failures: 0, lockedUntil: null, retryAfterMs: 0 };
    const lockedUntil = row.locked_until === null ? null : Number(row.locked_until);
    const inWindow = Number(row.window_start) > now - this.windowMs;
    const locked = lockedUntil !== null && lockedUntil > now;
    return {
      allowed: !locked,
      failures: inWindow ? Number(row.failures) : 0,
      lockedUntil: locked ? lockedUntil : null,
      retryAfterMs: locked ? lockedUntil - now : 0,
    };
  }

  async hit(key: string): Promise<ThrottleState> {
    const now = this.clock();
    return this.state(await this.run('hit', [checkKey(key), now, this.windowMs, this.max, this.lockMs]), now);
  }

  async check(key: string): Promise<ThrottleState> {
    const now = this.clock();
    return this.state(await this.run('check', [checkKey(key)]), now);
  }

  async reset(key: string): Promise<void> {
    await this.run('reset', [checkKey(key)]);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

const CHECK_SQL = (p: (n: number) => string) =>
  `SELECT failures, window_start, locked_until FROM dbdoctor_login_attempts WHERE key = ${p(1)}`;
const RESET_SQL = (p: (n: number) => string) => `DELETE FROM dbdoctor_login_attempts WHERE key = ${p(1)}`;

function sqliteThrottle(db: BetterSqlite3.Database, onClose: () => Promise<void>, options: ThrottleOptions) {
  // Named parameters let the SQL reuse a value by name, as PostgreSQL's $n do.
  const p = (n: number) => `@p${n}`;
  let statements: Record<string, BetterSqlite3.Statement>;
  try {
    statements = {
      hit: db.prepare(HIT_SQL(p)),
      check: db.prepare(CHECK_SQL(p)),
      reset: db.prepare(RESET_SQL(p)),
    };
  } catch (e) {
    throw missingTables(e);
  }
  const run = async (which: 'hit' | 'check' | 'reset', params: unknown[]) => {
    const stmt = statements[which]!;
    const named = Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
    if (which !== 'reset') return stmt.get(named) as Counts | undefined;
    stmt.run(named);
    return undefined;
  };
  return new DatabaseThrottle(run, onClose, options);
}

function postgresThrottle(
  db: Pick<pg.Pool, 'query'>,
  onClose: () => Promise<void>,
  options: ThrottleOptions,
) {
  const p = (n: number) => (n === 1 ? `$${n}::text` : `$${n}::bigint`);
  const sql = { hit: HIT_SQL(p), check: CHECK_SQL(p), reset: RESET_SQL(p) };
  const run = async (which: 'hit' | 'check' | 'reset', params: unknown[]) => {
    try {
      const res = await db.query<Counts & pg.QueryResultRow>({
        name: `dbdoctor_throttle_${which}`,
        text: sql[which],
        values: params,
      });
      return res.rows[0];
    } catch (e) {
      if ((e as { code?: string }).code === '42P01') throw missingTables(e);
      throw e;
    }
  };
  return new DatabaseThrottle(run, onClose, options);
}

/** Opens a login throttle on a URL, a better-sqlite3 Database or a pg Pool/Client. */
export async function openLoginThrottle(
  database: SessionDatabaseInput,
  options: ThrottleOptions = {},
): Promise<LoginThrottle> {
  return withSessionDatabase(
    database,
    { cwd: options.cwd, poolSize: 5, applicationName: 'dbdoctor throttle' },
    (opened) =>
      opened.dialect === 'sqlite'
        ? sqliteThrottle(opened.db, opened.close, options)
        : postgresThrottle(opened.pool, opened.close, options),
  );
}
