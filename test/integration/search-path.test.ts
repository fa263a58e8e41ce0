/**
 * Migrations with unqualified names change the schema those names resolve to on the live
 * database. When a database or role setting points the search_path elsewhere than the schema
 * compared: generate refuses (the migration it writes would change another schema than the one
 * the user edited), and the doctor says so and stamps nothing from a schema migrations did not
 * reach.
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

describe('a search_path that points elsewhere (PostgreSQL)', onlyOn('postgres'), () => {
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

  it('the doctor warns SCHEMA_NOT_CURRENT and --fix stamps nothing from the schema migrations did not reach', async () => {
    fs.writeFileSync(
      path.join(dir, '002_extra2.sql'),
      sqlMigration('ALTER TABLE items ADD COLUMN extra2 integer;', 'ALTER TABLE items DROP COLUMN extra2;'),
    );
    assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
    const landed = await rawQuery(
      db,
      "SELECT table_schema FROM information_schema.columns WHERE column_name = 'extra2'",
    );
    assert.deepEqual(landed, [{ table_schema: 'app' }], 'the unqualified migration changed app.items');
    interface DoctorDoc {
      findings: { code: string; severity: string; message: string; fix?: string }[];
      fixed: unknown[];
    }
    const plain = await cli(['doctor', '--url', db.url, '--dir', dir, '--json']);
    const found = plain.json<DoctorDoc>().findings.find((f) => f.code === 'SCHEMA_NOT_CURRENT');
    assert.ok(found, plain.stdout);
    assert.equal(found.severity, 'warning');
    assert.match(found.message, /"app"/);
    assert.match(found.fix ?? '', /--schema app/);
    const fixed = await cli(['doctor', '--fix', '--url', db.url, '--dir', dir, '--json']);
    const doc = fixed.json<DoctorDoc>();
    assert.deepEqual(doc.fixed, [], 'nothing stamped');
    assert.ok(
      doc.findings.some((f) => f.code === 'FIX_REFUSED'),
      fixed.stdout,
    );
    const history = await rawQuery(db, 'SELECT id FROM public.dbdoctor_migrations ORDER BY id');
    assert.deepEqual(
      history.map((r) => r.id),
      ['001', '002'],
      'the history still says 002 ran',
    );
    fs.rmSync(path.join(dir, '002_extra2.sql'));
    await rawExec(
      db,
      "ALTER TABLE app.items DROP COLUMN extra2; DELETE FROM public.dbdoctor_migrations WHERE id = '002'",
    );
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
