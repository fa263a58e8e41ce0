import path from 'node:path';
import { parseDatabaseUrl } from '../config/url.js';
import { DbDoctorError } from '../errors.js';
import { type EngineOptions, historyTableName, usingSession } from './engine.js';
import { discoverMigrations } from './files.js';
import type { HistoryRow } from './history.js';
import { compareFilesWithHistory, type Problem } from './plan.js';

/** The result of {@link status}; the `status --json` contract. */
export interface StatusResult {
  dialect: string;
  database: string;
  /** False when the SQLite file does not exist yet (nothing was created). */
  exists: boolean;
  /** The highest applied id, or null. */
  current: string | null;
  applied: { id: string; name: string; checksum: string; appliedAt: string; status: string }[];
  pending: { id: string; name: string }[];
  problems: { code: Problem['code']; id: string; message: string; fix: string }[];
}

/** Where the database stands against the migration files. Read-only: creates nothing. */
export async function status(options: EngineOptions): Promise<StatusResult> {
  historyTableName(options.historyTable);
  try {
    return await usingSession(
      options,
      async (session) => {
        const rows = (await session.history.read()) ?? [];
        const state = compareFilesWithHistory(session.files, rows);
        return {
          dialect: session.conn.dialect.name,
          database: session.conn.display,
          exists: true,
          current: state.current,
          applied: state.applied.map(toApplied),
          pending: state.pending.map((f) => ({ id: f.id, name: f.name })),
          problems: state.problems,
        };
      },
      { mustExist: true },
    );
  } catch (e) {
    if (!(e instanceof DbDoctorError && e.code === 'DB_NOT_FOUND') || typeof options.database !== 'string')
      throw e;
    const files = discoverMigrations(
      path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations'),
      options.format,
    );
    const target = parseDatabaseUrl(options.database, options.cwd);
    return {
      dialect: target.dialect,
      database: target.display,
      exists: false,
      current: null,
      applied: [],
      pending: files.map((f) => ({ id: f.id, name: f.name })),
      problems: [],
    };
  }
}

function toApplied(r: HistoryRow) {
  return { id: r.id, name: r.name, checksum: r.checksum, appliedAt: r.appliedAt, status: r.status };
}

/** The history rows, oldest first. Read-only. */
export async function history(options: EngineOptions): Promise<HistoryRow[]> {
  return usingSession(options, async (session) => (await session.history.read()) ?? [], { mustExist: true });
}
