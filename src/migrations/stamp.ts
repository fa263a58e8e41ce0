import type { Connection } from '../dialects/dialect.js';
import { inTransaction } from '../dialects/open.js';
import { DbDoctorError } from '../errors.js';
import { resolveTarget } from './apply.js';
import { type EngineOptions, type EngineSession, usingSession, withLock } from './engine.js';
import { compareIds, highestId, type MigrationFile } from './files.js';
import { isSettled } from './history.js';
import { loadMigration } from './load.js';

/** What {@link stamp} changed in the history. */
export interface StampResult {
  dialect: string;
  /** The database, as shown to people (no password). */
  database: string;
  before: string | null;
  after: string | null;
  /** Ids recorded as applied without running them. */
  added: string[];
  /** Ids whose history rows were removed. */
  removed: string[];
}

/**
 * Records the database as being at `target` (an id, a file stem, or `base`) without running
 * anything: every migration up to and including it is recorded, every later one forgotten.
 */
export async function stamp(options: EngineOptions & { target: string }): Promise<StampResult> {
  return usingSession(options, (session) => stampSession(session, options.target));
}

/** {@link stamp} in an open session (the doctor's fixes share one). */
export async function stampSession(session: EngineSession, target: string): Promise<StampResult> {
  return withLock(session.lock, session.options, async () => {
    const { history, files, conn } = session;
    const targetId = target === 'base' ? null : resolveTarget(files, target).id;
    await history.ensure();
    const rows = (await history.read()) ?? [];
    const before = highestId(rows.filter(isSettled).map((r) => r.id));
    const byId = new Map(rows.map((r) => [r.id, r]));
    const added: string[] = [];
    const removed: string[] = [];
    await inTransaction(conn, async () => {
      for (const row of rows) {
        if (targetId === null || compareIds(row.id, targetId) > 0) {
          await history.remove(row.id);
          removed.push(row.id);
        }
      }
      if (targetId === null) return;
      for (const f of files) {
        if (compareIds(f.id, targetId) > 0) break;
        const row = byId.get(f.id);
        if (row && !isSettled(row)) await history.remove(f.id);
        if (!row || !isSettled(row)) {
          await history.insert({
            id: f.id,
            name: f.name,
            checksum: f.checksum,
            status: 'stamped',
            executionMs: 0,
            statementsDone: 0,
            statementsTotal: 0,
          });
          added.push(f.id);
        }
      }
    });
    return { dialect: conn.dialect.name, database: conn.display, before, after: targetId, added, removed };
  });
}

/**
 * The same rule apply follows before it records a migration applied: an index one of its
 * CREATE INDEX CONCURRENTLY statements names must be valid (pg_index.indisvalid), else the
 * history would call applied a migration whose index does not work. Throws INDEX_INVALID.
 */
async function refuseInvalidIndexes(
  conn: Connection,
  file: MigrationFile,
  direction: 'up' | 'down',
): Promise<void> {
  const phased = conn.dialect.phased;
  if (!phased) return;
  const migration = await loadMigration(file, conn.dialect);
  const step = direction === 'up' ? migration.up : migration.down;
  const statements =
    step?.kind === 'sql'
      ? step.statements
      : step?.kind === 'ops'
        ? (conn.dialect.compiler.statements?.(step.ops) ?? []).flatMap((s) => conn.dialect.splitStatements(s))
        : [];
  const invalid = new Set<string>();
  for (const sql of statements) {
    if (phased.classify(sql) !== 'concurrent-index') continue;
    const name = await phased.namedInvalidIndex(conn, sql);
    if (name) invalid.add(name);
  }
  if (invalid.size === 0) return;
  const names = [...invalid].sort();
  const cleanup = names.map((n) => `${phased.dropIndexSql(n)};`).join(' ');
  throw new DbDoctorError(
    'INDEX_INVALID',
    `Cannot resolve ${file.id} as applied: index(es) ${names.join(', ')} that it creates are INVALID (pg_index.indisvalid is false: a CREATE INDEX CONCURRENTLY failed and left them unusable).`,
    {
      unchanged: 'The history was not changed.',
      hint: `Drop the invalid index(es) (${cleanup}), then either build them by hand and resolve again, or \`dbdoctor resolve ${file.id} --rolled-back\` and run \`dbdoctor ${direction === 'up' ? 'apply' : 'down'}\` again.`,
      details: { id: file.id, file: file.file, invalidIndexes: names },
    },
  );
}

/** How {@link resolve} settles one history row. */
export type ResolveAction = 'applied' | 'rolled-back' | 'accept-checksum' | 'forget';

/**
 * Settles one history problem by hand: a partially applied or partially reverted migration
 * left with all its changes (`applied`: the row becomes applied) or with none of them
 * (`rolled-back`: the row is removed), an edited file accepted (`accept-checksum`), or the row of a
 * deleted file dropped (`forget`). Never touches anything but that history row.
 */
export async function resolve(
  options: EngineOptions & { id: string; action: ResolveAction },
): Promise<{ id: string; action: ResolveAction }> {
  return usingSession(options, (session) =>
    withLock(session.lock, session.options, async () => {
      const { history, files } = session;
      const rows = (await history.read()) ?? [];
      const file = files.find((f) => f.id === options.id || f.stem === options.id);
      const id = file?.id ?? options.id;
      const row = rows.find((r) => r.id === id);
      const refuse = (why: string, hint: string) =>
        new DbDoctorError('CANNOT_RESOLVE', `Cannot resolve ${id} as ${options.action}: ${why}`, {
          unchanged: 'The history was not changed.',
          hint,
        });
      if (!row)
        throw refuse(
          'it has no history row.',
          'Run `dbdoctor status` to see the problems that need resolving.',
        );
      switch (options.action) {
        case 'applied':
          if (isSettled(row))
            throw refuse('it is not partially applied or partially reverted.', 'Nothing to do.');
          if (!file) throw refuse('its file is missing.', 'Restore the file first.');
          await refuseInvalidIndexes(session.conn, file, row.status === 'reverting' ? 'down' : 'up');
          await history.markApplied(id, file.checksum, row.executionMs);
          break;
        case 'rolled-back':
          if (isSettled(row))
            throw refuse(
              'it is not partially applied or partially reverted.',
              'To revert an applied migration use `dbdoctor down`.',
            );
          await history.remove(id);
          break;
        case 'accept-checksum':
          if (!file) throw refuse('its file is missing.', `Use \`dbdoctor resolve ${id} --forget\`.`);
          if (file.checksum === row.checksum) throw refuse('its checksum already matches.', 'Nothing to do.');
          await history.setChecksum(id, file.checksum);
          break;
        case 'forget':
          if (file)
            throw refuse(
              'its file still exists.',
              'To revert it use `dbdoctor down`; to re-stamp use `dbdoctor stamp`.',
            );
          await history.remove(id);
          break;
      }
      return { id, action: options.action };
    }),
  );
}
