/**
 * A `pg_dump --schema-only` file as the schema file: psql's meta-command lines (`\restrict`)
 * are skipped as psql skips them, and the dump's own session settings (an empty search_path)
 * stay in the scratch database's script instead of reaching dbdoctor's statements.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  createTestDatabase,
  DIALECTS,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage } from '../helpers/projects.js';

const hasPgDump = spawnSync('pg_dump', ['--version']).status === 0;
const skip = !DIALECTS.includes('postgres')
  ? 'PostgreSQL is not among the dialects under test'
  : !hasPgDump
    ? 'pg_dump is not installed on this machine'
    : false;
if (skip) console.log(`# pg_dump schema file tests skipped: ${skip}`);

describe('a pg_dump --schema-only file as the schema file', { skip }, () => {
  let db: TestDatabase;
  let dir: string;
  let dump: string;
  const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });

  before(async () => {
    db = await createTestDatabase('postgres');
    linkPackage(db.dir);
    dir = writeMigrations(db.dir, {
      '001_init.sql': sqlMigration(
        'CREATE TABLE t (id serial PRIMARY KEY, name text);\nCREATE VIEW names AS SELECT name FROM t;',
      ),
    });
    assert.equal((await run('apply')).code, 0);
    dump = path.join(db.dir, 'dump.sql');
    const text = execFileSync(
      'pg_dump',
      ['--schema-only', '-T', 'dbdoctor_migrations', '-T', 'dbdoctor_lock', db.url],
      { encoding: 'utf8' },
    );
    assert.match(text, /set_config\('search_path', '', false\)/, 'the dump empties search_path');
    fs.writeFileSync(dump, text);
  });
  after(() => db.drop());

  it('diff reads it as it stands: no difference from the migrations', async () => {
    const r = await run('diff', '--schema-file', dump, '--exit-code', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json<{ empty: boolean }>().empty, true);
  });

  it('a psql meta-command line between statements is skipped', async () => {
    const withMeta = path.join(db.dir, 'dump-meta.sql');
    fs.writeFileSync(withMeta, `\\restrict abc123\n${fs.readFileSync(dump, 'utf8')}\n\\unrestrict abc123\n`);
    const r = await run('diff', '--schema-file', withMeta, '--exit-code', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('generate from the edited dump writes and verifies the migration', async () => {
    fs.appendFileSync(dump, '\nCREATE TABLE public.extra (id integer);\n');
    const r = await run('generate', 'add_extra', '--schema-file', dump, '--no-prompt', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.json<{ code: string }>().code, /createTable\('extra'/);
  });
});
