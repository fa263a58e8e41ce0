import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openSessionStore, SESSIONS_HISTORY_TABLE } from '../../src/sessions/index.js';
import {
  cli,
  createTestDatabase,
  DIALECTS,
  pendingOn,
  rawQuery,
  SESSIONS_PENDING,
  tableNames,
} from '../helpers/databases.js';
import { createTestRedis } from '../helpers/session-backends.js';

for (const dialect of DIALECTS) {
  describe(`dbdoctor sessions on ${dialect}`, pendingOn(dialect, SESSIONS_PENDING), () => {
    it('migrations lists the shipped files; install applies them in their own history, once', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const listed = await cli(['sessions', 'migrations', '--url', db.url, '--json']);
        assert.equal(listed.code, 0, listed.stderr);
        const doc = listed.json<{ dialect: string; files: { file: string; path: string }[] }>();
        assert.equal(doc.dialect, dialect);
        assert.ok(doc.files.length >= 1);
        for (const f of doc.files) {
          assert.ok(fs.existsSync(f.path), f.path);
          assert.ok(f.path.includes(path.join('sessions-migrations', dialect)), f.path);
        }

        const dry = await cli(['sessions', 'install', '--url', db.url, '--dry-run']);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /would apply \d+_dbdoctor_sessions/);
        assert.ok(!(await tableNames(db)).includes('dbdoctor_sessions'), 'a dry run creates nothing');

        const first = await cli(['sessions', 'install', '--url', db.url, '--json']);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.json<{ applied: unknown[] }>().applied.length, doc.files.length);
        const again = await cli(['sessions', 'install', '--url', db.url]);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /up to date/);
        const tables = await tableNames(db);
        for (const t of ['dbdoctor_sessions', 'dbdoctor_login_attempts', SESSIONS_HISTORY_TABLE])
          assert.ok(tables.includes(t), `${t} in ${tables.join(', ')}`);
        assert.ok(!tables.includes('dbdoctor_migrations'), "the project's history table is not touched");
      } finally {
        await db.drop();
      }
    });

    it('sweep removes only expired sessions; list shows live ones with filters', async () => {
      const db = await createTestDatabase(dialect);
      try {
        assert.equal((await cli(['sessions', 'install', '--url', db.url])).code, 0);
        const store = await openSessionStore(db.url);
        try {
          await store.create('live-1', { a: 1 }, { ttl: '1h' });
          await store.create('live-2', { a: 2 }, { ttl: '1h' });
          await store.abandon('live-2');
          for (let i = 0; i < 7; i++) await store.create(`old-${i}`, { i }, { ttl: 1 });
        } finally {
          await store.close();
        }
        await new Promise((r) => setTimeout(r, 5)); // a 1 ms TTL against the real clock the CLI uses

        const listed = await cli(['sessions', 'list', '--url', db.url, '--json', '--show-ids']);
        assert.equal(listed.code, 0, listed.stderr);
        const doc = listed.json<{ total: number; idsMasked: boolean; sessions: { key: string }[] }>();
        assert.equal(doc.total, 2);
        assert.equal(doc.idsMasked, false);
        assert.deepEqual(doc.sessions.map((s) => s.key).sort(), ['live-1', 'live-2']);
        const abandoned = await cli([
          'sessions',
          'list',
          '--url',
          db.url,
          '--status',
          'abandoned',
          '--show-ids',
        ]);
        assert.match(abandoned.stdout, /^live-2 +abandoned/m);
        assert.doesNotMatch(abandoned.stdout, /live-1/);
        const withExpired = await cli(['sessions', 'list', '--url', db.url, '--include-expired', '--json']);
        assert.equal(withExpired.json<{ sessions: unknown[] }>().sessions.length, 9);

        const swept = await cli(['sessions', 'sweep', '--url', db.url, '--json']);
        assert.equal(swept.code, 0, swept.stderr);
        assert.deepEqual(swept.json(), { ok: true, removed: 7 });
        // MySQL: `key` is a reserved word, and the column VARBINARY (bytes, compared exactly).
        const rows = await rawQuery(
          db,
          dialect === 'mysql'
            ? 'SELECT CAST(`key` AS CHAR) AS `key` FROM dbdoctor_sessions ORDER BY `key`'
            : 'SELECT key FROM dbdoctor_sessions ORDER BY key',
        );
        assert.deepEqual(
          rows.map((r) => r.key),
          ['live-1', 'live-2'],
        );
        const human = await cli(['sessions', 'sweep', '--url', db.url]);
        assert.equal(human.stdout.trim(), 'Removed 0 expired sessions.');
      } finally {
        await db.drop();
      }
    });

    it('sweep and list on a database without the session tables: a clear error, exit 1, nothing created', async () => {
      const db = await createTestDatabase(dialect);
      try {
        if (dialect === 'sqlite') await rawQuery(db, 'CREATE TABLE app (id INTEGER)');
        for (const command of ['sweep', 'list']) {
          const r = await cli(['sessions', command, '--url', db.url]);
          assert.equal(r.code, 1, `${command}: ${r.stderr}`);
          assert.match(r.stderr, /dbdoctor_sessions/);
          assert.match(r.stderr, /next: .*installSessionTables|dbdoctor sessions install/);
        }
        assert.ok(!(await tableNames(db)).includes('dbdoctor_sessions'));
      } finally {
        await db.drop();
      }
    });
  });
}

describe('dbdoctor sessions list masks session ids (bearer tokens) by default', () => {
  for (const backend of ['sqlite', 'redis'] as const) {
    it(`on ${backend}: text and --json show a short prefix; --show-ids prints them whole`, async () => {
      const db = backend === 'sqlite' ? await createTestDatabase('sqlite') : null;
      const redis = backend === 'redis' ? await createTestRedis() : null;
      const url = db?.url ?? redis!.url;
      try {
        if (db) assert.equal((await cli(['sessions', 'install', '--url', url])).code, 0);
        const store = await openSessionStore(url);
        const token = (await store.create(null, { user: 'ada' })).key;
        await store.create('+15551234567', { phone: true });
        await store.close();

        const text = await cli(['sessions', 'list', '--url', url]);
        assert.equal(text.code, 0, text.stderr);
        assert.ok(!text.stdout.includes(token), 'the whole token is not printed');
        assert.ok(!text.stdout.includes('+15551234567'));
        assert.match(text.stdout, new RegExp(`^${token.slice(0, 6).replace(/[-]/g, '\\-')}… +active`, 'm'));
        assert.match(text.stdout, /^\+15… +active/m);
        assert.match(text.stdout, /--show-ids/);
        const json = await cli(['sessions', 'list', '--url', url, '--json']);
        assert.ok(!json.stdout.includes(token));
        const doc = json.json<{ idsMasked: boolean; sessions: { key: string }[] }>();
        assert.equal(doc.idsMasked, true);
        assert.deepEqual(doc.sessions.map((s) => s.key).sort(), [`${token.slice(0, 6)}…`, '+15…'].sort());

        const whole = await cli(['sessions', 'list', '--url', url, '--show-ids']);
        assert.ok(whole.stdout.includes(token));
        assert.ok(whole.stdout.includes('+15551234567'));
      } finally {
        await db?.drop();
        await redis?.drop();
      }
    });
  }
});

describe('dbdoctor sessions on Redis', () => {
  it('sweep and list take a redis:// URL; install has nothing to do; migrations asks for --dialect; a password is never printed', async () => {
    const redis = await createTestRedis();
    try {
      const store = await openSessionStore(redis.url);
      await store.create('live', { a: 1 }, { ttl: '1h' });
      for (let i = 0; i < 3; i++) await store.create(`old-${i}`, { i }, { ttl: 1 });
      await store.close();
      await new Promise((r) => setTimeout(r, 5)); // a 1 ms TTL against the real clock the CLI uses
      const listed = await cli([
        'sessions',
        'list',
        '--url',
        redis.url,
        '--json',
        '--show-ids',
        '--include-expired',
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.json<{ total: number }>().total, 1);
      assert.equal(listed.json<{ sessions: unknown[] }>().sessions.length, 4);
      const swept = await cli(['sessions', 'sweep', '--url', redis.url, '--json']);
      assert.deepEqual(swept.json(), { ok: true, removed: 3 });
      const keys = await redis.keys();
      assert.ok(keys.includes(`${redis.prefix}session:live`), keys.join(', '));
      assert.ok(!keys.some((k) => k.includes('old-')), keys.join(', '));
      const install = await cli(['sessions', 'install', '--url', redis.url]);
      assert.equal(install.code, 0);
      assert.match(install.stdout, /nothing to install/);
      const migrations = await cli(['sessions', 'migrations', '--url', redis.url]);
      assert.equal(migrations.code, 2);
      assert.match(migrations.stderr, /--dialect/);
      const secret = new URL(redis.url);
      secret.password = 's3cret-pw';
      const refused = await cli(['sessions', 'list', '--url', secret.toString()]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /DB_UNREACHABLE/);
      assert.ok(!refused.stderr.includes('s3cret-pw') && !refused.stdout.includes('s3cret-pw'));
      const down = await cli(['sessions', 'sweep', '--url', 'redis://127.0.0.1:1']);
      assert.equal(down.code, 1);
      assert.match(down.stderr, /DB_UNREACHABLE.*127\.0\.0\.1:1/);
    } finally {
      await redis.drop();
    }
  });
});

describe('dbdoctor sessions copy and bad usage', () => {
  it('copy puts the migrations into the project, is a no-op the second time, and refuses to overwrite a changed file', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = path.join(db.dir, 'migrations');
      const first = await cli(['sessions', 'copy', '--dir', dir, '--url', db.url, '--json']);
      assert.equal(first.code, 0, first.stderr);
      const copied = first.json<{ copied: string[]; alreadyPresent: string[] }>().copied;
      assert.ok(copied.length >= 1);
      const second = await cli(['sessions', 'copy', '--dir', dir, '--url', db.url, '--json']);
      assert.deepEqual(second.json(), {
        ok: true,
        dialect: 'sqlite',
        dir,
        copied: [],
        alreadyPresent: copied,
      });

      const applied = await cli(['apply', '--dir', dir, '--url', db.url, '--no-backup']);
      assert.equal(applied.code, 0, applied.stderr);
      assert.ok((await tableNames(db)).includes('dbdoctor_sessions'));

      const file = path.join(dir, copied[0] as string);
      fs.appendFileSync(file, '\n-- edited\n');
      const edited = fs.readFileSync(file, 'utf8');
      const pgCopy = await cli(['sessions', 'copy', '--dir', dir, '--dialect', 'sqlite']);
      assert.equal(pgCopy.code, 1);
      assert.match(pgCopy.stderr, /SESSION_MIGRATION_CONFLICT/);
      assert.match(pgCopy.stderr, /No file was copied/);
      assert.equal(fs.readFileSync(file, 'utf8'), edited, 'the changed file is left as it was');
    } finally {
      await db.drop();
    }
  });

  it("copy gives the copied migrations fresh ids after the project's latest, so the next apply runs them (not OUT_OF_ORDER)", async () => {
    const db = await createTestDatabase('sqlite');
    try {
      // A project whose applied migrations are newer than the shipped file's id, and one numbered far ahead.
      const dir = path.join(db.dir, 'migrations');
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, '20270101000000_users.sql'),
        '-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n',
      );
      fs.writeFileSync(
        path.join(dir, '20990101000000_posts.sql'),
        '-- migrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY);\n',
      );
      const applied = await cli(['apply', '--dir', dir, '--url', db.url, '--no-backup']);
      assert.equal(applied.code, 0, applied.stderr);
      const copy = await cli(['sessions', 'copy', '--dir', dir, '--url', db.url, '--json']);
      assert.equal(copy.code, 0, copy.stderr);
      const { copied } = copy.json<{ copied: string[] }>();
      // Both shipped session migrations, in order, each under the next id.
      assert.deepEqual(copied, [
        '20990101000001_dbdoctor_sessions.sql',
        '20990101000002_dbdoctor_login_attempts_sliding.sql',
      ]);
      assert.equal(
        fs.readFileSync(path.join(dir, copied[0]!), 'utf8'),
        fs.readFileSync(
          path.join(
            import.meta.dirname,
            '../../sessions-migrations/sqlite/20260101000000_dbdoctor_sessions.sql',
          ),
          'utf8',
        ),
        'the shipped bytes, under a new name',
      );
      const status = await cli(['status', '--dir', dir, '--url', db.url, '--json']);
      assert.deepEqual(
        status.json<{ pending: { id: string }[] }>().pending.map((p) => p.id),
        ['20990101000001', '20990101000002'],
      );
      const next = await cli(['apply', '--dir', dir, '--url', db.url, '--no-backup']);
      assert.equal(next.code, 0, next.stderr);
      assert.doesNotMatch(next.stderr, /OUT_OF_ORDER/);
      assert.ok((await tableNames(db)).includes('dbdoctor_sessions'));
      // Copied again: recognised under its new id, nothing added.
      const again = await cli(['sessions', 'copy', '--dir', dir, '--url', db.url, '--json']);
      assert.deepEqual(again.json<{ copied: string[]; alreadyPresent: string[] }>().alreadyPresent, copied);
      assert.equal(fs.readdirSync(dir).length, 4);
      const doctor = await cli(['doctor', '--dir', dir, '--url', db.url]);
      assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    } finally {
      await db.drop();
    }
  });

  it('bad --dialect, --status and --limit are usage errors (exit 2); every subcommand has --help', async () => {
    const dialect = await cli(['sessions', 'migrations', '--dialect', 'oracle']);
    assert.equal(dialect.code, 2);
    assert.match(dialect.stderr, /Unknown --dialect "oracle"/);
    assert.match(dialect.stderr, /--dialect sqlite or --dialect postgres or --dialect mysql/);
    const status = await cli(['sessions', 'list', '--status', 'gone', '--url', 'sqlite:./none.sqlite']);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /Unknown --status "gone"/);
    const limit = await cli(['sessions', 'list', '--limit', '-3', '--url', 'sqlite:./none.sqlite']);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit must be a whole number/);
    const masked = await cli(['sessions', 'list', '--help']);
    assert.match(masked.stdout, /--show-ids/);
    for (const sub of ['migrations', 'install', 'copy', 'sweep', 'list']) {
      const help = await cli(['sessions', sub, '--help']);
      assert.equal(help.code, 0, sub);
      assert.match(help.stdout, new RegExp(`Usage: dbdoctor sessions ${sub}`));
    }
    const unknown = await cli(['sessions', 'vacuum']);
    assert.equal(unknown.code, 2);
  });
});
