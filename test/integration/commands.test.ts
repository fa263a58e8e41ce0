import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

// VARCHAR, not TEXT: MySQL indexes and keys a TEXT column only with a prefix length.
const PROJECT = {
  '001_users.sql': sqlMigration(
    'CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\nCREATE INDEX users_email ON users (email);',
    'DROP TABLE users;',
  ),
  '002_posts.sql': sqlMigration(
    'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));',
    'DROP TABLE posts;',
  ),
  '003_tags.sql': sqlMigration('CREATE TABLE tags (name VARCHAR(100) PRIMARY KEY);', 'DROP TABLE tags;'),
};

for (const dialect of DIALECTS) {
  describe(`commands on ${dialect}`, () => {
    let db: TestDatabase;
    let dir: string;
    const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });

    before(async () => {
      db = await createTestDatabase(dialect);
      dir = writeMigrations(db.dir, PROJECT);
    });
    after(() => db.drop());

    it('status on an untouched database lists everything as pending and creates nothing', async () => {
      const r = await run('status', '--json');
      assert.equal(r.code, 0, r.stderr);
      const s = r.json<{
        dialect: string;
        current: null;
        applied: unknown[];
        pending: { id: string }[];
        problems: unknown[];
      }>();
      assert.equal(s.dialect, dialect);
      assert.equal(s.current, null);
      assert.deepEqual(s.applied, []);
      assert.deepEqual(
        s.pending.map((p) => p.id),
        ['001', '002', '003'],
      );
      assert.deepEqual(s.problems, []);
      if (dialect === 'sqlite')
        assert.ok(!fs.existsSync(db.url.slice(7)), 'status did not create the SQLite file');
      else assert.deepEqual(await tableNames(db), []);
    });

    it('apply --dry-run changes nothing', async () => {
      const r = await run('apply', '--dry-run', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['001', '002', '003'],
      );
      if (dialect === 'postgres') assert.deepEqual(await tableNames(db), []);
    });

    it('sql prints the statements apply would run', async () => {
      const r = await run('sql', '--to', '002');
      assert.equal(r.code, 0, r.stderr);
      // Where DDL is not transactional, every migration runs outside a transaction and says so.
      // Elsewhere each is wrapped as apply wraps it (SQLite: foreign keys off outside the transaction).
      const wrap = !capabilitiesOf(dialect).transactionalDdl
        ? ' \\(outside a transaction\\)\\n'
        : dialect === 'sqlite'
          ? '\\nPRAGMA foreign_keys = OFF;\\nBEGIN;\\n'
          : '\\nBEGIN;\\n';
      assert.match(r.stdout, new RegExp(`-- 001_users${wrap}CREATE TABLE users`));
      assert.match(r.stdout, /CREATE INDEX users_email ON users \(email\);/);
      assert.doesNotMatch(r.stdout, /tags/);
    });

    it('apply --to applies up to that id, then apply finishes', async () => {
      const r = await run('apply', '--to', '001', '--json');
      assert.equal(r.code, 0, r.stderr);
      const a = r.json<{ applied: { id: string }[]; after: string; backup: string | null }>();
      assert.deepEqual(
        a.applied.map((x) => x.id),
        ['001'],
      );
      assert.equal(a.after, '001');
      assert.equal(a.backup, null, 'a new database holds nothing to back up');
      const r2 = await run('apply', '--json');
      assert.equal(r2.code, 0, r2.stderr);
      const b = r2.json<{ backup: string | null }>().backup;
      if (dialect === 'sqlite') assert.ok(b && fs.existsSync(b), 'SQLite apply took a backup');
      assert.deepEqual(
        r2.json<{ applied: { id: string }[] }>().applied.map((x) => x.id),
        ['002', '003'],
      );
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
        ['posts', 'tags', 'users'],
      );
    });

    it('status --json follows the contract after apply', async () => {
      const s = (await run('status', '--json')).json<{
        current: string;
        applied: { id: string; name: string; checksum: string; appliedAt: string }[];
        pending: unknown[];
      }>();
      assert.equal(s.current, '003');
      assert.deepEqual(
        s.applied.map((a) => a.id),
        ['001', '002', '003'],
      );
      assert.equal(s.applied[0]!.name, 'users');
      assert.match(s.applied[0]!.checksum, /^[0-9a-f]{64}$/);
      assert.ok(!Number.isNaN(Date.parse(s.applied[0]!.appliedAt)));
      assert.deepEqual(s.pending, []);
    });

    it('apply again is a no-op', async () => {
      const r = await run('apply');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Nothing to apply; database is at 003/);
    });

    it('history lists applied migrations oldest first', async () => {
      const r = await run('history', '--json');
      assert.deepEqual(
        r.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['001', '002', '003'],
      );
      const text = await run('history');
      assert.match(text.stdout, /^001_users .* applied/m);
    });

    it('down reverts one by default, --steps N, and --to ID', async () => {
      let r = await run('down', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.json<{ reverted: { id: string }[] }>().reverted.map((x) => x.id),
        ['003'],
      );
      await run('apply');
      r = await run('down', '--steps', '2', '--json');
      assert.deepEqual(
        r.json<{ reverted: { id: string }[] }>().reverted.map((x) => x.id),
        ['003', '002'],
      );
      await run('apply');
      r = await run('down', '--to', '001', '--dry-run', '--json');
      assert.deepEqual(
        r.json<{ reverted: { id: string }[] }>().reverted.map((x) => x.id),
        ['003', '002'],
      );
      assert.ok((await tableNames(db)).includes('tags'), 'dry run reverted nothing');
      r = await run('down', '--to', '001', '--json');
      assert.equal(r.json<{ after: string }>().after, '001');
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
        ['users'],
      );
    });

    it('down --to base reverts everything; down past base fails and changes nothing', async () => {
      await run('apply');
      let r = await run('down', '--to', 'base');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
        [],
      );
      r = await run('down');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /DOWN_PAST_BASE/);
      assert.match(r.stderr, /Nothing was changed/);
    });

    it('stamp records without running, accepts stems and base, rejects unknown ids', async () => {
      let r = await run('stamp', '002_posts', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json<{ added: string[] }>().added, ['001', '002']);
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
        [],
        'nothing ran',
      );
      r = await run('stamp', '999');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /UNKNOWN_REVISION/);
      assert.equal((await run('status', '--json')).json<{ current: string }>().current, '002');
      r = await run('stamp', 'base', '--json');
      assert.deepEqual(r.json<{ removed: string[] }>().removed, ['001', '002']);
      assert.equal((await run('status', '--json')).json<{ current: null }>().current, null);
    });

    it('--single-transaction applies all or nothing', async () => {
      const d2 = writeMigrations(
        db.dir,
        {
          ...PROJECT,
          '004_bad.sql': sqlMigration('CREATE TABLE fine (x INTEGER);\nTHIS IS NOT SQL;'),
        },
        'single',
      );
      const r = await cli(['apply', '--single-transaction', '--url', db.url, '--dir', d2], { cwd: db.dir });
      assert.equal(r.code, 1);
      if (!capabilitiesOf(dialect).transactionalDdl) {
        // No migration can share a transaction: refused before anything runs.
        assert.match(r.stderr, /SINGLE_TRANSACTION_IMPOSSIBLE/);
        assert.match(r.stderr, /Nothing was changed/);
        assert.deepEqual(
          (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
          [],
        );
        return;
      }
      assert.match(r.stderr, /004_bad/);
      assert.match(r.stderr, /everything was rolled back/);
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
        [],
      );
      fs.rmSync(path.join(d2, '004_bad.sql'));
      const ok = await cli(['apply', '--single-transaction', '--json', '--url', db.url, '--dir', d2], {
        cwd: db.dir,
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.json<{ applied: unknown[] }>().applied.length, 3);
      const rows = await rawQuery(db, 'SELECT id FROM dbdoctor_migrations ORDER BY seq');
      assert.deepEqual(
        rows.map((x) => x.id),
        ['001', '002', '003'],
      );
    });
  });
}

describe('project commands', () => {
  it('init creates migrations/ and a config file; new makes timestamped files', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      let r = await cli(['init', '--json'], { cwd: db.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(fs.existsSync(path.join(db.dir, 'migrations')));
      const config = JSON.parse(fs.readFileSync(path.join(db.dir, 'dbdoctor.config.json'), 'utf8'));
      assert.equal(config.dir, 'migrations');
      r = await cli(['new', 'add_users', '--json'], { cwd: db.dir });
      assert.equal(r.code, 0, r.stderr);
      const { id, file } = r.json<{ id: string; file: string }>();
      assert.match(id, /^\d{14}$/);
      assert.match(fs.readFileSync(file, 'utf8'), /-- migrate:up/);
      r = await cli(['new', 'add_users', '--ts', '--json'], { cwd: db.dir });
      assert.notEqual(r.json<{ id: string }>().id, id, 'ids never collide');
      r = await cli(['new', 'add_status', '--dsl', '--json'], { cwd: db.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        fs.readFileSync(r.json<{ file: string }>().file, 'utf8'),
        /defineMigration\(\{\n {2}ops: \[/,
      );
      r = await cli(['new', 'bad name!'], { cwd: db.dir });
      assert.equal(r.code, 2);
      // the config file is picked up without flags
      r = await cli(['status', '--json'], { cwd: db.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ pending: unknown[] }>().pending.length, 3);
    } finally {
      await db.drop();
    }
  });

  it('every command has --help; bad usage exits 2', async () => {
    for (const cmd of [
      'init',
      'new',
      'status',
      'history',
      'apply',
      'down',
      'stamp',
      'resolve',
      'sql',
      'backup',
      'restore',
    ]) {
      const r = await cli([cmd, '--help']);
      assert.equal(r.code, 0, `${cmd} --help`);
      assert.match(r.stdout, /Usage: dbdoctor/);
      // `new` writes a file and opens no database: --url is not among its options.
      if (cmd === 'new') assert.doesNotMatch(r.stdout, /--url/);
      else assert.match(r.stdout, /--url/);
    }
    assert.equal((await cli(['frobnicate'])).code, 2);
    assert.equal((await cli(['apply', '--no-such-flag'])).code, 2);
    assert.equal((await cli(['stamp'])).code, 2);
  });
});

describe('--json: exactly one JSON document on stdout, whatever happens', () => {
  it('a command line commander cannot parse is BAD_USAGE as JSON, exit 2', async () => {
    for (const args of [
      ['aply', '--json'],
      ['apply', '--dryrun', '--json'],
      ['stamp', '--json'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const doc = r.json<{ ok: boolean; error: { code: string } }>();
      assert.deepEqual([doc.ok, doc.error.code], [false, 'BAD_USAGE']);
    }
  });

  it('a bad duration is bad usage (exit 2)', async () => {
    const r = await cli([
      'apply',
      '--dry-run',
      '--lock-timeout',
      'abc',
      '--json',
      '--url',
      'sqlite::memory:',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.json<{ error: { code: string } }>().error.code, 'BAD_DURATION');
  });

  it("what a migration's own code logs goes to stderr", async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, {
        '001_logs.mjs': `export default { async up(db) { console.log('query returned', await db.query('SELECT 1 AS one')); await db.sql('CREATE TABLE a (x INTEGER)'); } };\n`,
      });
      const r = await cli(['apply', '--json', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['001'],
      );
      assert.match(r.stderr, /query returned/);
    } finally {
      await db.drop();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`function migrations on ${dialect}: one parameterized statement for every dialect`, () => {
    it('$1-style placeholders bind on SQLite and MySQL as on PostgreSQL', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = writeMigrations(db.dir, {
          '001_params.mjs': `export default { async up(db) {
  await db.sql('CREATE TABLE kv (k VARCHAR(100) PRIMARY KEY, v TEXT, n INTEGER)');
  await db.sql('INSERT INTO kv (k, v, n) VALUES ($1, $2, $3)', ['a', '$1 is not a placeholder in a string', 7]);
  const [row] = await db.query('SELECT v FROM kv WHERE k = $1 AND n = $2', ['a', 7]);
  if (!row) throw new Error('the bound query found nothing');
} };
`,
        });
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await rawQuery(db, 'SELECT k, v FROM kv'), [
          { k: 'a', v: '$1 is not a placeholder in a string' },
        ]);
      } finally {
        await db.drop();
      }
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: migrations outside a transaction, back to back`, () => {
    it("each one's applied row and the next one's started row are one write; history ends complete and in order", async () => {
      const db = await createTestDatabase(dialect);
      try {
        const files: Record<string, string> = {};
        for (let i = 1; i <= 3; i++)
          files[`00${i}_c${i}.sql`] =
            `-- migrate:up transaction:false\nCREATE TABLE c${i} (id INTEGER);\nCREATE INDEX c${i}_i ON c${i} (id);\n\n-- migrate:down\nDROP TABLE c${i};\n`;
        const dir = writeMigrations(db.dir, files);
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        const rows = await rawQuery(
          db,
          'SELECT id, status, seq, statements_done, statements_total FROM dbdoctor_migrations ORDER BY seq',
        );
        assert.deepEqual(
          rows.map((x) => [
            x.id,
            x.status,
            Number(x.seq),
            Number(x.statements_done),
            Number(x.statements_total),
          ]),
          [
            ['001', 'applied', 1, 2, 2],
            ['002', 'applied', 2, 2, 2],
            ['003', 'applied', 3, 2, 2],
          ],
        );
      } finally {
        await db.drop();
      }
    });
  });
}
