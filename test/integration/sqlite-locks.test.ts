import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openConnection } from '../../src/dialects/open.js';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const DIST_INDEX = pathToFileURL(path.join(REPO, 'dist/index.js')).href;

/** Resolves once `check` is true, polling an observable fact (a file, a row); never a fixed sleep. */
async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A TS migration that notes each run in `runs.log`, creates `slow`, and finishes only when the
 * test creates `release`; it holds SQLite's write lock all that time. With `blocking`, it waits
 * synchronously (the event loop is blocked, as under one long statement).
 */
function slowMigration(dir: string, blocking: boolean): string {
  const runs = JSON.stringify(path.join(dir, 'runs.log'));
  const release = JSON.stringify(path.join(dir, 'release'));
  const wait = blocking
    ? `const cell = new Int32Array(new SharedArrayBuffer(4));
    while (!fs.existsSync(${release})) Atomics.wait(cell, 0, 0, 10);`
    : `while (!fs.existsSync(${release})) await new Promise((r) => setTimeout(r, 10));`;
  return `import fs from 'node:fs';
interface Ctx { sql(text: string, params?: unknown[]): Promise<void> }
export default {
  async up(db: Ctx): Promise<void> {
    await db.sql('CREATE TABLE slow (id INTEGER PRIMARY KEY)');
    fs.appendFileSync(${runs}, 'ran\\n');
    ${wait}
  },
  async down(db: Ctx): Promise<void> { await db.sql('DROP TABLE slow'); },
};
`;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

function start(args: string[], opts: { cwd?: string; prefix?: string[] } = {}): Running {
  const cmd = opts.prefix ? opts.prefix[0]! : process.execPath;
  const argv = opts.prefix
    ? [...opts.prefix.slice(1), process.execPath, CLI_PATH, ...args]
    : [CLI_PATH, ...args];
  const child = spawn(cmd, argv, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, stderr: () => err, exit };
}

/** A separate process holding BEGIN IMMEDIATE on `file` until `release()`. */
async function holdWriteLock(file: string): Promise<{ release: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)});
       db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
       process.stdin.on('data', () => {}); process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); });`,
    ],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    release: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

function sqliteFile(db: TestDatabase): string {
  return db.url.slice('sqlite:'.length);
}

function assertNoInternal(stderr: string): void {
  assert.doesNotMatch(stderr, /INTERNAL|\n\s+at /, 'a user-facing error, no stack trace');
}

describe('SQLite: waiting runners wait (item 10)', onlyOn('sqlite'), () => {
  it('12 CLI applies and 8 library migrate() calls wait for a slow migration; it runs once, all succeed', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
      fs.writeFileSync(path.join(dir, '002_slow.ts'), slowMigration(db.dir, false));
      const common = ['--url', db.url, '--dir', dir, '--lock-timeout', '120s'];
      const first = start(['apply', '--json', ...common]);
      await until('the slow migration to start', () => fs.existsSync(path.join(db.dir, 'runs.log')));

      const others = Array.from({ length: 12 }, () => start(['apply', '--json', ...common]));
      const workerFile = path.join(db.dir, 'worker.mjs');
      fs.writeFileSync(
        workerFile,
        `import { parentPort, workerData } from 'node:worker_threads';
const { migrate } = await import(workerData.index);
try {
  const r = await migrate({ database: workerData.url, dir: workerData.dir, lockTimeoutMs: 120000,
    onEvent: (e) => { if (e.type === 'lock-wait') parentPort.postMessage({ waiting: e.holder }); } });
  parentPort.postMessage({ applied: r.applied.length });
} catch (e) { parentPort.postMessage({ error: String(e && e.code) + ': ' + (e && e.message) }); }
`,
      );
      const workers = Array.from({ length: 8 }, () => {
        const w = new Worker(workerFile, { workerData: { index: DIST_INDEX, url: db.url, dir } });
        let waiting = false;
        const done = new Promise<{ applied?: number; error?: string }>((resolve, reject) => {
          w.on('message', (m) => {
            if ('waiting' in m) waiting = true;
            else resolve(m);
          });
          w.on('error', reject);
        });
        return { w, done, waiting: () => waiting };
      });
      let early = '';
      for (const o of others)
        void o.exit.then((c) => (early ||= `an apply exited (${c}) before the release: ${o.stderr()}`));
      await until('all 12 applies and 8 workers to wait', () => {
        if (early) throw new Error(early);
        return (
          others.every((o) => /waiting for the migration lock held by pid/.test(o.stderr())) &&
          workers.every((w) => w.waiting())
        );
      });
      fs.writeFileSync(path.join(db.dir, 'release'), '');

      assert.equal(await first.exit, 0, first.stderr());
      for (const o of others) {
        assert.equal(await o.exit, 0, o.stderr());
        assertNoInternal(o.stderr());
      }
      for (const w of workers) assert.deepEqual(await w.done, { applied: 0 });
      await Promise.all(workers.map((w) => w.w.terminate()));
      assert.equal(fs.readFileSync(path.join(db.dir, 'runs.log'), 'utf8'), 'ran\n', 'the migration ran once');
      assert.deepEqual(
        (await rawQuery(db, 'SELECT id, status FROM dbdoctor_migrations ORDER BY seq')).map((r) => [
          r.id,
          r.status,
        ]),
        [
          ['001', 'applied'],
          ['002', 'applied'],
        ],
      );
      assert.deepEqual(
        await rawQuery(db, 'SELECT * FROM dbdoctor_migrations_lock'),
        [],
        'no lock left behind',
      );
    } finally {
      await db.drop();
    }
  });

  it('a runner never sleeps inside SQLite past its deadline: retryable statements get a short busy timeout, transactional ones the whole --lock-timeout', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      // A long write that spills locks readers out too: SQLite's own busy handler would then
      // sleep (5 s by default) where no lock-wait event fires and no deadline is checked.
      const conn = await openConnection(db.url, { busyWait: { timeoutMs: 1000 } });
      try {
        const timeout = async () =>
          Number((await conn.query<{ timeout: number }>('PRAGMA busy_timeout'))[0]?.timeout);
        assert.ok((await timeout()) <= 50, 'outside a transaction the runner waits, not SQLite');
        await conn.begin();
        assert.equal(await timeout(), 1000, 'inside a transaction SQLite waits, up to the deadline');
        await conn.rollback();
        assert.ok((await timeout()) <= 50);
      } finally {
        await conn.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('sessions sweep while another process holds BEGIN IMMEDIATE: LOCK_TIMEOUT after --lock-timeout, no stack', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      assert.equal((await cli(['sessions', 'install', '--url', db.url])).code, 0);
      const holder = await holdWriteLock(sqliteFile(db));
      try {
        const r = await cli(['sessions', 'sweep', '--url', db.url, '--lock-timeout', '300ms', '--json']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /^error \[LOCK_TIMEOUT\]: .*more than 300 ms/, r.stderr);
        assert.equal(r.json<{ error: { code: string } }>().error.code, 'LOCK_TIMEOUT');
        assertNoInternal(r.stderr);
      } finally {
        await holder.release();
      }
      const r = await cli(['sessions', 'sweep', '--url', db.url]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await db.drop();
    }
  });

  it('a stale lock row of a dead process plus another writer: LOCK_TIMEOUT blames the writer, not the dead pid', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
      // A pid that is certainly gone: a child that has exited and been waited for.
      const deadPid = Number(
        execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString(),
      );
      const pidNs = fs.readlinkSync('/proc/self/ns/pid');
      await plantLock(db, { host: os.hostname(), pid: deadPid, expiresInMs: 600_000, pidNs });
      const holder = await holdWriteLock(sqliteFile(db));
      try {
        const r = await cli(['apply', '--lock-timeout', '300ms', '--url', db.url, '--dir', dir, '--json']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /^error \[LOCK_TIMEOUT\]: The database is held by another writer/m, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(`process ${deadPid} .* is stale \\(owner is gone\\) and will be taken over`),
        );
        assert.doesNotMatch(r.stderr, /Wait for that runner/);
        assertNoInternal(r.stderr);
      } finally {
        await holder.release();
      }
      const r = await cli(['apply', '--lock-timeout', '2s', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await db.drop();
    }
  });

  it('every command that writes waits for another process holding BEGIN IMMEDIATE, then says LOCK_TIMEOUT', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, {
        '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);', 'DROP TABLE a;'),
        '002_b.sql': sqlMigration('CREATE TABLE b (x INTEGER);', 'DROP TABLE b;'),
      });
      const base = ['--url', db.url, '--dir', dir, '--lock-timeout', '300ms'];
      assert.equal((await cli(['apply', '--to', '001', ...base])).code, 0);
      const copy = path.join(db.dir, 'copy.sqlite');
      assert.equal((await cli(['backup', copy, ...base])).code, 0);
      const holder = await holdWriteLock(sqliteFile(db));
      try {
        const commands = [
          ['apply'],
          ['down'],
          ['stamp', '002'],
          ['resolve', '001', '--rolled-back'],
          ['restore', copy],
        ];
        for (const c of commands) {
          const r = await cli([...c, '--json', ...base]);
          assert.equal(r.code, 1, `${c.join(' ')}: ${r.stderr}`);
          assert.match(r.stderr, /LOCK_TIMEOUT/, c.join(' '));
          assertNoInternal(r.stderr);
        }
        // Reading works meanwhile (rollback journal: a RESERVED lock lets readers in).
        const b = await cli(['backup', '--json', ...base]);
        assert.equal(b.code, 0, b.stderr);
      } finally {
        await holder.release();
      }
      assert.deepEqual(
        (await rawQuery(db, 'SELECT id FROM dbdoctor_migrations')).map((r) => r.id),
        ['001'],
        'nothing changed',
      );
      const r = await cli(['apply', ...base]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await db.drop();
    }
  });
});

/** Writes a lock row as another runner would have left it. */
async function plantLock(
  db: TestDatabase,
  row: { host: string; pid: number; expiresInMs: number | null; pidNs: string | null },
): Promise<void> {
  const now = Date.now();
  const legacy = row.expiresInMs === null;
  await rawExec(
    db,
    legacy
      ? 'CREATE TABLE dbdoctor_migrations_lock (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, token TEXT NOT NULL, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL)'
      : 'CREATE TABLE dbdoctor_migrations_lock (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, token TEXT NOT NULL, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, expires_at TEXT, pid_ns TEXT)',
  );
  const since = new Date(now - 3_600_000).toISOString();
  if (legacy) {
    await rawQuery(db, "INSERT INTO dbdoctor_migrations_lock VALUES ('migrate', ?, ?, 'old', ?, ?)", [
      row.host,
      row.pid,
      since,
      since,
    ]);
  } else {
    await rawQuery(db, "INSERT INTO dbdoctor_migrations_lock VALUES ('migrate', ?, ?, 'old', ?, ?, ?, ?)", [
      row.host,
      row.pid,
      since,
      since,
      new Date(now + row.expiresInMs!).toISOString(),
      row.pidNs,
    ]);
  }
}

describe('SQLite: lock liveness by lease (item 11)', onlyOn('sqlite'), () => {
  const cases = [
    { name: 'another host, pid 1, lease expired', host: 'elsewhere', pidNs: 'pid:[1]' },
    {
      name: 'this host in another PID namespace (a container), pid 1, lease expired',
      host: os.hostname(),
      pidNs: 'pid:[1]',
    },
  ];
  for (const c of cases) {
    it(`a lock from ${c.name} is taken over, with an event naming it`, async () => {
      const db = await createTestDatabase('sqlite');
      try {
        const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
        await plantLock(db, { host: c.host, pid: 1, expiresInMs: -1000, pidNs: c.pidNs });
        const r = await cli(['apply', '--lock-timeout', '2s', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(`took over the migration lock left by pid 1 on ${c.host}: stale .*lease expired`),
        );
        assert.ok((await tableNames(db)).includes('a'));
        assert.deepEqual(await rawQuery(db, 'SELECT * FROM dbdoctor_migrations_lock'), []);
      } finally {
        await db.drop();
      }
    });
  }

  it('a lock row from before leases (no expiry columns) 1 h old from another host is taken over', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
      await plantLock(db, { host: 'elsewhere', pid: 1, expiresInMs: null, pidNs: null });
      const r = await cli(['apply', '--lock-timeout', '2s', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /took over the migration lock left by pid 1 on elsewhere/);
    } finally {
      await db.drop();
    }
  });

  it('an unexpired lock from another host is waited for, and named on timeout', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
      await plantLock(db, { host: 'elsewhere', pid: 1, expiresInMs: 3_600_000, pidNs: 'pid:[1]' });
      const r = await cli(['apply', '--json', '--lock-timeout', '300ms', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /waiting for the migration lock held by pid 1 on elsewhere/);
      assert.match(r.stderr, /LOCK_TIMEOUT.*process 1 on elsewhere .*lease until/);
      assert.ok(!(await tableNames(db)).includes('a'), 'nothing was applied');
    } finally {
      await db.drop();
    }
  });

  it('a live holder in another PID namespace and host, blocked in one long step past its lease, is never taken over', async (t) => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
      fs.writeFileSync(path.join(dir, '002_slow.ts'), slowMigration(db.dir, true));
      // A real process that looks foreign: its own host name and PID namespace (it is pid 1 there).
      const holder = start(['apply', '--lock-lease', '200ms', '--url', db.url, '--dir', dir], {
        prefix: ['unshare', '--uts', '--pid', '--fork', 'sh', '-c', 'hostname other-host && exec "$@"', 'sh'],
      });
      t.after(() => holder.child.kill('SIGKILL'));
      await until('the slow migration to start', () => fs.existsSync(path.join(db.dir, 'runs.log')));
      await until('the holder lease to expire', async () => {
        const [row] = await rawQuery(db, 'SELECT expires_at FROM dbdoctor_migrations_lock');
        return row !== undefined && Date.parse(String(row.expires_at)) < Date.now();
      });
      const [row] = await rawQuery(db, 'SELECT host, pid FROM dbdoctor_migrations_lock');
      assert.deepEqual(row, { host: 'other-host', pid: 1 });
      const r = await cli(['apply', '--lock-timeout', '500ms', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /LOCK_TIMEOUT/);
      assertNoInternal(r.stderr);
      fs.writeFileSync(path.join(db.dir, 'release'), '');
      assert.equal(await holder.exit, 0, holder.stderr());
      assert.equal(fs.readFileSync(path.join(db.dir, 'runs.log'), 'utf8'), 'ran\n');
      assert.deepEqual(
        (await rawQuery(db, 'SELECT id FROM dbdoctor_migrations ORDER BY seq')).map((x) => x.id),
        ['001', '002'],
      );
    } finally {
      await db.drop();
    }
  });
});

describe(
  'a runner that lost its SQLite lock writes nothing more (issue 9, red-team 15)',
  onlyOn('sqlite'),
  () => {
    it('a transaction:false migration whose lock row was taken over while it waited runs no statement, records nothing and exits 1 with LOCK_LOST', async (t) => {
      const db = await createTestDatabase('sqlite');
      try {
        const waiting = JSON.stringify(path.join(db.dir, 'waiting'));
        const go = JSON.stringify(path.join(db.dir, 'go'));
        const dir = writeMigrations(db.dir, {
          '001_ledger.sql': sqlMigration('CREATE TABLE ledger (who TEXT);'),
          '002_data.ts': `import fs from 'node:fs';
interface Ctx { sql(text: string, params?: unknown[]): Promise<void> }
export default {
  transaction: false,
  async up(db: Ctx): Promise<void> {
    fs.writeFileSync(${waiting}, '');
    while (!fs.existsSync(${go})) await new Promise((r) => setTimeout(r, 10));
    await db.sql("INSERT INTO ledger VALUES ('runner A')");
  },
};
`,
        });
        const runner = start(['apply', '--no-backup', '--lock-lease', '1s', '--url', db.url, '--dir', dir]);
        t.after(() => runner.child.kill('SIGKILL'));
        await until('the migration to wait for its go-file', () =>
          fs.existsSync(path.join(db.dir, 'waiting')),
        );
        // What a takeover does to the row: another runner's token.
        await rawExec(db, "UPDATE dbdoctor_migrations_lock SET token = 'another-runner'");
        fs.writeFileSync(path.join(db.dir, 'go'), '');
        assert.equal(await runner.exit, 1, runner.stderr());
        assert.match(runner.stderr(), /LOCK_LOST/);
        assert.match(runner.stderr(), /lost the migration lock/);
        assert.match(runner.stderr(), /dbdoctor status/);
        assertNoInternal(runner.stderr());
        assert.deepEqual(await rawQuery(db, 'SELECT * FROM ledger'), []);
        const rows = await rawQuery(db, "SELECT id, status FROM dbdoctor_migrations WHERE id = '002'");
        assert.ok(
          rows.every((r) => r.status !== 'applied'),
          JSON.stringify(rows),
        );
      } finally {
        await db.drop();
      }
    });
  },
);

describe('SQLite backups are never deleted by mistake (items 12, 15)', onlyOn('sqlite'), () => {
  const one = { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);', 'DROP TABLE a;') };
  const two = { ...one, '002_b.sql': sqlMigration('CREATE TABLE b (x INTEGER);', 'DROP TABLE b;') };

  it('the first apply on a new file takes no backup', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, one);
      const r = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ backup: string | null }>().backup, null);
      assert.ok(!fs.existsSync(path.join(db.dir, 'backups')));
    } finally {
      await db.drop();
    }
  });

  it('app.db and app.v2.db in one folder keep each other’s backups', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, two);
      const urls = ['app.db', 'app.v2.db'].map((f) => `sqlite:${path.join(db.dir, f)}`);
      for (const url of urls)
        assert.equal((await cli(['apply', '--to', '001', '--url', url, '--dir', dir])).code, 0);
      const a = await cli(['apply', '--json', '--keep-backups', '1', '--url', urls[0]!, '--dir', dir]);
      const appBackup = a.json<{ backup: string }>().backup;
      const b = await cli(['apply', '--json', '--keep-backups', '1', '--url', urls[1]!, '--dir', dir]);
      assert.equal(b.code, 0, b.stderr);
      assert.doesNotMatch(b.stderr, /removed old backup/);
      assert.ok(fs.existsSync(appBackup), 'app.db’s backup survives app.v2.db’s pruning');
      assert.ok(fs.existsSync(b.json<{ backup: string }>().backup));
      assert.match(
        path.basename(appBackup),
        /^app\.db\.[0-9a-f]{8}\.before-apply\.\d{8}T\d{9}Z-\d+\.sqlite$/,
      );
      // Pruning still works for its own database: a down replaces app.db's older backup.
      const d = await cli(['down', '--json', '--keep-backups', '1', '--url', urls[0]!, '--dir', dir]);
      assert.equal(d.code, 0, d.stderr);
      assert.ok(!fs.existsSync(appBackup));
      assert.ok(fs.existsSync(d.json<{ backup: string }>().backup));
      assert.ok(fs.existsSync(b.json<{ backup: string }>().backup));
    } finally {
      await db.drop();
    }
  });

  it('a failed apply prunes nothing', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, two);
      assert.equal((await cli(['apply', '--to', '001', '--url', db.url, '--dir', dir])).code, 0);
      const first = (await cli(['apply', '--json', '--url', db.url, '--dir', dir])).json<{ backup: string }>()
        .backup;
      fs.writeFileSync(
        path.join(dir, '003_bad.sql'),
        sqlMigration('CREATE TABLE nope (x REFERENCES);;; SELEC 1;'),
      );
      const r = await cli(['apply', '--keep-backups', '1', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.ok(fs.existsSync(first), 'the earlier backup is kept when the run fails');
      assert.equal(fs.readdirSync(path.join(db.dir, 'backups')).length, 2);
    } finally {
      await db.drop();
    }
  });

  it('a restore from a bad, missing or FIFO source takes no backup and deletes none', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, one);
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
      const down = await cli(['down', '--json', '--keep-backups', '1', '--url', db.url, '--dir', dir]);
      const only = down.json<{ backup: string }>().backup;
      const before = fs.readdirSync(path.join(db.dir, 'backups'));
      assert.deepEqual(before, [path.basename(only)]);
      const garbage = path.join(db.dir, 'garbage.sqlite');
      fs.writeFileSync(garbage, 'this is not a database, but it is long enough to have a header of sorts');
      const fifo = path.join(db.dir, 'pipe.sqlite');
      execFileSync('mkfifo', [fifo]);
      const sources: [string, RegExp][] = [
        [garbage, /not a healthy SQLite database|cannot be opened/],
        [path.join(db.dir, 'missing.sqlite'), /does not exist/],
        [fifo, /named pipe \(FIFO\)/],
        [db.dir, /is a directory/],
      ];
      for (const [source, why] of sources) {
        const r = await cli(['restore', source, '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /BAD_BACKUP/);
        assert.match(r.stderr, why);
        assertNoInternal(r.stderr);
        assert.deepEqual(fs.readdirSync(path.join(db.dir, 'backups')), before, `after ${source}`);
      }
    } finally {
      await db.drop();
    }
  });

  it('disk full while backing up (a 64 KiB tmpfs): BACKUP_FAILED, no partial file, database unchanged', async (t) => {
    const db = await createTestDatabase('sqlite');
    const small = path.join(db.dir, 'small');
    fs.mkdirSync(small);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { stdio: 'pipe' });
    } catch (e) {
      // A real full disk needs a small filesystem, and mounting one needs root.
      await db.drop();
      t.skip(`cannot mount a 64 KiB tmpfs here (needs root): ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      const dir = writeMigrations(db.dir, {
        '001_big.sql': sqlMigration(
          "CREATE TABLE big (x TEXT);\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO big SELECT printf('%0200d', i) FROM n;",
        ),
      });
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
      fs.writeFileSync(path.join(dir, '002_c.sql'), sqlMigration('CREATE TABLE c (x INTEGER);'));
      fs.writeFileSync(
        path.join(db.dir, 'dbdoctor.config.json'),
        JSON.stringify({ backups: { dir: small } }),
      );
      const r = await cli(['apply', '--json', '--url', db.url, '--dir', dir], { cwd: db.dir });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /BACKUP_FAILED.*(full|space)/s);
      assertNoInternal(r.stderr);
      assert.deepEqual(fs.readdirSync(small), [], 'the partial backup was removed');
      assert.ok(!(await tableNames(db)).includes('c'), 'the migration did not run');
      const m = await cli(['backup', path.join(small, 'manual.sqlite'), '--url', db.url]);
      assert.equal(m.code, 1);
      assert.match(m.stderr, /BACKUP_FAILED/);
      assertNoInternal(m.stderr);
      assert.deepEqual(fs.readdirSync(small), []);
    } finally {
      execFileSync('umount', [small]);
      await db.drop();
    }
  });
});
