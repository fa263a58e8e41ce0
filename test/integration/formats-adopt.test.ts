import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, createTestDatabase, DIALECTS, rawQuery, type TestDatabase } from '../helpers/databases.js';
import { createToolTable, type Ran, recordAsTool, type Tool, toolTable } from '../helpers/tool-history.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/formats');

/** Each fixture: the tool's documented layout, the three migrations every fixture holds. */
const FORMATS: Record<
  string,
  { dir: string; ids: [string, string, string]; ran: [Ran, Ran]; down: boolean; extra?: string[] }
> = {
  dbmate: {
    dir: 'db/migrations',
    ids: ['20240101000001', '20240101000002', '20240101000003'],
    ran: [
      { version: '20240101000001', file: 'db/migrations/20240101000001_users.sql' },
      { version: '20240101000002', file: 'db/migrations/20240101000002_notes.sql' },
    ],
    down: true,
  },
  prisma: {
    dir: 'prisma/migrations',
    ids: ['20240101000001', '20240101000002', '20240101000003'],
    ran: [
      { version: '20240101000001_users', file: 'prisma/migrations/20240101000001_users/migration.sql' },
      { version: '20240101000002_notes', file: 'prisma/migrations/20240101000002_notes/migration.sql' },
    ],
    down: false,
  },
  drizzle: {
    dir: 'drizzle',
    ids: ['0000', '0001', '0002'],
    ran: [
      { version: '0000_users', file: 'drizzle/0000_users.sql' },
      { version: '0001_notes', file: 'drizzle/0001_notes.sql' },
    ],
    down: false,
  },
  'golang-migrate': {
    dir: 'migrations',
    ids: ['1', '2', '3'],
    ran: [
      { version: '1', file: 'migrations/1_users.up.sql' },
      { version: '2', file: 'migrations/2_notes.up.sql' },
    ],
    down: true,
  },
  goose: {
    dir: 'migrations',
    ids: ['00001', '00002', '00003'],
    ran: [
      { version: '1', file: 'migrations/00001_users.sql' },
      { version: '2', file: 'migrations/00002_notes.sql' },
    ],
    down: true,
  },
  sqlx: {
    dir: 'migrations',
    ids: ['20240101000001', '20240101000002', '20240101000003'],
    ran: [
      { version: '20240101000001', file: 'migrations/20240101000001_users.up.sql' },
      { version: '20240101000002', file: 'migrations/20240101000002_notes.up.sql' },
    ],
    down: true,
  },
  diesel: {
    dir: 'migrations',
    ids: ['20240101000001', '20240101000002', '20240101000003'],
    ran: [
      { version: '20240101000001', file: 'migrations/2024-01-01-000001_users/up.sql' },
      { version: '20240101000002', file: 'migrations/2024-01-01-000002_notes/up.sql' },
    ],
    down: true,
  },
  flyway: {
    dir: 'db/migration',
    ids: ['1', '2', '3'],
    ran: [
      { version: '1', file: 'db/migration/V1__users.sql' },
      { version: '2', file: 'db/migration/V2__notes.sql' },
    ],
    down: true,
    extra: ['R__user_emails'],
  },
};

/** A copy of a fixture project in a temporary folder (commands may write caches beside it). */
function project(tool: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dbdoctor-${tool}-`));
  fs.cpSync(path.join(FIXTURES, tool), dir, { recursive: true });
  return dir;
}

async function tables(db: TestDatabase): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await rawQuery(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      : await rawQuery(
          db,
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        );
  return rows.map((r) => String(r.name));
}

async function columns(db: TestDatabase, table: string): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await rawQuery(db, `SELECT name FROM pragma_table_info('${table}') ORDER BY cid`)
      : await rawQuery(
          db,
          // The database's own schema: MySQL's information_schema lists every database's tables.
          `SELECT column_name AS name FROM information_schema.columns WHERE table_name = '${table}' AND table_schema = ${db.dialect === 'mysql' ? 'DATABASE()' : 'current_schema()'} ORDER BY ordinal_position`,
        );
  return rows.map((r) => String(r.name));
}

for (const dialect of DIALECTS) {
  describe(`other tools' migration folders, read where they are (${dialect})`, () => {
    for (const [tool, spec] of Object.entries(FORMATS)) {
      it(`${tool}: detected in ${spec.dir}, applied by its rules, reverted, and the doctor agrees`, async () => {
        const db = await createTestDatabase(dialect);
        const cwd = project(tool);
        try {
          const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
          const st = await run('status', '--json');
          assert.equal(st.code, 0, st.stderr);
          assert.equal(
            st.json<{ pending: unknown[] }>().pending.length,
            spec.ids.length + (spec.extra?.length ?? 0),
          );
          const applied = await run('apply', '--json');
          assert.equal(applied.code, 0, applied.stderr);
          const r = applied.json<{ applied: { id: string }[] }>();
          assert.deepEqual(
            r.applied.map((a) => a.id),
            [...spec.ids, ...(spec.extra ?? [])],
          );
          assert.deepEqual(await columns(db, 'users'), ['id', 'email', 'name']);
          assert.deepEqual(
            await rawQuery(db, 'SELECT body FROM notes'),
            [{ body: 'a; b' }],
            'a semicolon in a string',
          );
          const doc = await run('doctor', '--json');
          assert.equal(doc.code, 0, doc.stdout + doc.stderr);
          if (spec.down) {
            const down = await run('down', '--json');
            assert.equal(down.code, 0, down.stderr);
            assert.deepEqual(await columns(db, 'users'), ['id', 'email']);
            assert.deepEqual(await rawQuery(db, 'SELECT body FROM notes'), []);
          } else {
            const down = await run('down');
            assert.equal(down.code, 1);
            assert.match(down.stderr, /NO_DOWN.*migrations have no down/s);
          }
        } finally {
          await db.drop();
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });

      it(`${tool}: adopt takes over its history, apply runs the rest, the doctor is clean, its table untouched`, async () => {
        const db = await createTestDatabase(dialect);
        const cwd = project(tool);
        try {
          const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
          // The tool ran the first two migrations: the schema, then its history as it writes it.
          const sim = await run('apply', '--to', spec.ids[1], '--history-table', 'tool_sim');
          assert.equal(sim.code, 0, sim.stderr);
          await rawQuery(db, 'DROP TABLE tool_sim');
          await rawQuery(db, 'DROP TABLE IF EXISTS tool_sim_lock'); // SQLite's and MySQL's lock owner row
          const t = tool as Tool;
          await createToolTable(db, t);
          await recordAsTool(db, t, cwd, spec.ran);
          const theirs = async () => rawQuery(db, `SELECT * FROM ${toolTable(t, dialect)} ORDER BY 1`);
          const before = await theirs();

          const dry = await run('adopt', '--dry-run', '--json');
          assert.equal(dry.code, 0, dry.stdout + dry.stderr);
          const plan = dry.json<{ adopted: { id: string }[]; pending: { id: string }[]; dryRun: boolean }>();
          assert.deepEqual(
            plan.adopted.map((a) => a.id),
            spec.ids.slice(0, 2),
          );
          assert.ok(!(await tables(db)).includes('dbdoctor_migrations'), 'a dry run records nothing');

          const done = await run('adopt', '--json');
          assert.equal(done.code, 0, done.stdout + done.stderr);
          const r = done.json<{
            adopted: { id: string }[];
            pending: { id: string }[];
            tool: string;
            ok: boolean;
          }>();
          assert.equal(r.tool, tool);
          assert.deepEqual(
            r.adopted.map((a) => a.id),
            spec.ids.slice(0, 2),
          );
          assert.deepEqual(
            r.pending.map((p) => p.id),
            [spec.ids[2], ...(spec.extra ?? [])],
          );
          const text = await run('adopt');
          assert.equal(text.code, 0, text.stderr);
          assert.match(text.stdout, /^database: /m);
          assert.match(text.stdout, /Nothing to adopt|already in dbdoctor's history/);

          const apply = await run('apply', '--json');
          assert.equal(apply.code, 0, apply.stderr);
          assert.deepEqual(
            apply.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
            [spec.ids[2], ...(spec.extra ?? [])],
          );
          const doc = await run('doctor', '--json');
          assert.equal(doc.code, 0, doc.stdout);
          assert.equal(doc.json<{ ok: boolean }>().ok, true);
          const schema = await cli(['schema', '--json', '--url', db.url], { cwd });
          assert.equal(schema.code, 0, schema.stderr);
          assert.ok(
            !schema.stdout.includes(toolTable(t, 'sqlite')),
            `schema leaves ${toolTable(t, dialect)} out`,
          );
          assert.deepEqual(await theirs(), before, "the other tool's table is left untouched");
        } finally {
          await db.drop();
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });
    }

    for (const tool of ['knex', 'alembic'] as const) {
      it(`${tool}: adopt maps its records to dbdoctor files (names, or --map for revision ids)`, async () => {
        const db = await createTestDatabase(dialect);
        const cwd = project('dbmate');
        try {
          const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
          assert.equal((await run('apply', '--to', '20240101000002', '--history-table', 'tool_sim')).code, 0);
          await rawQuery(db, 'DROP TABLE tool_sim');
          await rawQuery(db, 'DROP TABLE IF EXISTS tool_sim_lock'); // SQLite's and MySQL's lock owner row
          await createToolTable(db, tool);
          const ran: Ran[] =
            tool === 'knex'
              ? [
                  { version: '20240101000001_users.js', file: 'db/migrations/20240101000001_users.sql' },
                  { version: '20240101000002_notes.js', file: 'db/migrations/20240101000002_notes.sql' },
                ]
              : [{ version: 'ae1027a6acf', file: 'db/migrations/20240101000002_notes.sql' }];
          await recordAsTool(db, tool, cwd, ran);
          if (tool === 'alembic') {
            const unmapped = await run('adopt', '--json');
            assert.equal(unmapped.code, 1);
            assert.match(unmapped.stdout, /--map ae1027a6acf=<id>/);
            assert.ok(!(await tables(db)).includes('dbdoctor_migrations') || true);
          }
          const args = tool === 'alembic' ? ['--map', 'ae1027a6acf=20240101000002'] : [];
          const r = await run('adopt', '--json', ...args);
          assert.equal(r.code, 0, r.stdout + r.stderr);
          assert.deepEqual(
            r.json<{ adopted: { id: string }[] }>().adopted.map((a) => a.id),
            ['20240101000001', '20240101000002'],
          );
          assert.equal((await run('apply')).code, 0);
          assert.equal((await run('doctor')).code, 0);
        } finally {
          await db.drop();
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });
    }
  });
}

describe('adopt reports what it does not adopt, and refuses a schema that does not match', () => {
  let db: TestDatabase;
  let cwd: string;
  before(async () => {
    db = await createTestDatabase('sqlite');
  });
  after(async () => {
    await db.drop();
  });

  const cases: [Tool, string, Ran[], RegExp][] = [
    [
      'prisma',
      'prisma',
      [
        { version: '20240101000001_users', file: 'prisma/migrations/20240101000001_users/migration.sql' },
        {
          version: '20240101000002_notes',
          file: 'prisma/migrations/20240101000002_notes/migration.sql',
          failed: true,
        },
      ],
      /never finished: it failed/,
    ],
    [
      'flyway',
      'flyway',
      [
        { version: '1', file: 'db/migration/V1__users.sql' },
        { version: '2', file: 'db/migration/V2__notes.sql', failed: true },
      ],
      /success = false/,
    ],
    [
      'sqlx',
      'sqlx',
      [
        { version: '20240101000001', file: 'migrations/20240101000001_users.up.sql' },
        { version: '20240101000002', file: 'migrations/20240101000002_notes.up.sql', failed: true },
      ],
      /success = false/,
    ],
    [
      'golang-migrate',
      'golang-migrate',
      [
        { version: '1', file: 'migrations/1_users.up.sql' },
        { version: '2', file: 'migrations/2_notes.up.sql', failed: true },
      ],
      /dirty/,
    ],
  ];
  for (const [tool, fixture, ran, why] of cases) {
    it(`${tool}: a failed entry is reported and not adopted (exit 1); the ones before it are`, async () => {
      const fresh = await createTestDatabase('sqlite');
      cwd = project(fixture);
      try {
        const run = (...args: string[]) => cli([...args, '--url', fresh.url], { cwd });
        assert.equal(
          (await run('apply', '--to', FORMATS[fixture]!.ids[0], '--history-table', 'sim')).code,
          0,
        );
        await rawQuery(fresh, 'DROP TABLE sim');
        await rawQuery(fresh, 'DROP TABLE IF EXISTS sim_lock');
        await createToolTable(fresh, tool);
        await recordAsTool(fresh, tool, cwd, ran);
        const r = await run('adopt', '--json');
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const doc = r.json<{ adopted: { id: string }[]; notAdopted: { reason: string }[]; ok: boolean }>();
        assert.equal(doc.ok, false);
        assert.deepEqual(
          doc.adopted.map((a) => a.id),
          [FORMATS[fixture]!.ids[0]],
        );
        assert.match(doc.notAdopted[0]!.reason, why);
        const text = await run('adopt', '--dry-run');
        assert.match(text.stdout, /NOT adopted/);
      } finally {
        await fresh.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });
  }

  it('a history that says more than the schema shows is refused: ADOPT_SCHEMA_MISMATCH, nothing recorded', async () => {
    cwd = project('dbmate');
    try {
      const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
      assert.equal((await run('apply', '--to', '20240101000001', '--history-table', 'sim')).code, 0);
      await rawQuery(db, 'DROP TABLE sim');
      await rawQuery(db, 'DROP TABLE IF EXISTS sim_lock');
      await createToolTable(db, 'dbmate');
      await recordAsTool(db, 'dbmate', cwd, FORMATS.dbmate!.ran);
      const r = await run('adopt');
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /ADOPT_SCHEMA_MISMATCH.*records the database at 20240101000002.*matches 20240101000001/s,
      );
      assert.match(r.stderr, /Nothing was recorded/);
      assert.doesNotMatch(r.stderr, /INTERNAL/);
      const rows = await rawQuery(db, "SELECT name FROM sqlite_master WHERE name = 'dbdoctor_migrations'");
      assert.ok(
        rows.length === 0 || (await rawQuery(db, 'SELECT * FROM dbdoctor_migrations')).length === 0,
        'nothing recorded',
      );
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("--history-table naming a table that is not dbdoctor's is HISTORY_TABLE_FOREIGN, not INTERNAL", async () => {
    cwd = project('dbmate');
    try {
      await rawQuery(db, 'CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) primary key)');
      for (const command of ['status', 'history', 'apply', 'doctor']) {
        const r = await cli([command, '--url', db.url, '--history-table', 'schema_migrations'], { cwd });
        assert.equal(r.code, 1, `${command}: ${r.stderr}`);
        assert.match(
          r.stderr,
          /HISTORY_TABLE_FOREIGN.*schema_migrations is not a dbdoctor history table/s,
          command,
        );
        assert.match(r.stderr, /dbdoctor adopt/);
        assert.doesNotMatch(r.stderr, /INTERNAL|column "?seq"? does not exist|no such column/);
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
