/**
 * One CLI contract (issue 13, item 6), through the built CLI: `--help` on every command shows
 * the options that apply and examples; `--json` prints one document with `ok` on every
 * command; `status --exit-code` fails on pending migrations or problems; every suggested
 * command repeats the user's --dir, --url (masked) and --history-table; the lock-wait message
 * names the runner holding the lock, not a server backend.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { lockKey } from '../../src/dialects/postgres/lock.js';
import { openConnection } from '../../src/index.js';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  DIALECTS,
  onlyOn,
  sqlMigration,
  writeMigrations,
} from '../helpers/databases.js';

const PROJECT = {
  '001_users.sql': sqlMigration('CREATE TABLE users (id INTEGER PRIMARY KEY);', 'DROP TABLE users;'),
  '002_notes.sql': sqlMigration('CREATE TABLE notes (id INTEGER PRIMARY KEY);', 'DROP TABLE notes;'),
};

/** The commands (with subcommands) the top-level --help lists. */
async function commandPaths(): Promise<string[]> {
  const top = await cli(['--help']);
  const names = [...top.stdout.matchAll(/^ {2}([a-z]+)(?:\|[a-z]+)?(?: \[options\]| <|\s|$)/gm)]
    .map((m) => m[1]!)
    .filter((n) => n !== 'help');
  const paths: string[] = [];
  for (const name of names) {
    paths.push(name);
    const help = await cli([name, '--help']);
    const subs = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(help.stdout)?.[1] ?? '';
    for (const m of subs.matchAll(/^ {2}([a-z]+)/gm)) if (m[1] !== 'help') paths.push(`${name} ${m[1]}`);
  }
  return paths;
}

describe('the CLI contract', () => {
  it('--help on every command: examples, and only the options that apply', async () => {
    const paths = await commandPaths();
    assert.ok(paths.length >= 20, paths.join(', '));
    for (const p of paths) {
      const r = await cli([...p.split(' '), '--help']);
      assert.equal(r.code, 0, p);
      assert.match(r.stdout, /\nExamples:\n {2}\$ dbdoctor /, `${p} --help has no examples`);
    }
    const options = async (p: string) =>
      [...(await cli([p, '--help'])).stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    // Read-only commands take no lock; new opens no database.
    for (const p of ['status', 'history', 'lint', 'sql', 'schema', 'dump', 'generate', 'diff'])
      assert.ok(!(await options(p)).includes('--lock-timeout'), `${p} offers --lock-timeout`);
    assert.ok(!(await options('new')).includes('--url'));
    assert.ok(!(await options('new')).includes('--history-table'));
    for (const p of ['apply', 'down', 'stamp', 'resolve', 'restore', 'doctor', 'adopt', 'pull'])
      assert.ok((await options(p)).includes('--lock-timeout'), `${p} lacks --lock-timeout`);

    // Every command path: the shared options it must not offer (they would do nothing there).
    const LOCK = ['--lock-timeout', '--lock-lease'];
    const MIGRATIONS = ['--dir', '--format', '--history-table'];
    const notOffered: Record<string, string[]> = {
      init: [...LOCK, '--history-table', '--format'],
      new: [...LOCK, '--url', '--history-table'],
      status: LOCK,
      history: LOCK,
      lint: LOCK,
      sql: LOCK,
      schema: LOCK,
      dump: LOCK,
      generate: LOCK,
      diff: LOCK,
      // backup and restore take --dir and --format though they read no migrations: deploy
      // scripts pass the same options to every command, and that must not fail there.
      'sessions migrations': [...LOCK, ...MIGRATIONS],
      'sessions install': MIGRATIONS,
      'sessions copy': [...LOCK, '--format', '--history-table'],
      // --lock-timeout is the wait for a busy SQLite file there; there is no lock to lease.
      'sessions sweep': ['--lock-lease', ...MIGRATIONS],
      'sessions list': ['--lock-lease', ...MIGRATIONS],
    };
    const offered = async (p: string) =>
      [...(await cli([...p.split(' '), '--help'])).stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map(
        (m) => m[1],
      );
    for (const p of paths) {
      const has = await offered(p);
      for (const o of notOffered[p] ?? []) assert.ok(!has.includes(o), `${p} --help offers ${o}`);
    }
    for (const p of Object.keys(notOffered)) assert.ok(paths.includes(p), `${p} is a command`);

    // Texts that name the dialects name every registered one.
    const top = await cli(['--help']);
    assert.match(top.stdout, /SQLite, PostgreSQL and MySQL\/MariaDB/);
    const sessions = await cli(['sessions', 'migrations', '--help']);
    assert.match(sessions.stdout, /--dialect <dialect>\s+sqlite, postgres, mysql /);
  });

  it('--json prints one document with "ok" on every command, parser errors included', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, PROJECT);
      const common = ['--json', '--url', db.url, '--dir', dir];
      const runs: [string[], boolean][] = [
        [['init', '--json', '--dir', 'migrations'], true],
        [['new', 'add_tags', '--json', '--dir', dir], true],
        [['apply', '--to', '001', '--no-backup', ...common], true],
        [['apply', '--dry-run', ...common], true],
        [['status', ...common], true],
        [['history', ...common], true],
        [['sql', ...common], true],
        [['lint', ...common], true],
        [['schema', ...common], true],
        [['pull', '--stdout', ...common], true],
        [['pull', '--stdout', '--format', 'ts', ...common], true],
        // --baseline with --stdout writes nothing, so it is refused: still one document.
        [['pull', '--stdout', '--baseline', ...common], false],
        [['dump', '--file', path.join(db.dir, 'schema.sql'), ...common], true],
        [['diff', '--schema-file', path.join(db.dir, 'schema.sql'), ...common], true],
        [['doctor', ...common], true],
        [['backup', path.join(db.dir, 'b.sqlite'), '--json', '--url', db.url], true],
        [['down', '--dry-run', ...common], true],
        [['stamp', 'nope', ...common], false],
        [['status', '--no-such-option', '--json'], false],
        [['no-such-command', '--json'], false],
      ];
      for (const [args, ok] of runs) {
        const r = await cli(args, { cwd: db.dir });
        const doc = r.json<{ ok: unknown }>();
        assert.equal(doc.ok, ok, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
        assert.equal(r.code === 0, ok, `${args.join(' ')} exit ${r.code}`);
      }
      // --format json is the schema document alone; --json is the command's result.
      const schema = await cli(['schema', '--format', 'json', '--url', db.url], { cwd: db.dir });
      assert.equal(schema.code, 0, schema.stderr);
      assert.ok(!('ok' in schema.json()));
    } finally {
      await db.drop();
    }
  });

  it("an option's own parser failing is BAD_USAGE (exit 2, one JSON document), never an uncaught stack", async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, PROJECT);
      const common = ['--url', db.url, '--dir', dir];
      const cases: [string[], RegExp][] = [
        [['adopt', '--map', 'def456', ...common], /--map def456: expected <their revision>=<dbdoctor id>/],
        [['down', '--steps', 'abc', ...common], /--steps must be a positive whole number \(got "abc"\)/],
        [['down', '--steps', '0', ...common], /--steps must be a positive whole number \(got "0"\)/],
      ];
      for (const [args, message] of cases) {
        const json = await cli([...args, '--json'], { cwd: db.dir });
        assert.equal(json.code, 2, `${args.join(' ')}: ${json.stdout}${json.stderr}`);
        const doc = json.json<{ ok: boolean; error: { code: string; message: string } }>();
        assert.equal(doc.ok, false);
        assert.equal(doc.error.code, 'BAD_USAGE');
        assert.match(doc.error.message, message);
        const text = await cli(args, { cwd: db.dir });
        assert.equal(text.code, 2);
        assert.match(text.stderr, /^error \[BAD_USAGE\]: /);
        assert.doesNotMatch(text.stderr, /\n\s+at |INTERNAL|NaN/);
      }
    } finally {
      await db.drop();
    }
  });

  it('a reader that closes the pipe at once (| head) ends the output quietly: exit 0, no stack, the command finishes', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, PROJECT);
      const common = ['--url', db.url, '--dir', dir];
      /** Runs the CLI with a stdout pipe whose reading end is closed before the CLI writes. */
      const closedPipe = (args: string[]) =>
        new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI_PATH, ...args], {
            cwd: db.dir,
            env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL')),
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.destroy();
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('error', reject);
          child.on('close', (code, signal) => resolve({ code, signal, stderr }));
        });
      const commands = [
        ['help', 'apply'],
        ['--help'],
        ['sessions', 'migrations', '--help'],
        ['apply', '--no-backup', ...common],
        ['status', ...common],
        ['status', '--json', ...common],
        ['history', ...common],
        ['sql', '--to', '001', ...common],
        ['schema', ...common],
        ['doctor', ...common],
      ];
      for (const args of commands) {
        const r = await closedPipe(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.code} ${r.signal}\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /EPIPE|Unhandled|\n\s+at /, args.join(' '));
      }
      // apply ran to the end with nobody reading: both migrations are there.
      const st = await cli(['status', '--json', ...common], { cwd: db.dir });
      assert.equal(st.json<{ current: string }>().current, '002');
    } finally {
      await db.drop();
    }
  });

  it('status --exit-code: 0 when up to date, 1 while migrations are pending or a problem is found', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, PROJECT);
      const status = (...extra: string[]) =>
        cli(['status', '--exit-code', '--url', db.url, '--dir', dir, ...extra], { cwd: db.dir });
      let r = await status();
      assert.equal(r.code, 1, 'pending');
      assert.match(r.stdout, /not ok: migrations are pending/);
      assert.equal((await status('--json')).json<{ ok: boolean }>().ok, false);
      // Without --exit-code, status only reports.
      assert.equal((await cli(['status', '--url', db.url, '--dir', dir])).code, 0);
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup'])).code, 0);
      r = await status('--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ ok: boolean }>().ok, true);
      fs.appendFileSync(path.join(dir, '001_users.sql'), '-- edited after it ran\n');
      r = await status();
      assert.equal(r.code, 1, 'a problem (checksum mismatch)');
      assert.match(r.stdout, /CHECKSUM_MISMATCH/);
    } finally {
      await db.drop();
    }
  });

  it('--exit-code on every command that has it: "ok" is false exactly when the exit code is 1', async () => {
    const withExitCode: string[] = [];
    for (const p of await commandPaths())
      if ((await cli([...p.split(' '), '--help'])).stdout.includes('--exit-code')) withExitCode.push(p);
    // status is checked above; a new command with --exit-code gets its check here.
    assert.deepEqual(withExitCode.sort(), ['diff', 'status']);
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, PROJECT);
      const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });
      assert.equal((await run('apply', '--no-backup')).code, 0);
      assert.equal((await run('pull')).code, 0);
      let r = await run('diff', '--exit-code', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ ok: boolean }>().ok, true);
      fs.appendFileSync(path.join(db.dir, 'schema.sql'), '\nCREATE TABLE extra (id INTEGER);\n');
      r = await run('diff', '--exit-code', '--json');
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.json<{ ok: boolean; empty: boolean }>().ok, false);
      assert.equal(r.json<{ ok: boolean; empty: boolean }>().empty, false);
      // Without --exit-code a difference is a result, not a failure.
      r = await run('diff', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ ok: boolean }>().ok, true);
    } finally {
      await db.drop();
    }
  });

  for (const dialect of DIALECTS) {
    it(`${dialect}: suggested commands repeat --dir, --url (masked) and --history-table`, async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = writeMigrations(db.dir, PROJECT, 'db sql');
        // PostgreSQL here trusts local connections, so any password logs in; it must never show.
        const url =
          dialect === 'postgres'
            ? db.url.replace('postgres://postgres@', 'postgres://postgres:hunter2secret@')
            : db.url;
        const flags = ['--dir', 'db sql', '--url', url, '--history-table', 'app_history'];
        assert.equal((await cli(['apply', '--no-backup', ...flags], { cwd: db.dir })).code, 0);
        fs.appendFileSync(path.join(dir, '001_users.sql'), '-- edited after it ran\n');
        const shownUrl = dialect === 'postgres' ? `'${url.replace('hunter2secret', '***')}'` : url;
        const carried = `--dir 'db sql' --url ${shownUrl} --history-table app_history`;
        const expected = `\`dbdoctor resolve 001 --accept-checksum ${carried}\``;
        const status = await cli(['status', ...flags], { cwd: db.dir });
        assert.ok(status.stdout.includes(expected), status.stdout);
        const json = await cli(['status', '--json', ...flags], { cwd: db.dir });
        assert.ok(
          json.json<{ problems: { fix: string }[] }>().problems[0]!.fix.includes(expected),
          json.stdout,
        );
        // An error's next step too.
        const apply = await cli(['apply', ...flags], { cwd: db.dir });
        assert.equal(apply.code, 1);
        assert.ok(apply.stderr.includes(expected), apply.stderr);
        for (const out of [status.stdout, json.stdout, apply.stdout, apply.stderr])
          assert.doesNotMatch(out, /hunter2secret/);
        // A command that does not take an option is not given it: `new` opens no database.
        // (A folder that does not exist yet: init creates it and suggests `new`.)
        const init = await cli(['init', '--dir', 'new sql', '--url', url], { cwd: db.dir });
        assert.match(init.stdout, /Next: dbdoctor new <name> --dir 'new sql'$/m);
      } finally {
        await db.drop();
      }
    });
  }

  for (const dialect of DIALECTS) {
    it(`${dialect}: the lock-wait message names the runner holding the lock`, async () => {
      const db = await createTestDatabase(dialect);
      const dir = writeMigrations(db.dir, PROJECT);
      // This test process is the other runner: it holds the lock for the whole CLI run.
      const conn = await openConnection(db.url);
      const lock = conn.dialect.createLock(conn, 'dbdoctor_migrations');
      await lock.acquire(1000);
      try {
        const r = await cli(['apply', '--lock-timeout', '300ms', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        const runner = `pid ${process.pid} on ${os.hostname()}`;
        assert.ok(r.stderr.includes(`waiting for the migration lock held by ${runner}…`), r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `LOCK_TIMEOUT\\]: Another dbdoctor runner holds the migration lock: process ${process.pid} on `,
          ),
        );
      } finally {
        await lock.release();
        await conn.close();
        await db.drop();
      }
    });
  }

  it(
    'postgres: a connection that is not a runner is named as such, with its backend',
    onlyOn('postgres'),
    async () => {
      const db = await createTestDatabase('postgres');
      const dir = writeMigrations(db.dir, PROJECT);
      const other = new pg.Client({ connectionString: db.url, application_name: 'psql' });
      await other.connect();
      try {
        const [{ pid }] = (await other.query('SELECT pg_backend_pid() AS pid')).rows as { pid: number }[];
        await other.query('SELECT pg_advisory_lock($1, $2)', [0x64626463, lockKey('dbdoctor_migrations')]);
        const r = await cli(['apply', '--lock-timeout', '300ms', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `held by a connection from \\S+ that is not a dbdoctor runner \\(server backend pid ${pid}, application psql\\)`,
          ),
        );
      } finally {
        await other.end();
        await db.drop();
      }
    },
  );
});
