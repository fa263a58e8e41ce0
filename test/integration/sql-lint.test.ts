/**
 * `lint` judges SQL migrations (issue 13, item 7): on PostgreSQL with PostgreSQL's own parser
 * (libpg-query), on SQLite with SQLite's own lexing rules (rebuilds and what they do to
 * referencing rows); row counts are stated truly ("more than 100000
 * rows", never "about 100001 rows" for 300,000). Through the built CLI.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli, createTestDatabase, onlyOn, sqlMigration, writeMigrations } from '../helpers/databases.js';

const BIG = sqlMigration(
  `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, c TEXT);
INSERT INTO t (id, a) SELECT g, 'x' FROM generate_series(1, 300000) AS g;
CREATE TABLE small (id INTEGER PRIMARY KEY, a TEXT);
INSERT INTO small (id, a) VALUES (1, 'x');`,
  'DROP TABLE small; DROP TABLE t;',
);

interface Finding {
  id: string;
  severity: string;
  message: string;
  migration: string;
}

describe('lint judges SQL migrations', () => {
  it(
    'postgres: squawk-style rules from the parse tree, with true row counts',
    onlyOn('postgres'),
    async () => {
      const db = await createTestDatabase('postgres');
      try {
        const dir = writeMigrations(db.dir, {
          '001_big.sql': BIG,
          '002_risky.sql': sqlMigration(
            `CREATE INDEX t_a ON t (a);
ALTER TABLE t ADD COLUMN b integer NOT NULL;
ALTER TABLE t ALTER COLUMN a TYPE varchar(10);
ALTER TABLE t DROP COLUMN c;
ALTER TABLE t RENAME COLUMN a TO z;
ALTER TABLE t ADD CONSTRAINT z_short CHECK (length(z) < 5);
DROP TABLE small;
-- A table this migration makes is empty: nothing to say about it.
CREATE TABLE fresh (id integer);
CREATE INDEX fresh_id ON fresh (id);
ALTER TABLE fresh ADD COLUMN q integer NOT NULL;
DROP TABLE fresh;
-- Safe on a small table, and in words that only look alike.
CREATE INDEX small_a ON small (a);
SELECT 'CREATE INDEX nope ON t (a)' AS text;`,
            'SELECT 1;',
          ),
          '003_safe.sql': sqlMigration(
            `CREATE INDEX CONCURRENTLY t_id2 ON t (id);
ALTER TABLE t ADD COLUMN d integer NOT NULL DEFAULT 0;
ALTER TABLE t ADD CONSTRAINT d_pos CHECK (d >= 0) NOT VALID;`,
          ).replace('-- migrate:up', '-- migrate:up transaction:false'),
        });
        const run = (...a: string[]) => cli([...a, '--url', db.url, '--dir', dir], { cwd: db.dir });
        assert.equal((await run('apply', '--to', '001')).code, 0);
        const r = await run('lint', '--json');
        assert.equal(r.code, 1, r.stderr);
        const findings = r.json<{ ok: boolean; findings: Finding[] }>().findings;
        assert.deepEqual(
          findings.map((f) => [f.migration, f.severity, f.id]),
          [
            ['002_risky', 'error', 'index-without-concurrently'],
            ['002_risky', 'error', 'not-null-without-default'],
            ['002_risky', 'error', 'type-change-rewrites-table'],
            ['002_risky', 'warning', 'data-loss'],
            ['002_risky', 'warning', 'breaking-change'],
            ['002_risky', 'warning', 'breaking-change'],
            ['002_risky', 'warning', 'constraint-without-not-valid'],
            ['002_risky', 'warning', 'data-loss'],
            ['002_risky', 'warning', 'breaking-change'],
          ],
        );
        assert.match(findings[0]!.message, /CREATE INDEX "t_a" on "t" \(more than 100000 rows\)/);
        assert.doesNotMatch(r.stdout, /about 100001/);
        assert.equal(
          findings[3]!.message,
          'DATA LOSS: dropping column "t"."c" deletes its values in more than 100000 rows.',
        );
        assert.match(findings[5]!.message, /Renaming column "t"\."a"/);
        assert.equal(findings[7]!.message, 'DATA LOSS: dropping table "small" deletes its 1 row.');
        assert.match(findings[8]!.message, /Dropping table "small"/);
        // apply runs the same checks: refused, nothing changed.
        const apply = await run('apply');
        assert.equal(apply.code, 1);
        assert.match(apply.stderr, /LINT_FAILED[\s\S]*index-without-concurrently/);
        // What the parser cannot read is said, not guessed.
        const odd = writeMigrations(
          db.dir,
          { '001_odd.sql': sqlMigration('CREATE TABLE (( broken;') },
          'odd',
        );
        const said = await cli([
          'lint',
          '--json',
          '--url',
          db.url,
          '--dir',
          odd,
          '--history-table',
          'odd_history',
        ]);
        assert.equal(said.code, 0, said.stderr);
        const notJudged = said.json<{ findings: Finding[] }>().findings;
        assert.deepEqual(
          notJudged.map((f) => [f.severity, f.id]),
          [['info', 'sql-not-judged']],
        );
        assert.match(notJudged[0]!.message, /syntax error/);
      } finally {
        await db.drop();
      }
    },
  );

  it(
    "sqlite: table rebuilds, DROP TABLE firing ON DELETE, DROP COLUMN rewrites, read with SQLite's lexer; true row counts",
    onlyOn('sqlite'),
    async () => {
      const db = await createTestDatabase('sqlite');
      try {
        const rebuildParent = `CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO new_parent (id, name) SELECT id, coalesce(name, '') FROM parent;
DROP TABLE parent;
ALTER TABLE new_parent RENAME TO parent;`;
        const dir = writeMigrations(db.dir, {
          '001_setup.sql': sqlMigration(
            `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'p');
INSERT INTO child VALUES (1, 1);
CREATE TABLE big (id INTEGER PRIMARY KEY, a TEXT);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 300) INSERT INTO big SELECT n, 'x' FROM g;
CREATE TABLE exact (id INTEGER PRIMARY KEY, c TEXT);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100) INSERT INTO exact SELECT n, 'x' FROM g;
CREATE TABLE lonely (id INTEGER PRIMARY KEY);
INSERT INTO lonely VALUES (1);
CREATE TABLE ref2 (id INTEGER PRIMARY KEY, lonely_id INTEGER REFERENCES lonely (id));
INSERT INTO ref2 VALUES (1, 1);`,
          ),
          '002_rebuild.sql': sqlMigration(
            `${rebuildParent}
-- DROP TABLE child; in a comment is not a statement
CREATE TABLE "new big" (id INTEGER PRIMARY KEY, a TEXT NOT NULL);
INSERT INTO "new big" SELECT id, a FROM big WHERE a <> 'DROP TABLE child';
DROP TABLE main.big;
ALTER TABLE "new big" RENAME TO big;
ALTER TABLE exact DROP COLUMN c;`,
          ),
          '003_notx.sql': sqlMigration(rebuildParent).replace(
            '-- migrate:up',
            '-- migrate:up transaction:false',
          ),
          '004_aside.sql': sqlMigration(
            `ALTER TABLE lonely RENAME TO lonely_old;
CREATE TABLE lonely (id INTEGER PRIMARY KEY, note TEXT);
INSERT INTO lonely (id) SELECT id FROM lonely_old;
DROP TABLE lonely_old;`,
          ),
          '005_drop.sql': sqlMigration('DROP TABLE parent;'),
          '006_odd.sql': sqlMigration('PRAGMA writable_schema = ON;'),
          '007_notx_off.sql': sqlMigration(
            `PRAGMA foreign_keys = OFF;\n${rebuildParent}\nPRAGMA foreign_key_check;\nPRAGMA foreign_keys = ON;`,
          ).replace('-- migrate:up', '-- migrate:up transaction:false'),
        });
        const run = (...a: string[]) =>
          cli([...a, '--url', db.url, '--dir', dir, '--large-table-rows', '100'], { cwd: db.dir });
        assert.equal(
          (await cli(['apply', '--to', '001', '--url', db.url, '--dir', dir, '--no-backup'])).code,
          0,
        );
        const r = await run('lint', '--json');
        assert.equal(r.code, 1, r.stderr);
        const findings = r.json<{ ok: boolean; findings: (Finding & { table?: string })[] }>().findings;
        assert.deepEqual(
          findings.map((f) => [f.migration, f.severity, f.id, f.table]),
          [
            ['002_rebuild', 'info', 'rebuild-unsafe-by-hand', 'parent'],
            ['002_rebuild', 'warning', 'table-rebuild', 'big'],
            ['002_rebuild', 'warning', 'breaking-change', 'exact'],
            ['002_rebuild', 'warning', 'drop-column-rewrites-table', 'exact'],
            ['003_notx', 'error', 'drop-table-fires-foreign-keys', 'parent'],
            ['004_aside', 'error', 'rebuild-renames-referenced-table', 'lonely'],
            ['005_drop', 'warning', 'breaking-change', 'parent'],
            ['005_drop', 'warning', 'drop-table-leaves-orphans', 'parent'],
            ['006_odd', 'info', 'sql-not-judged', undefined],
          ],
        );
        const byId = (id: string) => findings.find((f) => f.id === id)!.message;
        // Counted up to 101: 300 rows are "more than 100", exactly 100 are "100 rows".
        assert.match(byId('table-rebuild'), /more than 100 rows copied/);
        assert.match(byId('drop-column-rewrites-table'), /rewrites every row \(100 rows\)/);
        assert.doesNotMatch(r.stdout, /about|101 rows/);
        assert.match(byId('drop-table-fires-foreign-keys'), /deletes the referencing rows of "child"/);
        assert.match(byId('rebuild-renames-referenced-table'), /REFERENCES of "ref2" to "lonely_old"/);
        assert.match(byId('sql-not-judged'), /writable_schema/);
        // apply runs the same checks: 002 passes (warnings), and keeps the CASCADE child row.
        const apply = await cli(['apply', '--to', '002', '--url', db.url, '--dir', dir, '--no-backup'], {
          cwd: db.dir,
        });
        assert.equal(apply.code, 0, apply.stderr);
        const left = await cli(['apply', '--to', '003', '--url', db.url, '--dir', dir, '--no-backup'], {
          cwd: db.dir,
        });
        assert.equal(left.code, 1);
        assert.match(left.stderr, /LINT_FAILED[\s\S]*drop-table-fires-foreign-keys/);
        const { default: Database } = await import('better-sqlite3');
        const conn = new Database(db.url.slice('sqlite:'.length), { readonly: true });
        try {
          assert.deepEqual(conn.prepare('SELECT id, parent_id FROM child').all(), [{ id: 1, parent_id: 1 }]);
          assert.equal((conn.prepare('SELECT count(*) AS n FROM big').get() as { n: number }).n, 300);
        } finally {
          conn.close();
        }
      } finally {
        await db.drop();
      }
    },
  );
});
