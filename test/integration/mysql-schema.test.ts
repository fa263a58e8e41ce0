/**
 * MySQL/MariaDB introspection into the schema model, and the doctor's replay of the migrations
 * into a scratch database compared with the live one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { introspect } from '../../src/index.js';
import {
  cli,
  createTestDatabase,
  mysqlClient,
  rawExec,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';

const SCHEMA = `
CREATE TABLE users (
  id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(200) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  status ENUM('new','active','gone') NOT NULL DEFAULT 'new',
  bio TEXT,
  name VARCHAR(40) DEFAULT 'it''s',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  full_name VARCHAR(90) AS (CONCAT(name, ' ', email)) VIRTUAL,
  score DECIMAL(10,2) DEFAULT -1.5,
  CONSTRAINT users_email UNIQUE (email),
  CONSTRAINT name_len CHECK (CHAR_LENGTH(name) > 0)
);
CREATE INDEX users_bio ON users (bio(20), name DESC);
CREATE FULLTEXT INDEX users_ft ON users (bio);
CREATE TABLE posts (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  user_id INT UNSIGNED NOT NULL,
  CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE VIEW active_users AS SELECT id, email FROM users WHERE active = 1;
DELIMITER ;;
CREATE TRIGGER posts_bi BEFORE INSERT ON posts FOR EACH ROW BEGIN
  IF NEW.user_id = 0 THEN SET NEW.user_id = 1; END IF;
END;;
DELIMITER ;
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;`;

async function scratchDatabases(db: TestDatabase): Promise<string[]> {
  const c = await mysqlClient(db.url);
  try {
    const [rows] = await c.query("SHOW DATABASES LIKE 'dbdoctor\\_scratch\\_%'");
    return (rows as Record<string, string>[]).map((r) => Object.values(r)[0]!);
  } finally {
    await c.end();
  }
}

/** Is the process named in a scratch database's name (dbdoctor_scratch_<pid>_…) still running? */
function ownerRuns(name: string): boolean {
  const pid = Number(/^dbdoctor_scratch_(\d+)_/.exec(name)?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('MySQL schema', () => {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await createTestDatabase('mysql');
    dir = writeMigrations(db.dir, { '001_init.sql': sqlMigration(SCHEMA) });
    const r = await cli(['apply', '--url', db.url, '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => db.drop());

  it('introspection reads types as MySQL reports them, keys, FKs, CHECKs, views, triggers, routines', async () => {
    const s = await introspect({ database: db.url });
    assert.equal(s.dialect, 'mysql');
    assert.deepEqual(Object.keys(s.tables), ['posts', 'users']);
    const users = s.tables.users!;
    const col = (n: string) => users.columns.find((c) => c.name === n)!;
    assert.equal(col('id').type, 'int unsigned');
    assert.equal(col('id').identity, 'auto_increment');
    assert.equal(col('active').type, 'tinyint(1)');
    assert.equal(col('active').default, '1');
    assert.equal(col('status').type, "enum('new','active','gone')");
    assert.equal(col('status').default, "'new'");
    assert.equal(col('name').default, "'it''s'");
    assert.equal(col('email').collation, 'latin1_bin');
    assert.equal(col('email').nullable, false);
    assert.equal(col('created_at').default, 'current_timestamp on update current_timestamp');
    assert.match(col('full_name').generated ?? '', /^concat\(name, ' ', .*email.*\) virtual$/);
    assert.equal(col('score').type, 'decimal(10,2)');
    assert.deepEqual(users.primaryKey, ['id']);
    // CONSTRAINT users_email UNIQUE (email) is MySQL's unique index users_email: a name of its
    // own makes it an index, as CREATE UNIQUE INDEX does on the other dialects.
    assert.deepEqual(users.uniques, []);
    assert.deepEqual(
      users.indexes.filter((i) => i.unique).map((i) => [i.name, i.keys.map((k) => k.column)]),
      [['users_email', ['email']]],
    );
    const bio = users.indexes.find((i) => i.name === 'users_bio')!;
    assert.deepEqual(
      bio.keys.map((k) => [k.column, k.descending]),
      [
        ['bio', false],
        ['name', true],
      ],
    );
    assert.deepEqual(bio.extras, ['prefix length 20 on key 1']);
    assert.equal(users.indexes.find((i) => i.name === 'users_ft')?.method, 'fulltext');
    assert.deepEqual(
      users.checks.map((c) => c.expression),
      ['char_length(name) > 0'],
    );
    const fk = s.tables.posts!.foreignKeys[0]!;
    assert.deepEqual(
      [fk.columns, fk.referencedTable, fk.referencedColumns, fk.onDelete],
      [['user_id'], 'users', ['id'], 'CASCADE'],
    );
    assert.equal(
      s.views.active_users?.definition,
      'select users.id as id, users.email as email from users where users.active = 1',
    );
    assert.match(
      s.triggers.posts_bi?.definition ?? '',
      /^before insert for each row begin if new\.user_id = 0/,
    );
    assert.ok(s.objects?.['function:twice']);
    assert.ok(!('dbdoctor_migrations' in s.tables));
  });

  it('the doctor replays the migrations into a scratch database: no drift, then a hand-made change is named', async () => {
    const scratchBefore = await scratchDatabases(db);
    const clean = await cli(['doctor', '--json', '--url', db.url, '--dir', dir]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.equal(clean.json<{ matches: string }>().matches, '001');
    await rawExec(db, "ALTER TABLE users MODIFY name VARCHAR(50) DEFAULT 'x'; DROP INDEX users_ft ON users");
    const drifted = await cli(['doctor', '--url', db.url, '--dir', dir]);
    assert.notEqual(drifted.code, 0);
    assert.match(drifted.stdout + drifted.stderr, /SCHEMA_DRIFT/);
    assert.match(
      drifted.stdout + drifted.stderr,
      /users\.name has type varchar\(40\) in the migrations at 001 but varchar\(50\)/,
    );
    assert.match(drifted.stdout + drifted.stderr, /users_ft/);
    // No scratch database is left behind. Tests running beside this one may hold scratch
    // databases of their own: one whose owner (the pid in its name) still runs is in use, not
    // left; the doctor processes this test ran have all ended.
    const left = (await scratchDatabases(db)).filter((n) => !scratchBefore.includes(n) && !ownerRuns(n));
    assert.deepEqual(left, []);
  });
});
