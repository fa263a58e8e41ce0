import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addColumn, createIndex, createTable, dropColumn, type Operation } from '../../src/index.js';
import {
  capabilitiesOf,
  cli,
  columnNames,
  createTestDatabase,
  DIALECTS,
  rawQuery,
  type TestDatabase,
  tableNames,
} from '../helpers/databases.js';

function write(db: TestDatabase, files: Record<string, string>): string {
  const dir = path.join(db.dir, 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const ops = (list: Operation[], extra: Record<string, unknown> = {}) =>
  `export default ${JSON.stringify({ ops: list, ...extra })};\n`;

const BASE = `-- migrate:up
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'y'), (3, 'z');

-- migrate:down
DROP TABLE t;
`;

for (const dialect of DIALECTS) {
  describe(`DSL migrations from the CLI on ${dialect}`, () => {
    it('apply refuses unsafe changes with the lint, the id and a safer way, changes nothing; --force applies', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_base.sql': BASE,
          '002_index.mjs': ops([createIndex('t', ['a'])]),
        });
        const run = (...a: string[]) =>
          cli([...a, '--url', db.url, '--dir', dir, '--no-backup'], { cwd: db.dir });
        assert.equal((await run('apply', '--to', '001')).code, 0);

        const lint = await cli(['lint', '--url', db.url, '--dir', dir, '--large-table-rows', '2', '--json']);
        const doc = lint.json<{
          ok: boolean;
          findings: { id: string; severity: string; migration: string }[];
        }>();
        if (capabilitiesOf(dialect).concurrentIndexes) {
          assert.equal(lint.code, 1);
          assert.equal(doc.ok, false);
          assert.deepEqual(
            doc.findings.map((f) => [f.id, f.severity, f.migration]),
            [['index-without-concurrently', 'error', '002_index']],
          );
          // A dry run says what the apply would say.
          const dry = await run('apply', '--dry-run', '--large-table-rows', '2');
          assert.equal(dry.code, 1, dry.stderr);
          assert.match(dry.stderr, /LINT_FAILED/);
          const refused = await run('apply', '--large-table-rows', '2');
          assert.equal(refused.code, 1);
          assert.match(refused.stderr, /LINT_FAILED/);
          assert.match(refused.stderr, /safer: createIndex\(\.\.\., \{ concurrently: true \}\)/);
          assert.match(refused.stderr, /Nothing was applied/);
          assert.equal(
            Number((await rawQuery(db, 'SELECT count(*) AS n FROM dbdoctor_migrations'))[0]?.n),
            1,
          );
          const forced = await run('apply', '--large-table-rows', '2', '--force');
          assert.equal(forced.code, 0, forced.stderr);
          assert.match(forced.stderr, /error \[index-without-concurrently\] 002_index/);
        } else {
          assert.equal(lint.code, 0, lint.stderr);
          assert.deepEqual(
            doc.findings,
            [],
            'no CONCURRENTLY to ask for (SQLite has none, InnoDB builds indexes online): nothing to say',
          );
          assert.equal((await run('apply', '--large-table-rows', '2')).code, 0);
        }
        const human = await cli(['lint', '--url', db.url, '--dir', dir]);
        assert.equal(human.code, 0);
        assert.match(human.stdout, /No unsafe changes in pending migrations/);
      } finally {
        await db.drop();
      }
    });

    it('a NOT NULL column without a default on a table with rows is refused before anything runs', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_base.sql': BASE,
          '002_add.mjs': ops([addColumn('t', 'b', { type: 'text', nullable: false })]),
        });
        assert.equal(
          (await cli(['apply', '--to', '001', '--url', db.url, '--dir', dir, '--no-backup'])).code,
          0,
        );
        const r = await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /\[not-null-without-default\] 002_add/);
        assert.match(r.stderr, /Give it a default, or add it nullable, backfill it/);
        assert.doesNotMatch(r.stderr, /applying 002/, 'refused before running anything');
        assert.deepEqual(await columnNames(db, 't'), ['id', 'a']);
      } finally {
        await db.drop();
      }
    });

    it('a DSL migration that cannot be reversed and has no down is refused at apply and by lint; irreversible: true accepts it', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_base.sql': BASE,
          '002_drop.mjs': ops([dropColumn('t', 'a')]),
        });
        const r = await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /IRREVERSIBLE_MIGRATION/);
        assert.match(r.stderr, /dropColumn\("t", "a"\) loses the column's data/);
        assert.match(r.stderr, /irreversible: true/);
        assert.deepEqual(
          (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor_')),
          [],
          'not even 001 ran',
        );
        const lint = await cli(['lint', '--url', db.url, '--dir', dir, '--json']);
        assert.equal(lint.code, 1);
        assert.deepEqual(
          // Findings, not the `info` that SQL migrations are not judged on SQLite.
          lint
            .json<{ findings: { id: string; severity: string }[] }>()
            .findings.filter((f) => f.severity !== 'info')
            .map((f) => f.id),
          // Every finding at once: its operations are linted though it has no down.
          ['irreversible', 'breaking-change'],
        );

        fs.writeFileSync(path.join(dir, '002_drop.mjs'), ops([dropColumn('t', 'a')], { irreversible: true }));
        const ok = await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup']);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stderr, /warning \[breaking-change\] 002_drop: Dropping column "t"."a"/);
        const down = await cli(['down', '--url', db.url, '--dir', dir, '--no-backup']);
        assert.equal(down.code, 1);
        assert.match(down.stderr, /002/);
        assert.equal(Number((await rawQuery(db, 'SELECT count(*) AS n FROM t'))[0]?.n), 3);
      } finally {
        await db.drop();
      }
    });
  });
}

describe('dbdoctor sql on DSL migrations, offline', () => {
  it('prints the PostgreSQL statements of each operation and marks CONCURRENTLY migrations', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = write(db, {
        '001_t.mjs': ops([
          createTable('t', {
            columns: {
              id: { type: 'integer', primaryKey: true, autoIncrement: true },
              at: { type: 'timestamp' },
            },
          }),
        ]),
        '002_ix.mjs': ops([createIndex('t', ['at'], { concurrently: true })]),
      });
      const r = await cli(['sql', '--dialect', 'postgres', '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"id" integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY/);
      assert.match(r.stdout, /"at" timestamp with time zone/);
      assert.match(
        r.stdout,
        /-- 002_ix \(outside a transaction\)\nCREATE INDEX CONCURRENTLY "t_at_idx" ON "t" \("at"\);/,
      );
      const lite = await cli(['sql', '--dialect', 'sqlite', '--dir', dir]);
      assert.equal(lite.code, 0, lite.stderr);
      assert.match(lite.stdout, /"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL/);
      assert.match(
        lite.stdout,
        /-- 002_ix\nPRAGMA foreign_keys = OFF;\nBEGIN;\nCREATE INDEX "t_at_idx" ON "t" \("at"\);\n-- must list nothing[^\n]*\nPRAGMA foreign_key_check;\nCOMMIT;/,
        'SQLite has no CONCURRENTLY',
      );
    } finally {
      await db.drop();
    }
  });
});

describe('bad lint usage', () => {
  it('--large-table-rows must be a positive whole number (exit 2)', async () => {
    const r = await cli(['lint', '--large-table-rows', 'lots', '--url', 'sqlite::memory:']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--large-table-rows must be a positive whole number/);
  });
});
