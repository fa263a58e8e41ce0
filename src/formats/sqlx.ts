import { createHash } from 'node:crypto';
import { decodeSql, entryPath, readMigrationBytes } from '../migrations/files.js';
import { type Draft, entriesOf, finish, type MigrationFormat, section } from './format.js';
import { readPairs } from './pairs.js';

const NO_TX = '-- no-transaction';

/** What sqlx records in `_sqlx_migrations.checksum`: the SHA-384 of the migration's SQL. */
export function sqlxChecksum(bytes: Buffer): string {
  return createHash('sha384').update(bytes).digest('hex');
}

/**
 * sqlx (`sqlx migrate`): `<version>_<description>.sql` (simple) or `.up.sql` / `.down.sql`
 * (reversible). Each file runs in its own transaction unless it starts with
 * `-- no-transaction` (sqlx-core's `sql.starts_with("-- no-transaction")`, its first bytes).
 */
export const sqlx: MigrationFormat = {
  name: 'sqlx',
  defaultDirs: ['migrations'],
  detect(dir) {
    const sql = entriesOf(dir).filter((e) => /^\d+_.+\.sql$/.test(e));
    if (sql.length === 0) return false;
    // Plain files with none of dbmate's or goose's markers, or sqlx's own header.
    let plain = true;
    for (const e of sql) {
      let text: string;
      try {
        text = decodeSql(readMigrationBytes(entryPath(dir, e), e), e);
      } catch {
        continue;
      }
      if (text.startsWith(NO_TX)) return true;
      if (/^--\s*(migrate:(up|down)|\+goose\s)/im.test(text)) plain = false;
    }
    return plain && !sql.some((e) => /\.(up|down)\.sql$/.test(e));
  },
  list(dir) {
    const { pairs, singles, stray } = readPairs(dir, 'sqlx', {
      single: true,
      why: 'sqlx reads only <version>_<description>.sql (or .up.sql / .down.sql) files',
    });
    const drafts: Draft[] = [...pairs, ...singles].map((p) => {
      const up = p.up!;
      return {
        id: p.version,
        name: p.name,
        file: up.file,
        parts: [up, ...(p.down ? [p.down] : [])],
        text: up.text,
        sections: {
          up: section(up.text, !up.text.startsWith(NO_TX)),
          down: p.down ? section(p.down.text, !p.down.text.startsWith(NO_TX)) : null,
        },
        toolChecksum: sqlxChecksum(up.bytes),
      };
    });
    return finish('sqlx', dir, drafts, stray);
  },
  scaffold(id, name) {
    return { [`${id}_${name}.up.sql`]: '', [`${id}_${name}.down.sql`]: '' };
  },
};
