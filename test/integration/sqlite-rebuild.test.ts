import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  addCheck,
  addForeignKey,
  alterColumn,
  fingerprint,
  introspect,
  migrate,
  type Operation,
  status,
} from '../../src/index.js';
import { CLI_PATH, cli, createTestDatabase, onlyOn, type TestDatabase } from '../helpers/databases.js';

function migrationFile(ops: readonly Operation[], extra: Record<string, unknown> = {}): string {
  return `export default ${JSON.stringify({ ops, ...extra }, null, 2)};\n`;
}

function sqlFile(up: string, down = ''): string {
  return `-- migrate:up\n${up}\n\n-- migrate:down\n${down}\n`;
}

/** A project: 001 is hand-written SQL (the starting schema), then DSL migrations. */
function project(
  db: TestDatabase,
  base: string,
  dsl: Operation[][],
  extra: Record<string, unknown> = {},
): string {
  const dir = path.join(db.dir, 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '001_base.sql'), sqlFile(base));
  dsl.forEach((ops, i) => {
    fs.writeFileSync(
      path.join(dir, `${String(i + 2).padStart(3, '0')}_change.mjs`),
      migrationFile(ops, extra),
    );
  });
  return dir;
}

function open(db: TestDatabase): Database.Database {
  return new Database(db.url.replace(/^sqlite:/, ''));
}

const _file = (db: TestDatabase) => db.url.replace(/^sqlite:/, '');

describe('SQLite table rebuilds keep everything of and around the table', onlyOn('sqlite'), () => {
  it('an ON DELETE CASCADE child keeps every row when its parent is rebuilt (foreign keys on)', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = project(
        db,
        `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);`,
        [
          [
            alterColumn(
              'parent',
              'name',
              { nullable: false, default: 'x' },
              { nullable: true, default: null },
            ),
          ],
        ],
      );
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const raw = open(db);
      raw.exec("INSERT INTO parent (id, name) VALUES (1, 'a'), (2, 'b')");
      raw.exec('INSERT INTO child (parent_id) VALUES (1), (1), (2)');
      assert.equal(raw.pragma('foreign_keys', { simple: true }), 1, 'better-sqlite3 enforces foreign keys');
      raw.close();
      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const after = open(db);
      assert.equal((after.prepare('SELECT count(*) AS n FROM child').get() as Record<string, unknown>).n, 3);
      assert.equal((after.prepare('SELECT count(*) AS n FROM parent').get() as Record<string, unknown>).n, 2);
      const parentSql = after.prepare("SELECT sql FROM sqlite_schema WHERE name = 'parent'").get() as {
        sql: string;
      };
      assert.match(parentSql.sql, /NOT NULL DEFAULT 'x'/);
      after.close();
    } finally {
      await db.drop();
    }
  });

  it('--single-transaction switches foreign keys off around its one transaction, so a rebuild keeps every child row', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = project(
        db,
        `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'a');
INSERT INTO child (parent_id) VALUES (1), (1);`,
        [
          [
            alterColumn(
              'parent',
              'name',
              { nullable: false, default: 'x' },
              { nullable: true, default: null },
            ),
          ],
        ],
      );
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const r = await cli(['apply', '--single-transaction', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      const raw = open(db);
      assert.equal(
        (raw.prepare('SELECT count(*) AS n FROM child').get() as Record<string, unknown>).n,
        2,
        'no child row was deleted',
      );
      raw.close();
    } finally {
      await db.drop();
    }
  });

  it('keeps STRICT, WITHOUT ROWID, partial and DESC indexes, collations, UNIQUE, triggers, views anywhere, and the AUTOINCREMENT mark', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const base = `CREATE TABLE items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL COLLATE NOCASE UNIQUE,
  qty INTEGER NOT NULL DEFAULT 0,
  note TEXT
) STRICT;
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE log (id INTEGER PRIMARY KEY, item_id INTEGER, what TEXT);
CREATE INDEX items_qty_desc ON items (qty DESC, code COLLATE NOCASE);
CREATE INDEX items_noted ON items (note) WHERE note IS NOT NULL;
CREATE VIEW item_codes AS SELECT code FROM items WHERE qty > 0;
CREATE VIEW log_items AS SELECT log.what, items.code FROM log JOIN items ON items.id = log.item_id;
CREATE TRIGGER items_log AFTER UPDATE ON items BEGIN INSERT INTO log (item_id, what) VALUES (new.id, 'updated'); END;
CREATE TRIGGER log_touch AFTER INSERT ON log BEGIN UPDATE items SET note = 'logged' WHERE id = new.item_id AND note IS NULL; END;`;
      const dir = project(db, base, [
        [
          alterColumn('items', 'qty', { default: 1 }, { default: 0 }),
          addCheck('items', 'qty_nonneg', 'qty >= 0'),
        ],
        [alterColumn('kv', 'v', { nullable: false, default: '' }, { nullable: true, default: null })],
      ]);
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const raw = open(db);
      for (let i = 1; i <= 10; i++)
        raw.prepare('INSERT INTO items (code, qty) VALUES (?, ?)').run(`c${i}`, i);
      raw.exec('DELETE FROM items WHERE id > 7'); // the high-water mark (10) is above max(id) (7)
      raw.exec("INSERT INTO kv VALUES ('a', '1'), ('b', '2')");
      const objects = () =>
        raw
          .prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', 'view', 'trigger') ORDER BY name",
          )
          .all();
      const objectsBefore = objects();
      raw.close();
      const schemaBefore = await introspect({ database: db.url });

      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const after = open(db);
      const again = after
        .prepare(
          "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', 'view', 'trigger') ORDER BY name",
        )
        .all();
      assert.deepEqual(again, objectsBefore, 'indexes, views and triggers are back, byte for byte');
      const itemsSql = String(
        (after.prepare("SELECT sql FROM sqlite_schema WHERE name = 'items'").get() as Record<string, unknown>)
          .sql,
      );
      assert.match(itemsSql, /\)\s*STRICT$/);
      assert.match(itemsSql, /COLLATE NOCASE UNIQUE/);
      assert.match(itemsSql, /AUTOINCREMENT/);
      assert.match(
        (after.prepare("SELECT sql FROM sqlite_schema WHERE name = 'kv'").get() as { sql: string }).sql,
        /WITHOUT ROWID$/,
      );
      assert.equal(
        (
          after.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'items'").get() as Record<
            string,
            unknown
          >
        ).seq,
        10,
      );
      after.prepare("INSERT INTO items (code) VALUES ('new')").run();
      assert.equal(
        (after.prepare("SELECT id FROM items WHERE code = 'new'").get() as Record<string, unknown>).id,
        11,
        'ids continue after the mark',
      );
      assert.deepEqual(after.prepare('SELECT k, v FROM kv ORDER BY k').all(), [
        { k: 'a', v: '1' },
        { k: 'b', v: '2' },
      ]);
      after.close();

      const live = await introspect({ database: db.url });
      assert.deepEqual(live.views, schemaBefore.views);
      assert.deepEqual(live.triggers, schemaBefore.triggers);
      assert.deepEqual(live.tables.items?.indexes, schemaBefore.tables.items?.indexes);
      assert.deepEqual(live.tables.items?.uniques, schemaBefore.tables.items?.uniques);
    } finally {
      await db.drop();
    }
  });

  it('a rebuild that would break a foreign key aborts, and everything stays as it was', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = project(
        db,
        `CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER);
INSERT INTO parent VALUES (1);
INSERT INTO child (parent_id) VALUES (1), (99);`,
        [[addForeignKey('child', ['parent_id'], { table: 'parent', columns: ['id'] })]],
      );
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const before = fingerprint(await introspect({ database: db.url }));
      const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /would break 1 foreign key reference\(s\), e\.g\. row 2 of "child" pointing at "parent"/,
      );
      assert.match(r.stderr, /still at revision 001/);
      assert.match(r.stderr, /statement: PRAGMA foreign_key_check\("child"\)/);
      assert.equal(fingerprint(await introspect({ database: db.url })), before);
      const raw = open(db);
      assert.equal((raw.prepare('SELECT count(*) AS n FROM child').get() as { n: number }).n, 2);
      assert.deepEqual(
        raw.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'dbdoctor_rebuild%'").all(),
        [],
      );
      raw.close();
      assert.equal((await status({ database: db.url, dir })).current, '001');
    } finally {
      await db.drop();
    }
  });

  it('dbdoctor sql prints a rebuild that is safe to run by hand: run with the driver, it keeps the ON DELETE CASCADE child row, exactly as apply does', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = project(
        db,
        `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
INSERT INTO parent VALUES (1, 'a'), (2, 'b');
INSERT INTO child (parent_id) VALUES (1), (2), (2);`,
        [
          [
            alterColumn(
              'parent',
              'name',
              { nullable: false, default: 'x' },
              { nullable: true, default: null },
            ),
          ],
        ],
      );
      // A hand-written rebuild in SQL is wrapped the same way.
      fs.writeFileSync(
        path.join(dir, '003_by_hand.sql'),
        sqlFile(`CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);
INSERT INTO new_parent (id, name) SELECT id, name FROM parent;
DROP TABLE parent;
ALTER TABLE new_parent RENAME TO parent;`),
      );
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const file = _file(db);
      const byHand = path.join(db.dir, 'by-hand.sqlite');
      fs.copyFileSync(file, byHand);
      const r = await cli(['sql', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /-- 002_change\nPRAGMA foreign_keys = OFF;\nBEGIN;\nCREATE TABLE "dbdoctor_rebuild_parent"[\s\S]*INSERT INTO "dbdoctor_rebuild_parent"[\s\S]*DROP TABLE "parent";[\s\S]*PRAGMA foreign_key_check;\nCOMMIT;\nPRAGMA foreign_keys = ON;\n/,
      );
      assert.match(r.stdout, /-- 003_by_hand\nPRAGMA foreign_keys = OFF;\nBEGIN;\nCREATE TABLE new_parent/);
      assert.match(r.stdout, /dbdoctor stamp 003/);

      const children = (f: string) => {
        const c = new Database(f, { readonly: true });
        try {
          return c.prepare('SELECT id, parent_id FROM child ORDER BY id').all();
        } finally {
          c.close();
        }
      };
      const before = children(byHand);
      assert.equal(before.length, 3);

      // The same statements without the wrapping, as they used to be printed, delete the children.
      const bare = path.join(db.dir, 'bare.sqlite');
      fs.copyFileSync(file, bare);
      const raw = new Database(bare);
      assert.equal(raw.pragma('foreign_keys', { simple: true }), 1, 'the driver enforces foreign keys');
      const json = (await cli(['sql', '--json', '--url', db.url, '--dir', dir])).json<{
        script: string;
        migrations: { statements: string[] }[];
      }>();
      assert.equal(json.script.trimEnd(), r.stdout.trimEnd(), '--json carries the same script');
      raw.exec(`BEGIN;\n${json.migrations[0]!.statements.map((x) => `${x};`).join('\n')}\nCOMMIT;`);
      raw.close();
      assert.deepEqual(children(bare), [], 'unwrapped, DROP TABLE fired ON DELETE CASCADE');

      // The printed script, run with the driver (foreign keys on, as it opens every database).
      const hand = new Database(byHand);
      assert.equal(hand.pragma('foreign_keys', { simple: true }), 1);
      hand.exec(r.stdout);
      assert.equal(hand.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on');
      assert.deepEqual(hand.pragma('foreign_key_check'), []);
      hand.close();
      assert.deepEqual(children(byHand), before, 'run by hand, every child row survives');

      // apply keeps them too: the same rows, the same parent definition.
      const a = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(a.code, 0, a.stderr);
      assert.deepEqual(children(file), before);
      const parentSql = (f: string) => {
        const c = new Database(f, { readonly: true });
        try {
          return c.prepare("SELECT sql FROM sqlite_schema WHERE name = 'parent'").get();
        } finally {
          c.close();
        }
      };
      assert.deepEqual(parentSql(byHand), parentSql(file));
    } finally {
      await db.drop();
    }
  });

  it('dbdoctor sql shows the exact statements of a rebuild', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = project(
        db,
        `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
CREATE INDEX t_v ON t (v);`,
        [[alterColumn('t', 'v', { nullable: false, default: '' }, { nullable: true, default: null })]],
      );
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const r = await cli(['sql', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      const order = [
        at(/^CREATE TABLE "dbdoctor_rebuild_t" \($/),
        at(/^INSERT INTO "dbdoctor_rebuild_t" \("rowid", "id", "v"\) SELECT "rowid", "id", "v" FROM "t";$/),
        at(/^DROP TABLE "t";$/),
        at(/^ALTER TABLE "dbdoctor_rebuild_t" RENAME TO "t";$/),
        at(/^CREATE INDEX t_v ON t \(v\);$/),
      ];
      assert.ok(
        order.every((i) => i >= 0),
        r.stdout,
      );
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
        'in the documented order',
      );
      assert.match(
        r.stdout,
        /^ {2}v TEXT NOT NULL DEFAULT ''$/m,
        'the column as written, with its new constraints',
      );
      assert.equal((await status({ database: db.url, dir })).current, '001', 'sql changed nothing');
    } finally {
      await db.drop();
    }
  });

  it('apply and down killed in the middle of a large rebuild copy leave no temporary table and no lost row; they then finish', async () => {
    const db = await createTestDatabase('sqlite');
    const ROWS = 400_000;
    try {
      const dir = project(
        db,
        `CREATE TABLE big (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c REAL, d TEXT, e INTEGER, f TEXT, g BLOB);
CREATE INDEX big_a ON big (a);
CREATE INDEX big_b ON big (b);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
INSERT INTO big SELECT i, 'a' || i, i % 97, i * 0.5, 'd', i, 'f', NULL FROM n;`,
        [[alterColumn('big', 'b', { nullable: false, default: 0 }, { nullable: true, default: null })]],
      );
      await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
      const check = async () => {
        const raw = open(db);
        try {
          assert.equal((raw.prepare('SELECT count(*) AS n FROM big').get() as { n: number }).n, ROWS);
          assert.deepEqual(
            raw.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'dbdoctor_rebuild%'").all(),
            [],
          );
          assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
          const sql = (
            raw.prepare("SELECT sql FROM sqlite_schema WHERE name = 'big'").get() as { sql: string }
          ).sql;
          const current = (await status({ database: db.url, dir })).current;
          // History and schema agree: the new definition exactly when 002 is recorded.
          assert.equal(/"?b"? INTEGER NOT NULL DEFAULT 0/.test(sql), current === '002', `${current}: ${sql}`);
          return current;
        } finally {
          raw.close();
        }
      };
      // Each process is killed when it reports its first copied range: mid-copy, inside the
      // rebuild's transaction, whatever the machine's speed (no timer decides when). Should the
      // signal land after the commit anyway, the step is undone and tried again: what is
      // asserted is consistency after every kill, and that some kill landed mid-rebuild.
      const killOnProgress = async (command: 'apply' | 'down') => {
        const child = spawn(
          process.execPath,
          [CLI_PATH, command, '--no-backup', '--url', db.url, '--dir', dir],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let stderr = '';
        child.stderr.on('data', (d) => {
          stderr += d;
          if (/rebuilding big: \d+ of \d+ rows copied/.test(stderr)) child.kill('SIGKILL');
        });
        const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
        assert.match(stderr, new RegExp(`rebuilding big: 250000 of ${ROWS} rows copied`));
        return code;
      };
      const run = async (command: 'apply' | 'down') => {
        const r = await cli([command, '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
      };
      for (const [command, from, to, undo] of [
        ['apply', '001', '002', 'down'],
        ['down', '002', '001', 'apply'],
      ] as const) {
        let killedMidway = 0;
        for (let round = 0; round < 5 && killedMidway === 0; round++) {
          const code = await killOnProgress(command);
          const at = await check();
          if (code === null && at === from) killedMidway++;
          else {
            assert.equal(at, to, `${command} either finished or left nothing`);
            await run(undo);
          }
        }
        assert.ok(killedMidway >= 1, `a ${command} was killed in the middle of its rebuild`);
        // The killed step then runs to its end.
        const done = await cli([command, '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(done.code, 0, done.stderr);
        assert.match(done.stderr, new RegExp(`rebuilding big: ${ROWS} of ${ROWS} rows copied`));
        assert.equal(await check(), to);
      }
    } finally {
      await db.drop();
    }
  });
});
