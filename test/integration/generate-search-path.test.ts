/**
 * generate writes migrations with unqualified names, so they change the schema those names
 * resolve to on the live database. When a database or role setting points the search_path
 * elsewhere than the schema generate compared, the migration would change another schema than
 * the one the user edited: generate refuses and says where names land.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  createTestDatabase,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage } from '../helpers/projects.js';

interface ErrorDoc {
  ok: false;
  error: { code: string; message: string; unchanged?: string; hint?: string };
}

describe('generate and a search_path that points elsewhere (PostgreSQL)', onlyOn('postgres'), () => {
  let db: TestDatabase;
  let dir: string;
  let schemaFile: string;
  before(async () => {
    db = await createTestDatabase('postgres');
    linkPackage(db.dir);
    dir = writeMigrations(db.dir, {
      '001_init.sql': sqlMigration(
        'CREATE SCHEMA app;\nCREATE TABLE app.items (id int PRIMARY KEY);\nCREATE TABLE public.items (id int PRIMARY KEY, other text);',
      ),
    });
    assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
    const name = new URL(db.url).pathname.slice(1);
    // As a DBA would: every new session of this database now resolves names in app first.
    await rawExec(db, `ALTER DATABASE "${name}" SET search_path = app, public`);
    schemaFile = path.join(db.dir, 'schema.sql');
    const pulled = await cli(['pull', '--url', db.url, '--dir', dir, '--file', schemaFile]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const text = fs.readFileSync(schemaFile, 'utf8');
    assert.match(text, /"other" text/);
    fs.writeFileSync(schemaFile, text.replace('"other" text', '"other" text,\n  "extra" integer'));
  });
  after(() => db.drop());

  it('refuses with SCHEMA_NOT_CURRENT, names both schemas, writes nothing', async () => {
    const before = fs.readdirSync(dir);
    const r = await cli([
      'generate',
      'extra',
      '--url',
      db.url,
      '--dir',
      dir,
      '--schema-file',
      schemaFile,
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const doc = r.json<ErrorDoc>();
    assert.equal(doc.error.code, 'SCHEMA_NOT_CURRENT');
    assert.match(doc.error.message, /"app"/);
    assert.match(doc.error.message, /"public"/);
    assert.match(doc.error.hint ?? '', /--schema app/);
    assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
    assert.deepEqual(fs.readdirSync(dir), before, 'no migration written');
    const extra = await rawQuery(
      db,
      "SELECT table_schema FROM information_schema.columns WHERE column_name = 'extra'",
    );
    assert.deepEqual(extra, [], 'nothing changed on the database');
  });

  it('generates when the search_path puts the compared schema first again', async () => {
    const name = new URL(db.url).pathname.slice(1);
    await rawExec(db, `ALTER DATABASE "${name}" RESET search_path`);
    const r = await cli(['generate', 'extra', '--url', db.url, '--dir', dir, '--schema-file', schemaFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
    const extra = await rawQuery(
      db,
      "SELECT table_schema FROM information_schema.columns WHERE column_name = 'extra'",
    );
    assert.deepEqual(
      extra.map((e) => e.table_schema),
      ['public'],
    );
  });
});
