import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import {
  checksumOf,
  compareIds,
  decodeSql,
  entryPath,
  idKey,
  type MigrationFile,
  type MigrationKind,
  readMigrationBytes,
  timestampId,
} from '../migrations/files.js';
import {
  entriesOf,
  hidden,
  type MigrationFormat,
  refuseBlocking,
  type Uncovered,
  uncovered,
} from './format.js';
import { isKnexMigration, KNEX_REASON, knexfileBeside } from './knex.js';

const MIGRATION_FILE = /^([^_]+)_(.+)\.(sql|ts|mts|js|mjs)$/;
const MIGRATION_EXT = /\.(sql|ts|mts|js|mjs)$/;
const SECTION = /^--\s*migrate:(up|down)\b/m;

const SQL_TEMPLATE = `-- migrate:up


-- migrate:down

`;

/**
 * dbdoctor's own layout, which is dbmate's (`db/migrations/<id>_<name>.sql` with
 * `-- migrate:up` / `-- migrate:down` sections, `transaction:false` on a section line), plus
 * TypeScript and JavaScript modules. One transaction per migration unless a section opts out.
 */
export const dbmate: MigrationFormat = {
  name: 'dbmate',
  defaultDirs: ['migrations', 'db/migrations'],
  detect(dir) {
    for (const entry of entriesOf(dir)) {
      if (/\.(ts|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts') && MIGRATION_FILE.test(entry))
        return true;
      if (!entry.endsWith('.sql')) continue;
      try {
        if (SECTION.test(decodeSql(readMigrationBytes(entryPath(dir, entry), entry), entry))) return true;
      } catch {
        // Unreadable here; the listing reports it.
      }
    }
    return false;
  },
  list(dir) {
    const files: MigrationFile[] = [];
    const stray: Uncovered[] = [];
    const byId = new Map<string, string>();
    const knexfile = knexfileBeside(dir);
    for (const entry of entriesOf(dir)) {
      if (hidden(entry) || entry.endsWith('.d.ts')) continue;
      if (!entry.endsWith('.sql') && isKnexMigration(path.join(dir, entry), knexfile)) {
        stray.push({ path: entry, reason: KNEX_REASON, blocking: true });
        continue;
      }
      if (!MIGRATION_EXT.test(entry)) {
        stray.push(uncovered(dir, entry, 'not a .sql, .ts, .mts, .js or .mjs migration file'));
        continue;
      }
      const m = MIGRATION_FILE.exec(entry);
      if (!m) {
        throw new DbDoctorError('BAD_FILENAME', `Migration file ${entry} is not named <id>_<name>.<ext>.`, {
          unchanged: 'Nothing was done.',
          hint: `Rename it, e.g. ${timestampId(new Date())}_${entry.replace(MIGRATION_EXT, '')}${path.extname(entry)}, or move it out of ${dir}.`,
          details: { file: entry },
        });
      }
      const [, id, name, ext] = m as unknown as [string, string, string, string];
      const full = entryPath(dir, entry);
      const key = idKey(id);
      const other = byId.get(key);
      if (other) {
        throw new DbDoctorError(
          'DUPLICATE_ID',
          `Two migration files share the id ${id}: ${other} and ${entry}.`,
          {
            unchanged: 'Nothing was done.',
            hint: 'Give one of them a new id (`dbdoctor new <name>` makes a fresh timestamp id). Ids that are equal as numbers (1 and 01) or as Unicode text (NFC and NFD spellings) are the same id.',
            details: { id, files: [other, entry] },
          },
        );
      }
      byId.set(key, entry);
      const bytes = readMigrationBytes(full, entry);
      const kind: MigrationKind = ext === 'sql' ? 'sql' : 'module';
      files.push({
        id,
        name,
        stem: `${id}_${name}`,
        file: full,
        kind,
        checksum: checksumOf(bytes),
        text: kind === 'sql' ? decodeSql(bytes, entry) : undefined,
      });
    }
    refuseBlocking('dbmate', dir, stray);
    files.sort((a, b) => compareIds(a.id, b.id));
    return { format: 'dbmate', files, uncovered: stray };
  },
  scaffold(id, name) {
    return { [`${id}_${name}.sql`]: SQL_TEMPLATE };
  },
};
