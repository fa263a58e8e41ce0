import type { CheckContext, DoctorCheck } from '../../doctor/check.js';
import type { Finding } from '../../doctor/findings.js';
import type { SqliteConnection } from './driver.js';

/** How many rows of a failing check are quoted in the message. */
const QUOTED_ROWS = 5;

/**
 * SQLite's own consistency checks: `integrity_check` (corruption), `foreign_key_check`
 * (rows whose parent is missing, possible because foreign keys are off by default in
 * SQLite) and the journal mode (rollback journals block readers while a migration writes).
 */
export const sqliteHealthChecks: readonly DoctorCheck[] = [
  { code: 'INTEGRITY_CHECK_FAILED', run: integrityCheck },
  { code: 'FOREIGN_KEY_VIOLATIONS', run: foreignKeyCheck },
  { code: 'JOURNAL_MODE', run: journalModeCheck },
];

/** `PRAGMA integrity_check`: corruption. */
async function integrityCheck(context: CheckContext): Promise<Finding[]> {
  const conn = context.conn as SqliteConnection;
  const issues: Finding[] = [];
  const integrity = conn.db.prepare('PRAGMA main.integrity_check').pluck().all() as string[];
  if (!(integrity.length === 1 && integrity[0] === 'ok')) {
    issues.push({
      code: 'INTEGRITY_CHECK_FAILED',
      severity: 'error',
      message: `PRAGMA integrity_check reports ${integrity.length} problem(s): ${integrity.slice(0, QUOTED_ROWS).join('; ')}`,
      fix: `Restore the latest good backup (\`dbdoctor restore FILE\`; see the backups folder beside the database), or recover with \`sqlite3 ${conn.file ?? 'DB'} .recover\`.`,
    });
  }
  return issues;
}

/** `PRAGMA foreign_key_check`: rows whose parent row is missing. */
async function foreignKeyCheck(context: CheckContext): Promise<Finding[]> {
  const conn = context.conn as SqliteConnection;
  const issues: Finding[] = [];
  const violations = conn.db.prepare('PRAGMA main.foreign_key_check').all() as {
    table: string;
    rowid: number | null;
    parent: string;
  }[];
  if (violations.length > 0) {
    const sample = violations
      .slice(0, QUOTED_ROWS)
      .map((v) => `${v.table} rowid ${v.rowid} -> ${v.parent}`)
      .join('; ');
    issues.push({
      code: 'FOREIGN_KEY_VIOLATIONS',
      severity: 'error',
      message: `${violations.length} row(s) reference a missing parent row: ${sample}.`,
      fix: 'Run `PRAGMA foreign_key_check` in sqlite3 to list them all, then delete or repair those rows (dbdoctor does not change user data).',
    });
  }
  return issues;
}

/** The journal mode: a rollback journal blocks readers while a migration writes. */
async function journalModeCheck(context: CheckContext): Promise<Finding[]> {
  const conn = context.conn as SqliteConnection;
  const issues: Finding[] = [];
  if (conn.file) {
    const mode = String(conn.db.pragma('journal_mode', { simple: true })).toLowerCase();
    if (mode !== 'wal') {
      issues.push({
        code: 'JOURNAL_MODE',
        severity: 'info',
        message: `Journal mode is ${mode}: readers wait while a migration or any writer holds the database.`,
        fix: `To let readers continue during writes: sqlite3 ${conn.file} "PRAGMA journal_mode=WAL" (dbdoctor never changes it on its own).`,
      });
    }
  }
  return issues;
}
