// The login throttle on every shared backend: an exact sliding window, atomic across processes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../src/migrations/apply.js';
import {
  installSessionTables,
  listSessionMigrations,
  openLoginThrottle,
  openSessionStore,
  SESSIONS_HISTORY_TABLE,
} from '../../src/sessions/index.js';
import { createTestDatabase, DIALECTS, rawQuery } from '../helpers/databases.js';
import {
  type BackendUnderTest,
  backendUnderTest,
  manualClock,
  runWorker,
  SHARED_BACKENDS,
  sessionsPendingOn,
} from '../helpers/session-backends.js';

const MINUTE = 60_000;

for (const name of SHARED_BACKENDS) {
  describe(`login throttle on ${name}`, sessionsPendingOn(name), () => {
    let b: BackendUnderTest;
    before(async () => {
      b = await backendUnderTest(name);
    });
    after(async () => {
      await b.drop();
    });

    it('N failures lock the key for lockFor, and at least until the window holds fewer; reset clears it', async () => {
      const t = manualClock();
      const throttle = await b.openThrottle({ maxFailures: 3, window: '15m', lockFor: '10m', clock: t.now });
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
      // Locked for 10 minutes, but the 3 failures stay in the 15-minute window for 15.
      assert.equal(third.retryAfterMs, 15 * MINUTE);
      t.advance(10 * MINUTE);
      assert.equal((await throttle.check('10.0.0.1')).retryAfterMs, 5 * MINUTE);
      t.advance(5 * MINUTE);
      assert.deepEqual(await throttle.check('10.0.0.1'), {
        allowed: true,
        failures: 0,
        lockedUntil: null,
        retryAfterMs: 0,
      });
      const long = await b.openThrottle({ maxFailures: 2, window: '1m', lockFor: '1h', clock: t.now });
      await long.hit('long');
      assert.equal((await long.hit('long')).retryAfterMs, 60 * MINUTE, 'a lock longer than the window holds');
      await throttle.hit('other');
      await throttle.reset('other');
      assert.equal((await throttle.check('other')).failures, 0);
    });

    it('issue 9: 1 failure at 0:00, 3 at 14:59 and 3 at 15:00 lock the key: no 15-minute span holds more than 5', async () => {
      const start = 1_700_000_000_000;
      const t = manualClock(start);
      const throttle = await b.openThrottle({ maxFailures: 5, window: '15m', lockFor: '15m', clock: t.now });
      const key = 'boundary';
      const states = [];
      const attempt = async () => {
        // An application tries a login only while allowed, and records the failure.
        if (!(await throttle.check(key)).allowed) return 'refused';
        states.push(await throttle.hit(key));
        return 'failed';
      };
      const outcomes: string[] = [];
      outcomes.push(await attempt());
      t.set(start + 14 * MINUTE + 59_000);
      for (let i = 0; i < 3; i++) outcomes.push(await attempt());
      t.set(start + 15 * MINUTE);
      for (let i = 0; i < 3; i++) outcomes.push(await attempt());
      // At 15:00 the 0:00 failure has left the window (which is (now - 15m, now]): 3 + 1 = 4,
      // then the 5th in 15 minutes locks; the last attempt is refused.
      assert.deepEqual(outcomes, ['failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'refused']);
      const locked = await throttle.check(key);
      assert.equal(locked.allowed, false);
      assert.equal(locked.failures, 5);
      assert.equal(locked.lockedUntil, start + 30 * MINUTE);

      // The window slides: one second before 0:00's failure leaves it, 5 are in it; after, 4.
      const t2 = manualClock(start);
      const other = await b.openThrottle({ maxFailures: 6, window: '15m', clock: t2.now });
      await other.hit('slide');
      t2.set(start + 14 * MINUTE);
      for (let i = 0; i < 4; i++) await other.hit('slide');
      t2.set(start + 15 * MINUTE - 1);
      assert.equal((await other.check('slide')).failures, 5);
      t2.set(start + 15 * MINUTE);
      assert.equal((await other.check('slide')).failures, 4);
      t2.set(start + 29 * MINUTE);
      assert.equal((await other.check('slide')).failures, 0);
      // Exhaustive check of the invariant on a random timeline: whenever a hit is allowed, the
      // allowed hits in the 15 minutes before it (it included) are at most maxFailures.
      const t3 = manualClock(start);
      const random = await b.openThrottle({ maxFailures: 5, window: '15m', lockFor: '1m', clock: t3.now });
      let seed = 99;
      const allowedAt: number[] = [];
      for (let i = 0; i < 120; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        t3.advance(seed % (4 * MINUTE));
        if (!(await random.check('r')).allowed) continue;
        await random.hit('r');
        allowedAt.push(t3.now());
        const inSpan = allowedAt.filter((at) => at > t3.now() - 15 * MINUTE).length;
        assert.ok(inSpan <= 5, `${inSpan} allowed failures in 15 minutes at step ${i}`);
      }
    });

    it('bad options are refused when the throttle is opened', async () => {
      for (const options of [
        { maxFailures: 0 },
        { maxFailures: 1.5 },
        { maxFailures: 10_001 },
        { window: 0 },
        { lockFor: 'x' },
      ]) {
        await assert.rejects(b.openThrottle(options as never), (e: Error & { code?: string }) =>
          ['BAD_OPTION', 'BAD_DURATION'].includes(e.code ?? ''),
        );
      }
      const throttle = await b.openThrottle();
      for (const call of [
        () => throttle.hit('a\0'),
        () => throttle.check('\uD800'),
        () => throttle.reset(''),
      ]) {
        let p: Promise<unknown>;
        assert.doesNotThrow(() => {
          p = call();
        });
        await assert.rejects(p!, (e: Error & { code?: string }) => e.code === 'SESSION_KEY_INVALID');
      }
    });

    it('four processes hitting one key: every failure is counted', async () => {
      const results = await Promise.all(
        [1, 2, 3, 4].map(() => runWorker('throttle', b.url!, 'shared-ip', '', '25')),
      );
      assert.deepEqual(
        results.map((r) => r.code),
        [0, 0, 0, 0],
        results.map((r) => r.stderr).join('\n'),
      );
      const throttle = await b.openThrottle({ maxFailures: 10_000, window: '1h' });
      assert.equal((await throttle.check('shared-ip')).failures, 100);
      if (b.db) {
        const rows = await rawQuery(
          b.db,
          `SELECT failures FROM dbdoctor_login_attempts WHERE ${b.name === 'mysql' ? '`key`' : 'key'} = 'shared-ip'`,
        );
        assert.equal(Number(rows[0]!.failures), 100);
      }
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`upgrading the session tables on ${dialect}`, sessionsPendingOn(dialect), () => {
    it('a database with only the first session migration: the throttle names the fix; install adds the column and keeps sessions', async () => {
      const db = await createTestDatabase(dialect);
      try {
        // The first version's tables, applied in the sessions' own history namespace.
        const first = listSessionMigrations(dialect)[0]!;
        const dir = path.join(db.dir, 'first-only');
        fs.mkdirSync(dir);
        fs.copyFileSync(first.path, path.join(dir, first.file));
        await migrate({
          database: db.url,
          dir,
          historyTable: SESSIONS_HISTORY_TABLE,
          backup: { enabled: false },
        });
        const store = await openSessionStore(db.url);
        await store.create('kept', { a: 1 }, { ttl: '1h' });
        await store.close();
        // SQLite says so at open (statements are prepared then), PostgreSQL and MySQL at the first hit.
        const attempt = async () => {
          const old = await openLoginThrottle(db.url);
          try {
            await old.hit('ip');
          } finally {
            await old.close();
          }
        };
        await assert.rejects(
          attempt,
          (e: Error & { code?: string; hint?: string }) =>
            e.code === 'SESSION_TABLES_MISSING' && /sessions install/.test(e.hint ?? ''),
        );
        const r = await installSessionTables({ database: db.url });
        assert.equal(r.applied.length, 1);
        const throttle = await openLoginThrottle(db.url);
        assert.equal((await throttle.hit('ip')).failures, 1);
        await throttle.close();
        const after = await openSessionStore(db.url);
        assert.deepEqual((await after.get('kept'))?.data, { a: 1 });
        await after.close();
      } finally {
        await db.drop();
      }
    });
  });
}
