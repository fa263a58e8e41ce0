import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  rawExec,
  rawQuery,
  type TestDatabase,
} from '../helpers/databases.js';
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

  it("records no file matches because the folder is not the tool's: adopt says where the tool keeps them", async () => {
    const fresh = await createTestDatabase('sqlite');
    cwd = project('prisma');
    try {
      const run = (...args: string[]) => cli([...args, '--url', fresh.url], { cwd });
      assert.equal((await run('apply', '--to', '20240101000001', '--history-table', 'sim')).code, 0);
      await rawQuery(fresh, 'DROP TABLE sim');
      await rawQuery(fresh, 'DROP TABLE IF EXISTS sim_lock');
      await createToolTable(fresh, 'prisma');
      await recordAsTool(fresh, 'prisma', cwd, [FORMATS.prisma!.ran[0]!]);
      // An empty migrations/ named in the config (as an earlier `init` wrote it).
      fs.mkdirSync(path.join(cwd, 'migrations'));
      fs.writeFileSync(path.join(cwd, 'dbdoctor.config.json'), '{"dir": "migrations"}\n');
      const r = await run('adopt');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /NOT adopted 20240101000001_users: no migration file is this one/);
      assert.match(r.stdout, /note: 1 of prisma's records match no file.*is empty.*--dir prisma\/migrations/);
      const ok = await run('adopt', '--dir', 'prisma/migrations');
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    } finally {
      await fresh.drop();
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

for (const dialect of DIALECTS) {
  describe(`adopt as a team switching tools meets it (${dialect})`, () => {
    it('flyway: repeatables that ran count with the versioned migrations applied, a versioned one not yet deployed is pending', async () => {
      const db = await createTestDatabase(dialect);
      const cwd = project('flyway');
      try {
        const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
        // V1.1 between V1 and V2 (Flyway's dotted versions); V3 is written but not deployed.
        fs.writeFileSync(
          path.join(cwd, 'db/migration/V1.1__user_email_index.sql'),
          'CREATE INDEX users_email ON users (email);\n',
        );
        const sim = await run('apply', '--to', '2', '--history-table', 'tool_sim');
        assert.equal(sim.code, 0, sim.stderr);
        await rawQuery(db, 'DROP TABLE tool_sim');
        await rawQuery(db, 'DROP TABLE IF EXISTS tool_sim_lock');
        // Flyway ran the repeatable after the versioned migrations of that run.
        await rawExec(db, fs.readFileSync(path.join(cwd, 'db/migration/R__user_emails.sql'), 'utf8'));
        await createToolTable(db, 'flyway');
        await recordAsTool(db, 'flyway', cwd, [
          { version: '1', file: 'db/migration/V1__users.sql' },
          { version: '1.1', file: 'db/migration/V1.1__user_email_index.sql' },
          { version: '2', file: 'db/migration/V2__notes.sql' },
          { version: 'R__user_emails', file: 'db/migration/R__user_emails.sql' },
        ]);

        const dry = await run('adopt', '--dry-run', '--json');
        assert.equal(dry.code, 0, dry.stdout + dry.stderr);
        const plan = dry.json<{ adopted: { id: string }[]; pending: { id: string }[]; revision: string }>();
        assert.deepEqual(
          plan.adopted.map((a) => a.id),
          ['1', '1.1', '2', 'R__user_emails'],
        );
        assert.deepEqual(
          plan.pending.map((p) => p.id),
          ['3'],
        );
        assert.equal(plan.revision, '2');
        const done = await run('adopt');
        assert.equal(done.code, 0, done.stdout + done.stderr);
        assert.doesNotMatch(done.stdout, /doctor:/);
        const doc = await run('doctor', '--json');
        assert.equal(doc.code, 0, doc.stdout);
        const st = await run('status', '--json');
        assert.deepEqual(
          st.json<{ current: string; pending: { id: string }[] }>().pending.map((p) => p.id),
          ['3'],
        );
        const apply = await run('apply', '--json');
        assert.equal(apply.code, 0, apply.stderr);
        assert.deepEqual(
          apply.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
          ['3'],
          'the repeatable is unchanged: not run again',
        );
        assert.equal((await run('doctor')).code, 0);
        const again = await run('adopt', '--json');
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.deepEqual(again.json<{ adopted: unknown[] }>().adopted, []);
      } finally {
        await db.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });

    it("drizzle: rows are matched by created_at as drizzle's migrator does; a file edited since it ran is said so, a row no entry matches is listed", async () => {
      const db = await createTestDatabase(dialect);
      const cwd = project('drizzle');
      try {
        const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
        assert.equal((await run('apply', '--to', '0001', '--history-table', 'tool_sim')).code, 0);
        await rawQuery(db, 'DROP TABLE tool_sim');
        await rawQuery(db, 'DROP TABLE IF EXISTS tool_sim_lock');
        await createToolTable(db, 'drizzle');
        await recordAsTool(db, 'drizzle', cwd, FORMATS.drizzle!.ran);
        // Edited after drizzle ran it: its hash no longer matches, its `when` still does.
        fs.appendFileSync(path.join(cwd, 'drizzle/0001_notes.sql'), '\n');
        const r = await run('adopt', '--json');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const doc = r.json<{ adopted: { id: string; changed: boolean }[]; pending: { id: string }[] }>();
        assert.deepEqual(doc.adopted, [
          { id: '0000', name: 'users', ref: '0000_users', changed: false },
          { id: '0001', name: 'notes', ref: '0001_notes', changed: true },
        ]);
        assert.deepEqual(
          doc.pending.map((p) => p.id),
          ['0002'],
        );
        // A row whose created_at no journal entry has (a migration removed from the journal).
        await rawQuery(
          db,
          `INSERT INTO ${toolTable('drizzle', dialect)} (${dialect === 'sqlite' ? 'id, ' : ''}hash, created_at) VALUES (${dialect === 'sqlite' ? '3, ' : ''}'${'ab'.repeat(32)}', 1704067209000)`,
        );
        const text = await run('adopt', '--dry-run');
        assert.equal(text.code, 0, text.stdout + text.stderr);
        assert.match(
          text.stdout,
          /NOT adopted created_at 1704067209000 \(hash abababababab…\): no journal entry/,
        );
        const again = await run('adopt', '--json');
        assert.equal(again.code, 0, again.stdout);
        assert.equal(again.json<{ notAdopted: unknown[] }>().notAdopted.length, 1);
        // Before any takeover, a row no file matches stops adopt (exit 1), listed.
        const fresh = await createTestDatabase(dialect);
        try {
          const f = (...args: string[]) => cli([...args, '--url', fresh.url], { cwd });
          assert.equal((await f('apply', '--to', '0000', '--history-table', 'sim')).code, 0);
          await rawQuery(fresh, 'DROP TABLE sim');
          await rawQuery(fresh, 'DROP TABLE IF EXISTS sim_lock');
          await createToolTable(fresh, 'drizzle');
          await recordAsTool(fresh, 'drizzle', cwd, [FORMATS.drizzle!.ran[0]]);
          await rawQuery(
            fresh,
            `INSERT INTO ${toolTable('drizzle', dialect)} (${dialect === 'sqlite' ? 'id, ' : ''}hash, created_at) VALUES (${dialect === 'sqlite' ? '2, ' : ''}'${'cd'.repeat(32)}', 1704067209000)`,
          );
          const first = await f('adopt', '--json');
          assert.equal(first.code, 1, first.stdout);
          const d = first.json<{ notAdopted: { ref: string; needsAction: boolean }[] }>();
          assert.match(d.notAdopted[0]!.ref, /created_at 1704067209000/);
          assert.equal(d.notAdopted[0]!.needsAction, true);
        } finally {
          await fresh.drop();
        }
      } finally {
        await db.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });

    it('adopt is idempotent: after the takeover and an apply it has nothing to adopt (exit 0), so `adopt && apply` works on every deploy', async () => {
      const db = await createTestDatabase(dialect);
      const cwd = project('dbmate');
      try {
        const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
        assert.equal((await run('apply', '--to', '20240101000002', '--history-table', 'sim')).code, 0);
        await rawQuery(db, 'DROP TABLE sim');
        await rawQuery(db, 'DROP TABLE IF EXISTS sim_lock');
        await createToolTable(db, 'dbmate');
        await recordAsTool(db, 'dbmate', cwd, FORMATS.dbmate!.ran);
        for (let deploy = 1; deploy <= 3; deploy++) {
          const adopt = await run('adopt');
          assert.equal(adopt.code, 0, `deploy ${deploy}: ${adopt.stdout}${adopt.stderr}`);
          if (deploy > 1) assert.match(adopt.stdout, /Nothing to adopt: dbdoctor's history already holds/);
          const apply = await run('apply');
          assert.equal(apply.code, 0, apply.stderr);
        }
        // dbdoctor's history is ahead of dbmate's (20240101000003 ran since): still nothing to adopt.
        const dry = await run('adopt', '--dry-run', '--json');
        assert.equal(dry.code, 0, dry.stdout);
        assert.equal(dry.json<{ revision: string }>().revision, '20240101000003');
      } finally {
        await db.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });

    it('prisma: a rolled-back row is reported, not adopted and not an error; apply runs it, and adopt stays clean', async () => {
      const db = await createTestDatabase(dialect);
      const cwd = project('prisma');
      try {
        const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
        assert.equal((await run('apply', '--to', '20240101000001', '--history-table', 'sim')).code, 0);
        await rawQuery(db, 'DROP TABLE sim');
        await rawQuery(db, 'DROP TABLE IF EXISTS sim_lock');
        await createToolTable(db, 'prisma');
        // 0002 failed, and `prisma migrate resolve --rolled-back` marked it so.
        await recordAsTool(db, 'prisma', cwd, [
          FORMATS.prisma!.ran[0]!,
          { ...FORMATS.prisma!.ran[1]!, failed: true },
        ]);
        await rawQuery(
          db,
          "UPDATE _prisma_migrations SET rolled_back_at = started_at WHERE migration_name = '20240101000002_notes'",
        );
        for (let i = 0; i < 2; i++) {
          const r = await run('adopt', '--json');
          assert.equal(r.code, 0, r.stdout + r.stderr);
          const doc = r.json<{
            adopted: { id: string }[];
            notAdopted: { ref: string; state: string; needsAction: boolean; reason: string }[];
            pending: { id: string }[];
          }>();
          assert.deepEqual(
            doc.adopted.map((a) => a.id),
            i === 0 ? ['20240101000001'] : [],
          );
          assert.equal(doc.notAdopted.length, 1);
          assert.equal(doc.notAdopted[0]!.state, 'rolled-back');
          assert.equal(doc.notAdopted[0]!.needsAction, false);
          assert.match(doc.notAdopted[0]!.reason, /rolled back.*dbdoctor apply runs it/);
        }
        const apply = await run('apply', '--json');
        assert.equal(apply.code, 0, apply.stderr);
        assert.deepEqual(
          apply.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
          ['20240101000002', '20240101000003'],
        );
        const after = await run('adopt');
        assert.equal(after.code, 0, after.stdout + after.stderr);
        assert.match(after.stdout, /NOT adopted 20240101000002_notes.*dbdoctor's history has it since/);
        assert.equal((await run('doctor')).code, 0);
      } finally {
        await db.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });

    it('golang-migrate: a dirty version is reported as dirty whatever the schema shows, and stamping it settles adopt', async () => {
      const db = await createTestDatabase(dialect);
      const cwd = project('golang-migrate');
      try {
        const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
        // Version 2 failed as golang-migrate saw it, yet all of its changes are there.
        assert.equal((await run('apply', '--to', '2', '--history-table', 'sim')).code, 0);
        await rawQuery(db, 'DROP TABLE sim');
        await rawQuery(db, 'DROP TABLE IF EXISTS sim_lock');
        await createToolTable(db, 'golang-migrate');
        await recordAsTool(db, 'golang-migrate', cwd, [
          FORMATS['golang-migrate']!.ran[0]!,
          { ...FORMATS['golang-migrate']!.ran[1]!, failed: true },
        ]);
        for (const args of [['--dry-run'], []]) {
          const r = await run('adopt', ...args);
          assert.equal(r.code, 1, r.stdout + r.stderr);
          assert.match(r.stderr, /ADOPT_FAILED_MIGRATION.*records 2 as failed \(dirty: it failed part-way/s);
          assert.match(r.stderr, /the live schema matches 2/);
          assert.match(r.stderr, /Verify its changes.*dbdoctor stamp 2/s);
          assert.match(r.stderr, /Nothing was recorded/);
          assert.doesNotMatch(r.stderr, /ADOPT_SCHEMA_MISMATCH/);
        }
        assert.ok(!(await tables(db)).includes('dbdoctor_migrations'), 'nothing recorded');
        assert.equal((await run('stamp', '2')).code, 0);
        const settled = await run('adopt', '--json');
        assert.equal(settled.code, 0, settled.stdout + settled.stderr);
        const doc = settled.json<{ notAdopted: { state: string; reason: string; needsAction: boolean }[] }>();
        assert.equal(doc.notAdopted[0]!.state, 'failed');
        assert.match(doc.notAdopted[0]!.reason, /dirty.*dbdoctor's history has it since/);
        assert.equal(doc.notAdopted[0]!.needsAction, false);
        assert.equal((await run('apply')).code, 0);
        assert.equal((await run('doctor')).code, 0);
      } finally {
        await db.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });

    it('flyway: down past a version without a U file is NO_DOWN, advising `dbdoctor restore` only where the dialect has online backups', async () => {
      const db = await createTestDatabase(dialect);
      const cwd = project('flyway');
      try {
        const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
        assert.equal((await run('apply')).code, 0);
        const r = await run('down', '--steps', '2');
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /NO_DOWN.*2_notes has no down section/s);
        if (capabilitiesOf(dialect).onlineBackup) assert.match(r.stderr, /dbdoctor restore FILE/);
        else {
          assert.doesNotMatch(r.stderr, /dbdoctor restore/);
          assert.match(r.stderr, /from a backup of your own/);
        }
      } finally {
        await db.drop();
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
}
