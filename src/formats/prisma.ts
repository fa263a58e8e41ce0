import path from 'node:path';
import { checksumOf, entryPath } from '../migrations/files.js';
import {
  type Draft,
  entriesOf,
  finish,
  hidden,
  isDir,
  isFile,
  type MigrationFormat,
  readSql,
  section,
  type Uncovered,
  uncovered,
} from './format.js';

const FOLDER = /^(\d+)_(.+)$/;
const LOCK = 'migration_lock.toml';

/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql` beside
 * `migration_lock.toml`. Prisma has no down migrations. Prisma itself does not wrap a
 * migration in a transaction (prisma/prisma discussion 3774); on PostgreSQL it sends the file
 * as one multi-statement query, which the server runs as one implicit transaction, so
 * dbdoctor runs each file in one transaction (a `BEGIN; … COMMIT;` around the whole file is
 * unwrapped as in any migration). `_prisma_migrations.checksum` is the sha256 of the file.
 */
export const prisma: MigrationFormat = {
  name: 'prisma',
  defaultDirs: ['prisma/migrations'],
  detect(dir) {
    if (isFile(path.join(dir, LOCK))) return true;
    // A folder first: `<file>/migration.sql` fails with ENOTDIR, an exception per migration file.
    return entriesOf(dir).some(
      (e) => FOLDER.test(e) && isDir(entryPath(dir, e)) && isFile(path.join(dir, e, 'migration.sql')),
    );
  },
  list(dir) {
    const drafts: Draft[] = [];
    const stray: Uncovered[] = [];
    for (const entry of entriesOf(dir)) {
      if (hidden(entry) || entry === LOCK) continue;
      const full = path.join(dir, entry);
      const m = FOLDER.exec(entry);
      if (!m || !isDir(full)) {
        stray.push(
          uncovered(
            dir,
            entry,
            'Prisma migrations are folders named <timestamp>_<name> holding migration.sql',
          ),
        );
        continue;
      }
      const sqlFile = path.join(full, 'migration.sql');
      for (const inner of entriesOf(full)) {
        if (inner !== 'migration.sql' && !hidden(inner))
          stray.push(
            uncovered(dir, path.join(entry, inner), 'Prisma runs only migration.sql of each folder'),
          );
      }
      if (!isFile(sqlFile)) {
        stray.push({ path: entry, reason: 'a migration folder without migration.sql', blocking: true });
        continue;
      }
      const { bytes, text } = readSql(sqlFile, path.join(entry, 'migration.sql'));
      drafts.push({
        id: m[1]!,
        name: m[2]!,
        file: sqlFile,
        parts: [{ file: sqlFile, bytes }],
        text,
        sections: { up: section(text, true), down: null },
        toolChecksum: checksumOf(bytes),
      });
    }
    return finish('prisma', dir, drafts, stray);
  },
  scaffold(id, name) {
    return {
      [path.join(`${id}_${name}`, 'migration.sql')]:
        '-- Prisma migrations have no down: write the up SQL here.\n',
    };
  },
};
