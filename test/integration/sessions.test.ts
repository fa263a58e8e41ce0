// The session store contract: one suite, run on every backend (memory, SQLite, PostgreSQL,
// Redis). Each test states behaviour every backend must show identically.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import { openSessionStore, type SessionData, type SessionStore } from '../../src/sessions/index.js';
import { createTestDatabase, rawQuery } from '../helpers/databases.js';
import {
  type BackendUnderTest,
  backendUnderTest,
  manualClock,
  pendingNote,
  RUNNABLE_SESSION_BACKENDS,
  RUNNABLE_SHARED_BACKENDS,
  runWorker,
  SESSION_BACKENDS,
  SHARED_BACKENDS,
  sessionsPendingOn,
} from '../helpers/session-backends.js';

const MINUTE = 60_000;

const code = (c: string) => (e: Error & { code?: string }) => e.code === c;

for (const name of SESSION_BACKENDS) {
  describe(`session store contract on ${name}`, sessionsPendingOn(name), () => {
    let b: BackendUnderTest;
    const clock = manualClock();
    let store: SessionStore<SessionData>;

    before(async () => {
      b = await backendUnderTest(name);
      store = await b.open({ clock: clock.now });
    });
    after(async () => {
      await b.drop();
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
      assert.equal(await store.delete('slide'), false);
      if (b.db) {
        const key = b.name === 'mysql' ? '`key`' : 'key'; // a reserved word in MySQL
        assert.deepEqual(
          await rawQuery(b.db, `SELECT ${key} FROM dbdoctor_sessions WHERE ${key} = 'slide'`),
          [],
        );
      }
    });

    it('touch and update with a ttl set the TTL the session keeps sliding by (longer and shorter)', async () => {
      await store.create('ttl', { a: 1 }, { ttl: 1500 });
      assert.equal(await store.touch('ttl', { ttl: 60_000 }), true);
      clock.advance(30_000);
      assert.ok(await store.get('ttl'), 'the longer TTL from touch holds');
      assert.equal(await store.touch('ttl'), true);
      assert.equal((await store.get('ttl'))?.ttlMs, 60_000, 'later touches slide by the new TTL');
      const shorter = await store.update('ttl', { b: 2 }, { ttl: 1000 });
      assert.equal(shorter?.expiresAt, clock.now() + 1000);
      clock.advance(1000);
      assert.equal(await store.get('ttl'), null, 'the shorter TTL from update holds');
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
      assert.equal((await store.validate('e')).valid === false && (await store.validate('e')).session, null);
    });

    it('list, count and paging: same order, filters and defaults on every backend', async () => {
      await store.clear();
      assert.deepEqual(await store.list(), []);
      assert.equal(await store.count(), 0);
      // Equal activity times: ties are by key in code point order ('Z' < 'a' < 'é' < '\uFFFD' < '😀'),
      // which is UTF-8 byte order, not JavaScript's UTF-16 order (where '😀' < '\uFFFD').
      for (const k of ['\uFFFD', 'a', '😀', 'é', 'Z']) await store.create(k, { k });
      clock.advance(1);
      await store.create('y', {});
      clock.advance(1);
      await store.create('z', {});
      await store.complete('z');
      await store.create('old', {}, { ttl: 1 });
      clock.advance(1);
      assert.deepEqual(
        (await store.list()).map((s) => s.key),
        ['z', 'y', 'Z', 'a', 'é', '\uFFFD', '😀'],
      );
      assert.deepEqual(
        (await store.list({ status: 'active', limit: 3, offset: 1 })).map((s) => s.key),
        ['Z', 'a', 'é'],
      );
      assert.deepEqual(
        (await store.list({ status: 'completed' })).map((s) => s.key),
        ['z'],
      );
      assert.deepEqual(await store.list({ status: 'abandoned' }), []);
      assert.deepEqual(await store.list({ limit: 0 }), []);
      assert.deepEqual(await store.list({ offset: 100 }), []);
      assert.deepEqual(
        (await store.list({ includeExpired: true })).map((s) => s.key),
        ['old', 'z', 'y', 'Z', 'a', 'é', '\uFFFD', '😀'],
      );
      assert.equal(await store.count(), 7);
      for (const bad of [{ limit: -1 }, { limit: 1.5 }, { offset: -1 }, { status: 'gone' }] as const) {
        await assert.rejects(store.list(bad as never), code('BAD_OPTION'));
      }
      assert.equal(await store.delete('y'), true);
      assert.equal(await store.delete('y'), false);
      assert.equal(await store.count(), 6);
      assert.equal(await store.delete('old'), false, 'an expired session is not a live one');
      await store.clear();
      assert.equal(await store.count(), 0);
      assert.deepEqual(await store.list({ includeExpired: true }), []);
    });

    it('list returns at most 1000 sessions by default', async () => {
      await store.clear();
      for (let i = 0; i < 1005; i++) await store.create(`k${i}`, {});
      assert.equal((await store.list()).length, 1000);
      assert.equal((await store.list({ limit: 2000 })).length, 1005);
      await store.clear();
    });

    it('sweep removes exactly the expired sessions, in batches, and returns the count', async () => {
      await store.clear();
      const n = 6000;
      for (let i = 0; i < n; i++)
        await store.create(`old${i}`, { i }, { ttl: i % 2 === 0 ? MINUTE : 60 * MINUTE });
      await store.touch('old0', { ttl: 60 * MINUTE }); // moved later since it was queued
      clock.advance(2 * MINUTE);
      const progress: number[] = [];
      assert.equal(await store.sweep({ onBatch: (removed) => void progress.push(removed) }), n / 2 - 1);
      assert.equal(progress.at(-1), n / 2 - 1);
      // SQLite sweeps 2,000 a statement, Redis 1,000 a script: several batches here.
      if (name === 'sqlite' || name === 'redis')
        assert.ok(progress.length >= 2, `batches: ${progress.join(', ')}`);
      assert.equal(await store.sweep(), 0);
      assert.equal(await store.count(), n / 2 + 1);
      assert.deepEqual((await store.get('old1'))?.data, { i: 1 });
      assert.deepEqual((await store.get('old0'))?.data, { i: 0 });
      await store.clear();
    });

    it('callers get copies: changing what they passed or got changes nothing stored', async () => {
      const data = { cart: { items: ['a'] }, n: 1 };
      const created = await store.create('copy', data);
      data.cart.items.push('passed-in');
      created.data.n = 99;
      const got = await store.get('copy');
      assert.deepEqual(got?.data, { cart: { items: ['a'] }, n: 1 });
      (got!.data.cart as { items: string[] }).items.push('unsaved');
      assert.deepEqual((await store.get('copy'))?.data, { cart: { items: ['a'] }, n: 1 });
      const listed = await store.list();
      (listed[0]!.data.cart as { items: string[] }).items.push('listed');
      const updated = await store.update('copy', { m: 2 });
      (updated!.data.cart as { items: string[] }).items.push('updated');
      const validated = await store.validate('copy');
      (validated.session!.data.cart as { items: string[] }).items.push('validated');
      assert.deepEqual((await store.get('copy'))?.data, { cart: { items: ['a'] }, n: 1, m: 2 });
    });

    it('keys: NUL, lone surrogates, empty, too long and non-strings are refused, identically, by rejecting', async () => {
      const bad: unknown[] = [
        'a\0b',
        '\0',
        'user\uD800',
        'user\uDBFF',
        'x\uDC00y',
        '',
        'k'.repeat(513),
        42,
        {},
      ];
      for (const key of bad) {
        for (const call of [
          () => store.create(key as string, {}),
          () => store.get(key as string),
          () => store.update(key as string, {}),
          () => store.touch(key as string),
          () => store.complete(key as string),
          () => store.abandon(key as string),
          () => store.validate(key as string),
          () => store.delete(key as string),
        ]) {
          let p: Promise<unknown>;
          assert.doesNotThrow(() => {
            p = call();
          }, 'no method throws synchronously');
          await assert.rejects(p!, code('SESSION_KEY_INVALID'));
        }
      }
      // The two lone surrogates never become one session: both are refused, so neither exists.
      assert.equal(await store.count(), (await store.list({ limit: 100_000 })).length);
      assert.equal(
        (await store.list({ limit: 100_000 })).some((s) => s.key.startsWith('user')),
        false,
      );
      // Valid neighbours stay distinct sessions: a pair, and a character outside the BMP.
      await store.create('user\uD800\uDC00', { who: 'pair' });
      await store.create('user\uDBFF\uDFFF', { who: 'other pair' });
      assert.equal((await store.get('user\uD800\uDC00'))?.data.who, 'pair');
      assert.equal((await store.get('user\uDBFF\uDFFF'))?.data.who, 'other pair');
      await store.create('k'.repeat(512), { longest: true });
      assert.equal((await store.get('k'.repeat(512)))?.data.longest, true);
    });

    it('hostile keys are bound as parameters or script arguments and stored literally', async () => {
      const keys = [
        "'; DROP TABLE dbdoctor_sessions; --",
        '"quoted"',
        '🔑 ünïcode',
        "x' OR '1'='1",
        '*',
        'a*b?[c]',
        'session:other',
        '{tag}',
        'end\\',
        'line\nbreak',
        '`key`',
      ];
      for (const key of keys) await store.create(key, { key });
      for (const key of keys) assert.deepEqual((await store.get(key))?.data, { key });
      assert.equal(await store.get("x' OR '1'='2"), null);
      for (const key of keys) assert.equal(await store.delete(key), true);
      if (b.db) assert.ok((await rawQuery(b.db, 'SELECT count(*) AS n FROM dbdoctor_sessions')).length === 1);
    });

    it('keys differing only in case, trailing spaces or Unicode normalization are different sessions', async () => {
      // MySQL's string collations would fold these together (PAD SPACE, case, ß = ss).
      const keys = ['pad', 'pad ', 'pad  ', 'Case', 'case', 'CASE', 'strasse', 'straße', '\u00e9', 'e\u0301'];
      for (const key of keys) await store.create(key, { key });
      for (const key of keys) assert.deepEqual((await store.get(key))?.data, { key }, JSON.stringify(key));
      const listed = (await store.list({ limit: 1000 })).map((s) => s.key).filter((k) => keys.includes(k));
      assert.equal(listed.length, keys.length);
      for (const key of keys) assert.equal(await store.delete(key), true, JSON.stringify(key));
    });

    it('data: NUL and lone surrogates in values or keys, non-JSON values and bad TTLs are refused alike', async () => {
      const small = await b.open({ clock: clock.now, maxDataBytes: 100 });
      for (const bad of [
        { when: new Date() },
        { f: () => 1 },
        { n: Number.NaN },
        { i: Number.POSITIVE_INFINITY },
        { u: undefined },
        { b: 1n },
        { s: 'a\0b' },
        { s: 'lone \uD800' },
        { nested: { deep: ['\uDFFF'] } },
        { 'key\0': 1 },
        { '\uD800': 1 },
        { m: new Map() },
      ]) {
        await assert.rejects(small.create('bad', bad as never), code('SESSION_DATA_INVALID'));
        await small.create('ok', {});
        await assert.rejects(small.update('ok', bad as never), code('SESSION_DATA_INVALID'));
      }
      assert.equal(await small.get('bad'), null);
      assert.deepEqual((await small.get('ok'))?.data, {});
      // The message names what the value is: its own class, never an inherited "Object".
      class Cookie {
        maxAge = 1;
      }
      await assert.rejects(
        small.create('bad', { cookie: new Cookie() } as never),
        /data\.cookie is an instance of Cookie, not a plain object/,
      );
      function Legacy() {}
      Legacy.prototype = { maxAge: 1 }; // no own constructor: `.constructor` would say Object
      await assert.rejects(
        small.create('bad', { cookie: new (Legacy as unknown as new () => object)() } as never),
        /data\.cookie is an object with a custom prototype, not a plain object/,
      );
      for (const ttl of [
        0,
        -1,
        1.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        '0s',
        'abc',
        '',
        200 * 365 * 86_400_000,
      ]) {
        await assert.rejects(small.create('t', {}, { ttl: ttl as never }), code('BAD_DURATION'), String(ttl));
        await assert.rejects(small.touch('ok', { ttl: ttl as never }), code('BAD_DURATION'), String(ttl));
        await assert.rejects(
          small.update('ok', {}, { ttl: ttl as never }),
          code('BAD_DURATION'),
          String(ttl),
        );
      }
      assert.equal(await small.get('t'), null);
    });

    it('size is UTF-8 bytes of the JSON on every backend: 80,011 é are over 64 KiB; an empty update always fits', async () => {
      await assert.rejects(
        store.create('e-acute', { text: 'é'.repeat(80_011) }),
        (e: Error & { code?: string }) =>
          e.code === 'SESSION_DATA_TOO_LARGE' && /160033 bytes/.test(e.message),
      );
      assert.equal(await store.get('e-acute'), null);
      // Exactly at the limit: {"text":"…"} is 11 bytes of JSON around the text.
      const limit = 64 * 1024;
      const fits = { text: 'é'.repeat((limit - 11 - 1) / 2) + 'x' };
      assert.equal(Buffer.byteLength(JSON.stringify(fits)), limit);
      await store.create('at-limit', fits);
      assert.deepEqual(
        (await store.update('at-limit', {}))?.data,
        fits,
        'an empty update of accepted data passes',
      );
      await assert.rejects(store.update('at-limit', { y: 1 }), code('SESSION_DATA_TOO_LARGE'));
      assert.deepEqual((await store.get('at-limit'))?.data, fits, 'a refused update changes nothing');
      await assert.rejects(store.create('over', { text: `${fits.text}x` }), code('SESSION_DATA_TOO_LARGE'));
      // Numbers PostgreSQL renders differently (1e21, 1e-7) count as JSON.stringify writes them.
      await store.create('numbers', { big: 1e21, small: 1e-7, neg: -0.5 });
      assert.deepEqual((await store.update('numbers', {}))?.data, { big: 1e21, small: 1e-7, neg: -0.5 });
      await store.delete('at-limit');
    });

    it('concurrent create, update, delete, touch and status calls on one key: each applies or says not found', async () => {
      await store.create('race', { untouched: true }, { ttl: '1h' });
      const errors: unknown[] = [];
      const run = async (n: number, step: (i: number) => Promise<unknown>) => {
        for (let i = 1; i <= n; i++) await step(i).catch((e) => errors.push(e));
      };
      await Promise.all([
        run(40, (i) => store.update('race', { left: i })),
        run(40, (i) => store.update('race', { right: i })),
        run(40, () => store.touch('race')),
        run(40, (i) => (i % 2 ? store.complete('race') : store.abandon('race'))),
      ]);
      assert.deepEqual(errors, []);
      const s = await store.get('race');
      assert.equal(s?.data.left, 40);
      assert.equal(s?.data.right, 40);
      assert.equal(s?.data.untouched, true);
      await Promise.all([
        run(30, (i) => store.create('race', { gen: i })),
        run(30, () => store.delete('race')),
        run(30, async (i) => {
          const u = await store.update('race', { u: i });
          if (u !== null) assert.equal(u.data.u, i);
        }),
        run(30, () => store.touch('race', { ttl: '2h' })),
      ]);
      assert.deepEqual(errors, []);
    });
  });
}

/** Runs the same sequence of calls on every backend and compares every answer. */
describe('every backend answers a random sequence of calls identically', () => {
  it(`1,500 random calls on 40 keys, with the clock moving: the same results on every backend${pendingNote}`, async () => {
    const backends: BackendUnderTest[] = [];
    const stores: SessionStore<SessionData>[] = [];
    const clock = manualClock();
    try {
      for (const name of RUNNABLE_SESSION_BACKENDS) {
        const b = await backendUnderTest(name);
        backends.push(b);
        stores.push(await b.open({ clock: clock.now, maxDataBytes: 300 }));
      }
      let seed = 12345;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const strip = (v: unknown) =>
        JSON.parse(
          JSON.stringify(v, (_k, x) =>
            x instanceof Error ? { code: (x as Error & { code?: string }).code } : x,
          ),
        );
      for (let step = 0; step < 1500; step++) {
        const key = `k${rnd(40)}`;
        const op = rnd(11);
        if (rnd(10) === 0) clock.advance(rnd(3) * 30_000);
        const call = (s: SessionStore<SessionData>): Promise<unknown> => {
          switch (op) {
            case 0:
            case 1:
              return s.create(
                key,
                { v: step, pad: 'p'.repeat(rnd(3) * 50) },
                { ttl: (1 + (step % 3)) * 60_000 },
              );
            case 2:
              return s.get(key);
            case 3:
              return s.update(key, { [`f${step % 5}`]: 'x'.repeat(step % 120) });
            case 4:
              return s.touch(key, step % 2 ? { ttl: 90_000 } : {});
            case 5:
              return step % 2 ? s.complete(key) : s.abandon(key);
            case 6:
              return s.validate(key);
            case 7:
              return s.delete(key);
            case 8:
              return s.list({
                status: (['active', 'completed', undefined] as const)[step % 3],
                limit: 5,
                offset: step % 4,
              });
            case 9:
              return s.count();
            default:
              return s.sweep();
          }
        };
        // The same op, seed and clock for every backend: re-seed between them.
        const before = seed;
        const answers: unknown[] = [];
        for (const s of stores) {
          seed = before;
          answers.push(strip(await call(s).catch((e: unknown) => e)));
        }
        for (let i = 1; i < answers.length; i++)
          assert.deepEqual(
            answers[i],
            answers[0],
            `step ${step}: ${RUNNABLE_SESSION_BACKENDS[i]} differs from memory`,
          );
      }
    } finally {
      for (const b of backends) await b.drop();
    }
  });
});

for (const name of SHARED_BACKENDS) {
  describe(`session store across processes on ${name}`, sessionsPendingOn(name), () => {
    let b: BackendUnderTest;
    before(async () => {
      b = await backendUnderTest(name);
    });
    after(async () => {
      await b.drop();
    });

    it('three processes updating different fields and one touching: every write survives', async () => {
      const real = await b.open();
      await real.create('shared', { untouched: true }, { ttl: '1h' });
      const results = await Promise.all([
        runWorker('update', b.url!, 'shared', 'a', '60'),
        runWorker('update', b.url!, 'shared', 'b', '60'),
        runWorker('update', b.url!, 'shared', 'c', '60'),
        runWorker('churn', b.url!, 'shared', 'touch', '60'),
      ]);
      assert.deepEqual(
        results.map((r) => r.code),
        [0, 0, 0, 0],
        results.map((r) => r.stderr).join('\n'),
      );
      assert.deepEqual((await real.get('shared'))?.data, { untouched: true, a: 60, b: 60, c: 60 });
    });

    it('create, delete, update, touch and status changes racing on one key from five processes: no error, ever', async () => {
      const results = await Promise.all(
        ['create', 'delete', 'u', 'touch', 'status'].map((role) =>
          runWorker('churn', b.url!, 'churned', role, '80'),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.code),
        [0, 0, 0, 0, 0],
        results.map((r) => r.stderr).join('\n'),
      );
    });

    it('a database or Redis without what the store needs: a clear error naming the fix', async () => {
      if (name === 'redis') {
        await assert.rejects(
          openSessionStore('redis://127.0.0.1:1'),
          (e: Error & { code?: string }) => e.code === 'DB_UNREACHABLE' && /127\.0\.0\.1:1/.test(e.message),
        );
        return;
      }
      const empty = await createTestDatabase(name);
      try {
        if (name === 'sqlite') new Database(empty.url.slice('sqlite:'.length)).close();
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
  });
}

describe('no raw driver error reaches the caller', () => {
  it(`a connection closed under the store: SESSION_STORE_FAILED with what may have changed, on every shared backend${pendingNote}`, async () => {
    for (const name of RUNNABLE_SHARED_BACKENDS) {
      const b = await backendUnderTest(name);
      try {
        let store: SessionStore<SessionData>;
        let closeUnder: () => Promise<void>;
        if (name === 'sqlite') {
          const db = new Database(b.url!.slice('sqlite:'.length));
          store = await openSessionStore(db);
          closeUnder = async () => void db.close();
        } else if (name === 'postgres') {
          const client = new pg.Client({ connectionString: b.url! });
          await client.connect();
          store = await openSessionStore(client);
          closeUnder = () => client.end();
        } else if (name === 'mysql') {
          const conn = await mysql.createConnection(b.url!);
          conn.on('error', () => {});
          store = await openSessionStore(conn);
          closeUnder = () => conn.end();
        } else {
          const client = createClient({ url: b.url!.split('?')[0] });
          client.on('error', () => {});
          await client.connect();
          store = await openSessionStore(client, { keyPrefix: b.redis!.prefix });
          closeUnder = () => client.close();
        }
        await store.create('k', { a: 1 });
        assert.deepEqual((await store.get('k'))?.data, { a: 1 });
        await closeUnder();
        await assert.rejects(
          store.get('k'),
          (e: Error & { code?: string; unchanged?: string; cause?: unknown }) =>
            e.code === 'SESSION_STORE_FAILED' &&
            e.unchanged === 'Nothing was changed.' &&
            e.cause !== undefined,
          name,
        );
        await assert.rejects(
          store.touch('k'),
          (e: Error & { code?: string; unchanged?: string }) =>
            e.code === 'SESSION_STORE_FAILED' && /may or may not have been applied/.test(e.unchanged ?? ''),
          name,
        );
      } finally {
        await b.drop();
      }
    }
  });
});
