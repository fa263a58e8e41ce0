/**
 * `lint` judges SQL migrations (issue 13, item 7): on PostgreSQL with PostgreSQL's own parser
 * (libpg-query), on SQLite it says it cannot; row counts are stated truly ("more than 100000
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
            ['002_risky', 'warning', 'breaking-change'],
            ['002_risky', 'warning', 'breaking-change'],
            ['002_risky', 'warning', 'constraint-without-not-valid'],
            ['002_risky', 'warning', 'breaking-change'],
          ],
        );
        assert.match(findings[0]!.message, /CREATE INDEX "t_a" on "t" \(more than 100000 rows\)/);
        assert.doesNotMatch(r.stdout, /about 100001/);
        assert.match(findings[4]!.message, /Renaming column "t"\."a"/);
        assert.match(findings[6]!.message, /Dropping table "small"/);
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
    'sqlite: SQL migrations are said not to be judged, and lint still passes',
    onlyOn('sqlite'),
    async () => {
      const db = await createTestDatabase('sqlite');
      try {
        const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER);') });
        const r = await cli(['lint', '--url', db.url, '--dir', dir], { cwd: db.dir });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /info \[sql-not-judged\] 001_a: SQL migrations are not linted on sqlite/);
        // apply does not repeat it.
        const apply = await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup'], { cwd: db.dir });
        assert.equal(apply.code, 0, apply.stderr);
        assert.doesNotMatch(apply.stderr, /sql-not-judged/);
      } finally {
        await db.drop();
      }
    },
  );
});
