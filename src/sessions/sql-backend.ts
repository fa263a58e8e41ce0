import { DbDoctorError } from '../errors.js';
import type { SessionStatus } from './types.js';

/** A session row as both SQL backends return it (times as numbers, data parsed). */
export interface SessionRow {
  key: string;
  data: Record<string, unknown>;
  status: SessionStatus;
  createdAt: number;
  lastActivity: number;
  expiresAt: number;
  ttlMs: number;
}

/**
 * The statements a SQL session store needs, one method per statement, implemented by each
 * dialect with its own SQL and driver calls (prepared statements on SQLite, parameterized
 * queries on PostgreSQL). Keys and values are always bound parameters.
 */
export interface SessionBackend {
  upsert(row: SessionRow): Promise<void>;
  find(key: string): Promise<SessionRow | undefined>;
  /** Deletes `key` only if it expired by `now`. */
  deleteIfExpired(key: string, now: number): Promise<void>;
  /** Merges `patch` into the data of an unexpired session and slides its expiry, atomically. */
  merge(
    key: string,
    patch: Record<string, unknown>,
    now: number,
    maxBytes: number,
  ): Promise<SessionRow | undefined>;
  /** Slides the expiry (and sets the status, when given) of an unexpired session. */
  slide(key: string, now: number, status: SessionStatus | null): Promise<boolean>;
  remove(key: string): Promise<boolean>;
  /** Deletes up to `limit` sessions expired by `now`; returns how many. */
  sweepBatch(now: number, limit: number): Promise<number>;
  list(
    now: number,
    status: SessionStatus | null,
    includeExpired: boolean,
    limit: number,
    offset: number,
  ): Promise<SessionRow[]>;
  count(now: number): Promise<number>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** How many expired sessions one sweep statement deletes: bounded so no lock is held for long. */
export const SWEEP_BATCH = 5000;

/** The session tables are missing: say how to create them. */
export function missingTables(e: unknown): DbDoctorError {
  return new DbDoctorError(
    'SESSION_TABLES_MISSING',
    `The session tables do not exist in this database (${(e as Error).message}).`,
    {
      unchanged: 'Nothing was changed.',
      hint: 'Create them once, in their own history namespace: `dbdoctor sessions install --url <url>` or `await installSessionTables({ database })`; or copy them into your migrations (`dbdoctor sessions copy --dir <migrations>`) and run `dbdoctor apply`.',
      cause: e,
    },
  );
}
