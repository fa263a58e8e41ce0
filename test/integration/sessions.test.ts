import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  installSessionTables,
  MemoryStore,
  openLoginThrottle,
  openSessionStore,
  type SessionData,
  type SessionStore,
} from '../../src/sessions/index.js';
import {
  createTestDatabase,
  DIALECTS,
  pendingOn,
  rawQuery,
  SESSIONS_PENDING,
  type TestDatabase,
} from '../helpers/databases.js';

const WORKER = path.resolve(import.meta.dirname, '../fixtures/session-worker.ts');
const MINUTE = 60_000;

/** A clock the test moves by hand: no test ever sleeps. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function runWorker(...args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

type Backend = 'memory' | (typeof DIALECTS)[number];

for (const backend of ['memory', ...DIALECTS] as Backend[]) {
  describe(`session store on ${backend}`, pendingOn(backend, SESSIONS_PENDING), () => {
    let db: TestDatabase | null = null;
    const clock = manualClock();
    let store: SessionStore<SessionData>;
    const open = async (options: { maxDataBytes?: number } = {}) =>
      backend === 'memory'
        ? new MemoryStore({ clock: clock.now, ...options })
        : openSessionStore(db!.url, { clock: clock.now, ...options });

    before(async () => {
      if (backend !== 'memory') {
        db = await createTestDatabase(backend);
        await installSessionTables({ database: db.url });
        await installSessionTables({ database: db.url }); // a second run is a no-op
      }
      store = await open();
    });
    after(async () => {
      await store.close();
      await db?.drop();
    });

    it('creates, reads and replaces sessions; a generated key is 256 random bits, URL-safe', async () => {
      const s = await store.create('+15551234567', { state: 'main_menu', page: 1 }, { ttl: '30m' });
      assert.equal(s.status, 'active');
      assert.equal(s.expiresAt - s.createdAt, 30 * MINUTE);
      assert.deepEqual((await store.get('+15551234567'))?.data, { state: 'main_menu', page: 1 });
      await store.create('+15551234567', { state: 'library' });
      assert.deepEqual((await store.get('+15551234567'))?.data, { state: 'library' });
      const generated = await store.create(null, { a: 1 });
      assert.match(generated.key, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(generated.key, (await store.create(undefined, { a: 1 })).key);
    });

    it('touch and update slide the expiry; get does not; expired sessions are gone and removed', async () => {
      await store.create('slide', { n: 0 }, { ttl: 10 * MINUTE });
      clock.advance(9 * MINUTE);
      assert.equal(await store.touch('slide'), true);
      clock.advance(9 * MINUTE);
      const updated = await store.update('slide', { n: 1 });
      assert.equal(updated?.expiresAt, clock.now() + 10 * MINUTE);
      clock.advance(9 * MINUTE);
      assert.deepEqual((await store.get('slide'))?.data, { n: 1 });
      clock.advance(2 * MINUTE);
      assert.equal(await store.get('slide'), null);
      assert.equal(await store.touch('slide'), false);
      assert.equal(await store.update('slide', { n: 2 }), null);
      if (db)
        assert.deepEqual(await rawQuery(db, "SELECT key FROM dbdoctor_sessions WHERE key = 'slide'"), []);
    });

    it('validate reports not_found, expired, completed and abandoned', async () => {
      assert.deepEqual(await store.validate('nobody'), { valid: false, reason: 'not_found', session: null });
      await store.create('a', { page: 3 }, { ttl: '30d' });
      assert.equal((await store.validate('a')).valid, true);
      assert.equal(await store.abandon('a'), true);
      const abandoned = await store.validate('a');
      assert.equal(abandoned.valid, false);
      assert.equal(!abandoned.valid && abandoned.reason, 'abandoned');
      assert.deepEqual(abandoned.session?.data, { page: 3 });
      await store.create('c', {});
      await store.complete('c');
      const completed = await store.validate('c');
      assert.equal(!completed.valid && completed.reason, 'completed');
      await store.create('e', {}, { ttl: 1000 });
      clock.advance(1000);
      const expired = await store.validate('e');
      assert.equal(!expired.valid && expired.reason, 'expired');
    });

    it('list filters by status, newest activity first; count, delete and clear', async () => {
      await store.clear();
      await store.create('x', {});
      clock.advance(1);
      await store.create('y', {});
      clock.advance(1);
      await store.create('z', {});
      await store.complete('z');
      assert.deepEqual(
        (await store.list({ status: 'active' })).map((s) => s.key),
        ['y', 'x'],
      );
      assert.deepEqual(
        (await store.list()).map((s) => s.key),
        ['z', 'y', 'x'],
      );
      assert.equal(await store.count(), 3);
      assert.equal(await store.delete('x'), true);
      assert.equal(await store.delete('x'), false);
      assert.equal(await store.count(), 2);
    });

    it('sweep removes exactly the expired sessions, in batches, and returns the count', async () => {
      await store.clear();
      const n = backend === 'memory' ? 20_000 : 12_000;
      for (let i = 0; i < n; i++)
        await store.create(`old${i}`, { i }, { ttl: i % 2 === 0 ? MINUTE : 60 * MINUTE });
      clock.advance(2 * MINUTE);
      assert.equal(await store.sweep(), n / 2);
      assert.equal(await store.sweep(), 0);
      assert.equal(await store.count(), n / 2);
      assert.deepEqual((await store.get('old1'))?.data, { i: 1 });
      await store.clear();
    });

    it('rejects oversized and non-JSON data with a clear error and stores nothing', async () => {
      const small = await open({ maxDataBytes: 100 });
      try {
        await assert.rejects(
          small.create('big', { text: 'x'.repeat(200) }),
          /SESSION_DATA_TOO_LARGE|over the limit of 100/,
        );
        assert.equal(await small.get('big'), null);
        await small.create('grow', { a: 'x' });
        await assert.rejects(
          small.update('grow', { b: 'y'.repeat(150) }),
          (e: Error & { code?: string }) => e.code === 'SESSION_DATA_TOO_LARGE',
        );
        assert.deepEqual((await small.get('grow'))?.data, { a: 'x' });
        for (const bad of [
          { when: new Date() },
          { f: () => 1 },
          { n: Number.NaN },
          { u: undefined },
          { b: 1n },
        ]) {
          await assert.rejects(
            small.create('bad', bad as never),
            (e: Error & { code?: string }) =>
              e.code === 'SESSION_DATA_INVALID' && /data\.\w+ is/.test(e.message),
          );
        }
        assert.equal(await small.get('bad'), null);
        await assert.rejects(
          small.create('', {}),
          (e: Error & { code?: string }) => e.code === 'SESSION_KEY_INVALID',
        );
      } finally {
        if (backend !== 'memory') await small.close();
      }
    });

    it('hostile keys are bound as parameters and stored literally', async () => {
      const keys = ["'; DROP TABLE dbdoctor_sessions; --", '"quoted"', '🔑 ünïcode', "x' OR '1'='1"];
      for (const key of keys) await store.create(key, { key });
      for (const key of keys) assert.deepEqual((await store.get(key))?.data, { key });
      assert.equal(await store.get("x' OR '1'='2"), null);
      if (db) assert.ok((await rawQuery(db, 'SELECT count(*) AS n FROM dbdoctor_sessions')).length === 1);
    });

    if (backend === 'memory') {
      it('a size bound evicts the least recently used session first', async () => {
        const bounded = new MemoryStore({ clock: clock.now, maxSessions: 2 });
        await bounded.create('a', {});
        await bounded.create('b', {});
        await bounded.get('a'); // a is now more recent than b
        await bounded.create('c', {});
        assert.equal(await bounded.get('b'), null);
        assert.ok(await bounded.get('a'));
        assert.ok(await bounded.get('c'));
      });

      it('the sweep timer does not keep the process alive', async () => {
        const timed = new MemoryStore({ sweepIntervalMs: 10 });
        assert.equal((timed as unknown as { timer: NodeJS.Timeout }).timer.hasRef(), false);
        await timed.close();
      });
    } else {
      it('concurrent updates of different fields from separate processes both survive', async () => {
        const real = await openSessionStore(db!.url);
        await real.create('shared', { untouched: true }, { ttl: '1h' });
        const codes = await Promise.all([
          runWorker('update', db!.url, 'shared', 'left', '60'),
          runWorker('update', db!.url, 'shared', 'right', '60'),
        ]);
        assert.deepEqual(codes, [0, 0]);
        assert.deepEqual((await real.get('shared'))?.data, { untouched: true, left: 60, right: 60 });
        await real.close();
      });

      it('a database without the session tables gets a clear error naming the fix', async () => {
        const empty = await createTestDatabase(backend as (typeof DIALECTS)[number]);
        try {
          if (backend === 'sqlite') new Database(empty.url.slice('sqlite:'.length)).close();
          const attempt = async () => {
            const s = await openSessionStore(empty.url);
            try {
              await s.get('k');
            } finally {
              await s.close();
            }
          };
          await assert.rejects(
            attempt,
            (e: Error & { code?: string; hint?: string }) =>
              e.code === 'SESSION_TABLES_MISSING' && /installSessionTables/.test(e.hint ?? ''),
          );
        } finally {
          await empty.drop();
        }
      });

      it('login throttle: N failures lock the key until a time; reset clears it; processes share counts', async () => {
        const t = manualClock();
        const throttle = await openLoginThrottle(db!.url, {
          maxFailures: 3,
          window: '15m',
          lockFor: '10m',
          clock: t.now,
        });
        assert.deepEqual(await throttle.check('10.0.0.1'), {
          allowed: true,
          failures: 0,
          lockedUntil: null,
          retryAfterMs: 0,
        });
        await throttle.hit('10.0.0.1');
        const second = await throttle.hit('10.0.0.1');
        assert.equal(second.allowed, true);
        assert.equal(second.failures, 2);
        const third = await throttle.hit('10.0.0.1');
        assert.equal(third.allowed, false);
        assert.equal(third.retryAfterMs, 10 * MINUTE);
        t.advance(5 * MINUTE);
        assert.equal((await throttle.check('10.0.0.1')).retryAfterMs, 5 * MINUTE);
        t.advance(5 * MINUTE);
        assert.equal((await throttle.check('10.0.0.1')).allowed, true);
        await throttle.hit('other');
        await throttle.reset('other');
        assert.equal((await throttle.check('other')).failures, 0);

        const codes = await Promise.all(
          [1, 2, 3, 4].map(() => runWorker('throttle', db!.url, 'shared-ip', '', '25')),
        );
        assert.deepEqual(codes, [0, 0, 0, 0]);
        const rows = await rawQuery(
          db!,
          "SELECT failures FROM dbdoctor_login_attempts WHERE key = 'shared-ip'",
        );
        assert.equal(Number(rows[0]!.failures), 100);
        await throttle.close();
      });
    }
  });
}
