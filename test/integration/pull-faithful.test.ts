/**
 * pull and dump write a schema file that means what the live database means, never overwrite
 * a user's edits to it, and say when the database they read is behind the migrations.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  createTestDatabase,
  onlyOn,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';

describe('pull on SQLite keeps the declared type where it carries meaning', onlyOn('sqlite'), () => {
  // Only a lone key declared exactly INTEGER is the rowid alias (never NULL); `int`, `bigint`,
  // `INTEGER PRIMARY KEY DESC` and WITHOUT ROWID keys are not, and affinity follows the words
  // of the declared type (STRING is NUMERIC, TEXT is TEXT).
  const tables = [
    'CREATE TABLE k_int (id int PRIMARY KEY, v text)',
    'CREATE TABLE k_int_upper (id INT PRIMARY KEY, v text)',
    'CREATE TABLE k_integer (id integer PRIMARY KEY, v text)',
    'CREATE TABLE k_integer_upper (id INTEGER PRIMARY KEY, v text)',
    'CREATE TABLE k_bigint (id bigint PRIMARY KEY, v text)',
    'CREATE TABLE k_desc (id INTEGER PRIMARY KEY DESC, v text)',
    'CREATE TABLE k_table_constraint (id INTEGER, v text, PRIMARY KEY (id))',
    'CREATE TABLE k_without_rowid (id int PRIMARY KEY, v text) WITHOUT ROWID',
    'CREATE TABLE k_serial (id serial PRIMARY KEY, s string)',
  ];
  let db: TestDatabase;
  let dir: string;
  const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });

  before(async () => {
    db = await createTestDatabase('sqlite');
    dir = writeMigrations(db.dir, { '001_keys.sql': sqlMigration(`${tables.join(';\n')};`) });
    assert.equal((await run('apply')).code, 0);
  });
  after(() => db.drop());

  it('pull then diff is empty, and the doctor agrees', async () => {
    const pulled = await run('pull');
    assert.equal(pulled.code, 0, pulled.stderr);
    const text = fs.readFileSync(path.join(db.dir, 'schema.sql'), 'utf8');
    assert.match(text, /"id" int,/i, 'int stays int: not the rowid alias');
    assert.match(text, /"id" INTEGER PRIMARY KEY DESC/, 'the DESC quirk stays an ordinary key');
    assert.match(text, /"s" string/i, 'STRING keeps its NUMERIC affinity');
    const diff = await run('diff', '--exit-code', '--json');
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    assert.equal(diff.json<{ empty: boolean }>().empty, true);
    const doctor = await run('doctor', '--json');
    assert.equal(doctor.json<{ ok: boolean }>().ok, true, doctor.stdout);
  });

  it('the schema file run alone takes NULL in a key exactly where the live table does', async () => {
    const { default: Database } = await import('better-sqlite3');
    const live = new Database(db.url.slice('sqlite:'.length));
    const fresh = new Database(':memory:');
    try {
      fresh.exec(fs.readFileSync(path.join(db.dir, 'schema.sql'), 'utf8'));
      const accepts = (target: InstanceType<typeof Database>, t: string): boolean => {
        try {
          target.exec(`INSERT INTO "${t}" (id) VALUES (NULL)`);
          const n = (
            target.prepare(`SELECT count(*) AS n FROM "${t}" WHERE id IS NULL`).get() as { n: number }
          ).n;
          target.exec(`DELETE FROM "${t}" WHERE id IS NULL OR rowid IS NOT NULL`);
          return n === 1;
        } catch {
          return false;
        }
      };
      for (const t of tables.map((s) => /CREATE TABLE (\w+)/.exec(s)![1]!)) {
        const expected = accepts(live, t);
        assert.equal(accepts(fresh, t), expected, `${t}: NULL in the key`);
      }
      assert.equal(accepts(live, 'k_int'), true, 'the test means something: int keys take NULL');
    } finally {
      live.close();
      fresh.close();
    }
  });
});
