import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import express from 'express';
import session from 'express-session';
import {
  expressSessionStore,
  installSessionTables,
  MemoryStore,
  openSessionStore,
} from '../../src/sessions/index.js';
import {
  createTestDatabase,
  DIALECTS,
  pendingOn,
  rawQuery,
  SESSIONS_PENDING,
  type TestDatabase,
} from '../helpers/databases.js';

const DbDoctorStore = expressSessionStore(session);

declare module 'express-session' {
  interface SessionData {
    views: number;
  }
}

for (const backend of ['memory', ...DIALECTS] as const) {
  describe(
    `express-session with the dbdoctor store on ${backend}`,
    pendingOn(backend, SESSIONS_PENDING),
    () => {
      const cleanups: (() => Promise<void>)[] = [];
      after(async () => {
        for (const c of cleanups.reverse()) await c();
      });

      it('keeps a session across real HTTP requests, then destroys it; length, all and clear work', async () => {
        let db: TestDatabase | null = null;
        if (backend !== 'memory') {
          db = await createTestDatabase(backend);
          cleanups.push(() => db!.drop());
          await installSessionTables({ database: db.url });
        }
        const sessions = backend === 'memory' ? new MemoryStore() : await openSessionStore(db!.url);
        cleanups.push(() => sessions.close());
        const store = new DbDoctorStore(sessions);
        const app = express();
        app.use(
          session({
            store,
            secret: 'test secret',
            resave: false,
            saveUninitialized: false,
            rolling: true,
            cookie: { maxAge: 60_000 },
          }),
        );
        app.get('/count', (req, res) => {
          req.session.views = (req.session.views ?? 0) + 1;
          res.json({ views: req.session.views });
        });
        app.get('/logout', (req, res) => req.session.destroy(() => res.json({ ok: true })));
        const server = app.listen(0, '127.0.0.1');
        await new Promise((r) => server.once('listening', r));
        cleanups.push(() => new Promise((r) => server.close(() => r())));
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

        const first = await fetch(`${base}/count`);
        assert.deepEqual(await first.json(), { views: 1 });
        const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
        const second = await fetch(`${base}/count`, { headers: { cookie } });
        assert.deepEqual(await second.json(), { views: 2 });
        const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
        const stored = await sessions.get(sid);
        assert.equal(stored?.data.views, 2);
        assert.ok(stored!.expiresAt - stored!.lastActivity <= 60_000);
        if (db) assert.equal((await rawQuery(db, 'SELECT key FROM dbdoctor_sessions'))[0]!.key, sid);

        const length = await new Promise<number>((res, rej) =>
          store.length((e, n) => (e ? rej(e) : res(n!))),
        );
        assert.equal(length, 1);
        const all = await new Promise<Record<string, unknown>>((res, rej) =>
          store.all((e, x) => (e ? rej(e) : res(x as Record<string, unknown>))),
        );
        assert.deepEqual(Object.keys(all), [sid]);

        await fetch(`${base}/logout`, { headers: { cookie } });
        assert.equal(await sessions.get(sid), null);
        const fresh = await fetch(`${base}/count`, { headers: { cookie } });
        assert.deepEqual(await fresh.json(), { views: 1 });
        await new Promise<void>((res, rej) => store.clear((e) => (e ? rej(e) : res())));
        assert.equal(await sessions.count(), 0);
      });
    },
  );
}
