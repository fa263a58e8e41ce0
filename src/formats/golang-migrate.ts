import { type Draft, entriesOf, finish, type MigrationFormat, section } from './format.js';
import { readPairs } from './pairs.js';

/**
 * golang-migrate: `<version>_<title>.up.sql` and `<version>_<title>.down.sql`. It sends each
 * file to the database as it is, without a transaction of its own; PostgreSQL runs a
 * multi-statement query as one implicit transaction and its SQLite driver wraps each file in
 * one, so dbdoctor runs each file in one transaction (a `BEGIN; … COMMIT;` around the whole
 * file, which golang-migrate's docs suggest, is unwrapped). `schema_migrations` holds one
 * row: the current version and a `dirty` flag.
 */
export const golangMigrate: MigrationFormat = {
  name: 'golang-migrate',
  defaultDirs: ['migrations', 'db/migrations'],
  detect(dir) {
    return entriesOf(dir).some((e) => /^\d+_.*\.up\.sql$/.test(e));
  },
  list(dir) {
    const { pairs, stray } = readPairs(dir, 'golang-migrate', {
      single: false,
      why: 'golang-migrate reads only <version>_<title>.up.sql and .down.sql files',
    });
    const drafts: Draft[] = pairs.map((p) => ({
      id: p.version,
      name: p.name,
      file: p.up!.file,
      parts: [p.up!, ...(p.down ? [p.down] : [])],
      text: p.up!.text,
      sections: { up: section(p.up!.text, true), down: p.down ? section(p.down.text, true) : null },
    }));
    return finish('golang-migrate', dir, drafts, stray);
  },
  scaffold(id, name) {
    return { [`${id}_${name}.up.sql`]: '', [`${id}_${name}.down.sql`]: '' };
  },
};
