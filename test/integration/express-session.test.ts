// express-session flows over real HTTP, with express-session's own MemoryStore as the
// reference: every backend must show exactly the transcript MemoryStore shows (status, body,
// Set-Cookie with its Expires) for the same requests at the same (mocked) times.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, mock } from 'node:test';
import express from 'express';
import session from 'express-session';
import { expressSessionStore, type SessionData, type SessionStore } from '../../src/sessions/index.js';
import {
  type BackendUnderTest,
  backendUnderTest,
  SESSION_BACKENDS,
  type SessionBackendName,
  sessionsPendingOn,
} from '../helpers/session-backends.js';

const DbDoctorStore = expressSessionStore(session);
const T0 = Date.UTC(2030, 0, 1);

declare module 'express-session' {
  interface SessionData {
    views: number;
    user: string;
    cart: { items: string[] };
  }
}

/** A gate a handler waits on, opened by the test: explicit synchronisation, no timing. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let arrive!: () => void;
  const arrived = new Promise<void>((r) => (arrive = r));
  return { open, opened, arrive, arrived };
}

interface Step {
  request: string;
  status: number;
  body: unknown;
  setCookie: string | null;
}

interface Client {
  /** GET `path` with the cookie named `as` (if any), and keep the cookie it sets under `as`. */
  get(path: string, as?: string): Promise<Step>;
  /** Moves the clock express-session, the stores and the reference all read. */
  tick(ms: number): void;
  gates: Map<string, ReturnType<typeof gate>>;
  transcript: Step[];
  store: session.Store;
}

interface Scenario {
  name: string;
  cookie: session.CookieOptions;
  rolling?: boolean;
  resave?: boolean;
  saveUninitialized?: boolean;
  run(c: Client): Promise<void>;
}

function routes(app: express.Express, gates: Map<string, ReturnType<typeof gate>>) {
  app.get('/count', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  app.get('/peek', (req, res) =>
    res.json({ views: req.session.views ?? null, user: req.session.user ?? null }),
  );
  app.get('/login', (req, res) => {
    req.session.user = 'ada';
    res.json({ user: 'ada' });
  });
  app.get('/regenerate', (req, res, next) =>
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = 'ada (regenerated)';
      res.json({ user: req.session.user });
    }),
  );
  app.get('/logout', (req, res, next) =>
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true }))),
  );
  app.get('/remember', (req, res) => {
    // "Remember me": only the cookie changes, so express-session touches instead of saving.
    req.session.cookie.maxAge = 60_000;
    res.json({ remembered: true });
  });
  app.get('/save', (req, res, next) =>
    req.session.save((err) =>
      err ? next(err) : res.json({ saved: true, views: req.session.views ?? null }),
    ),
  );
  app.get('/cart/init', (req, res) => {
    req.session.cart = { items: ['a'] };
    res.json(req.session.cart);
  });
  app.get('/cart', (req, res) => res.json(req.session.cart ?? null));
  app.get('/cart/mutate-then-reload', async (req, res, next) => {
    // An unsaved change to nested data, then a wait while another request reads the session.
    req.session.cart?.items.push('unsaved');
    const g = gates.get('mutated') as ReturnType<typeof gate>;
    g.arrive();
    await g.opened;
    req.session.reload((err) => (err ? next(err) : res.json(req.session.cart ?? null)));
  });
}

const scenarios: Scenario[] = [
  {
    name: 'login, read, logout; the old cookie is then anonymous',
    cookie: { maxAge: 60_000 },
    async run(c) {
      await c.get('/peek', 'u');
      await c.get('/login', 'u');
      c.tick(1000);
      await c.get('/peek', 'u');
      await c.get('/logout', 'u');
      await c.get('/peek', 'u');
    },
  },
  {
    name: 'rolling 1.5 s sessions live while used and expire after 1.5 s idle',
    cookie: { maxAge: 1500 },
    rolling: true,
    async run(c) {
      for (let i = 0; i < 4; i++) {
        await c.get('/count', 'u');
        c.tick(1000);
      }
      c.tick(600);
      await c.get('/count', 'u');
    },
  },
  {
    name: 'issue 1: remember me on a rolling 1.5 s cookie sets maxAge 60 s, and the session lives 60 s',
    cookie: { maxAge: 1500 },
    rolling: true,
    async run(c) {
      await c.get('/count', 'u');
      c.tick(100);
      await c.get('/remember', 'u');
      c.tick(3000);
      await c.get('/count', 'u');
      c.tick(45_000);
      await c.get('/peek', 'u');
      c.tick(61_000);
      await c.get('/peek', 'u');
    },
  },
  {
    name: 'issue 2: an explicit save after read-only requests keeps the 3 s cookie (not 524 ms)',
    cookie: { maxAge: 3000 },
    async run(c) {
      await c.get('/count', 'u');
      c.tick(1000);
      await c.get('/peek', 'u');
      c.tick(1000);
      await c.get('/peek', 'u');
      c.tick(476);
      await c.get('/save', 'u');
      c.tick(2000); // 2 s after the save: alive with 3 s, gone with 524 ms
      await c.get('/peek', 'u');
      c.tick(3000);
      await c.get('/peek', 'u');
    },
  },
  {
    name: 'regenerate gives a new id; the old one is gone',
    cookie: { maxAge: 60_000 },
    async run(c) {
      await c.get('/login', 'old');
      await c.get('/regenerate', 'old'); // the new cookie is kept under 'old'…
      await c.get('/peek', 'old');
      c.tick(10);
      await c.get('/login', 'other');
      await c.get('/peek', 'other');
    },
  },
  {
    name: "issue 3: a request's unsaved nested change is not seen by a parallel request and does not survive reload()",
    cookie: { maxAge: 60_000 },
    async run(c) {
      await c.get('/cart/init', 'u');
      const g = gate();
      c.gates.set('mutated', g);
      const holding = c.get('/cart/mutate-then-reload', 'u');
      await g.arrived;
      await c.get('/cart', 'u');
      g.open();
      await holding;
      await c.get('/cart', 'u');
    },
  },
  {
    name: 'browser-session cookies (no maxAge) keep the session across requests',
    cookie: {},
    async run(c) {
      await c.get('/count', 'u');
      c.tick(10 * 60_000);
      await c.get('/count', 'u');
      await c.get('/peek', 'u');
    },
  },
  {
    name: 'resave and saveUninitialized: every request saves, anonymous visits create sessions',
    cookie: { maxAge: 5000 },
    resave: true,
    saveUninitialized: true,
    async run(c) {
      await c.get('/peek', 'u');
      c.tick(4000);
      await c.get('/peek', 'u');
      c.tick(4000);
      await c.get('/count', 'u');
      c.tick(6000);
      await c.get('/count', 'u');
    },
  },
];

/** Runs one scenario on `store` over real HTTP and returns the normalized transcript. */
async function transcript(scenario: Scenario, store: session.Store): Promise<Step[]> {
  mock.timers.enable({ apis: ['Date'], now: T0 });
  const gates = new Map<string, ReturnType<typeof gate>>();
  const app = express();
  app.use(
    session({
      store,
      secret: 'test secret',
      name: 'sid',
      resave: scenario.resave ?? false,
      saveUninitialized: scenario.saveUninitialized ?? false,
      rolling: scenario.rolling ?? false,
      cookie: scenario.cookie,
    }),
  );
  routes(app, gates);
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
    res.status(500).json({ error: (err as Error & { code?: string }).code ?? err.message }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jar = new Map<string, string>();
  const ids = new Map<string, string>();
  const steps: Step[] = [];
  const client: Client = {
    gates,
    transcript: steps,
    store,
    tick: (ms) => mock.timers.tick(ms),
    async get(path, as) {
      const cookie = as ? jar.get(as) : undefined;
      const res = await fetch(base + path, { headers: cookie ? { cookie } : {} });
      const body = await res.json();
      let setCookie = res.headers.get('set-cookie');
      if (setCookie && as) jar.set(as, setCookie.split(';')[0] as string);
      if (setCookie) {
        // Session ids are random: name them by order of appearance.
        setCookie = setCookie.replace(/sid=s%3A([^.;]+)\.[^;]+/, (_m, sid: string) => {
          if (!ids.has(sid)) ids.set(sid, `<id ${ids.size + 1}>`);
          return `sid=${ids.get(sid)}`;
        });
      }
      const step = { request: `${path} as ${as ?? '-'}`, status: res.status, body, setCookie };
      steps.push(step);
      return step;
    },
  };
  try {
    await scenario.run(client);
    const length = await new Promise<number>((res, rej) =>
      store.length!((e, n) => (e ? rej(e) : res(n as number))),
    );
    steps.push({ request: 'store.length', status: 0, body: length, setCookie: null });
    return steps;
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    mock.timers.reset();
  }
}

describe('express-session flows: every backend shows what express-session MemoryStore shows', () => {
  const reference = new Map<string, Step[]>();
  before(async () => {
    for (const s of scenarios) reference.set(s.name, await transcript(s, new session.MemoryStore()));
  });

  it('the reference transcripts show what the issue describes (so the comparison can fail)', () => {
    const remember = reference.get(scenarios[2]!.name)!;
    assert.deepEqual(remember.at(-4)?.body, { views: 2 }, 'alive 3 s after remember me');
    assert.deepEqual(remember.at(-3)?.body, { views: 2, user: null }, 'alive 48 s after');
    assert.deepEqual(remember.at(-2)?.body, { views: null, user: null }, 'gone 61 s after the last request');
    const save = reference.get(scenarios[3]!.name)!;
    assert.deepEqual(save.at(-3)?.body, { views: 1, user: null }, 'alive 2 s after the explicit save');
    assert.deepEqual(save.at(-2)?.body, { views: null, user: null }, 'gone 5 s after it');
    const cart = reference.get(scenarios[5]!.name)!;
    assert.deepEqual(
      cart.slice(1, 4).map((s) => s.body),
      [['a'], ['a'], ['a']].map((items) => ({ items })),
    );
  });

  for (const name of SESSION_BACKENDS) {
    describe(`on ${name}`, sessionsPendingOn(name), () => {
      let b: BackendUnderTest;
      before(async () => {
        b = await backendUnderTest(name);
      });
      after(async () => {
        await b.drop();
      });
      for (const scenario of scenarios) {
        it(scenario.name, async () => {
          const sessions = await b.open();
          await sessions.clear();
          const got = await transcript(scenario, new DbDoctorStore(sessions));
          assert.deepEqual(got, reference.get(scenario.name));
        });
      }
    });
  }
});

describe('a cookie that never expires keeps the login (the TTL is capped at 100 years)', () => {
  for (const name of SESSION_BACKENDS) {
    it(
      `on ${name}: expires in the year 9999, or a maxAge of 200 years`,
      sessionsPendingOn(name),
      async () => {
        const b = await backendUnderTest(name);
        try {
          const sessions: SessionStore<SessionData> = await b.open();
          const store = new DbDoctorStore(sessions);
          const set = (sid: string, sess: unknown) =>
            new Promise<unknown>((resolve) => store.set(sid, sess as never, (err) => resolve(err ?? null)));
          assert.equal(
            await set('forever', { cookie: { expires: new Date('9999-12-31T00:00:00Z') }, user: 'carol' }),
            null,
          );
          assert.equal(
            await set('centuries', { cookie: { maxAge: 200 * 365 * 86_400_000 }, user: 'dave' }),
            null,
          );
          for (const [sid, user] of [
            ['forever', 'carol'],
            ['centuries', 'dave'],
          ] as const) {
            const got = await sessions.get(sid);
            assert.equal((got?.data as { user?: string } | undefined)?.user, user, sid);
            assert.equal(got?.ttlMs, 100 * 365 * 86_400_000, `${sid}: the longest TTL a store takes`);
          }
          const touched = await new Promise<unknown>((resolve) =>
            store.touch(
              'forever',
              { cookie: { expires: new Date('9999-12-31T00:00:00Z') } } as never,
              (err?: unknown) => resolve(err ?? null),
            ),
          );
          assert.equal(touched, null);
          await sessions.close();
        } finally {
          await b.drop();
        }
      },
    );
  }
});

describe('the express-session adapter always calls back, never throws', () => {
  const names: SessionBackendName[] = ['memory', 'redis'];
  for (const name of names) {
    it(`on ${name}: bad ids, bad data and a closed store all reach the callback as errors`, async () => {
      const b = await backendUnderTest(name);
      try {
        const sessions: SessionStore<SessionData> = await b.open();
        const store = new DbDoctorStore(sessions);
        const call = <T>(run: (cb: (err?: unknown, value?: T) => void) => void) =>
          new Promise<{ err: unknown; value: T | undefined }>((resolve) => {
            assert.doesNotThrow(() => run((err, value) => resolve({ err, value })));
          });
        const circular: Record<string, unknown> = { cookie: { maxAge: 1000 } };
        circular.self = circular;
        for (const r of [
          await call((cb) => store.get('bad\0id', cb)),
          await call((cb) => store.set('bad\0id', { cookie: { maxAge: 1000 } } as never, cb)),
          await call((cb) => store.set('sid', circular as never, cb)),
          await call((cb) =>
            store.set('sid', { cookie: { maxAge: 1000 }, big: 'x'.repeat(70_000) } as never, cb),
          ),
          await call((cb) => store.touch('user\uD800', { cookie: { maxAge: 1000 } } as never, cb)),
          await call((cb) => store.destroy('', cb)),
        ]) {
          assert.ok(r.err instanceof Error, String(r.err));
        }
        // A touch of a session that is not there creates nothing; an expired cookie removes one.
        assert.equal(
          (await call((cb) => store.touch('ghost', { cookie: { maxAge: 1000 } } as never, cb))).err,
          null,
        );
        assert.equal(await sessions.get('ghost'), null);
        await call((cb) => store.set('old', { cookie: { maxAge: 1000 } } as never, cb));
        assert.ok(await sessions.get('old'));
        await call((cb) => store.set('old', { cookie: { expires: new Date(Date.now() - 1) } } as never, cb));
        assert.equal(await sessions.get('old'), null);
        await sessions.close();
        const closed = await call((cb) => store.get('sid', cb));
        if (name === 'redis') assert.equal((closed.err as { code?: string }).code, 'SESSION_STORE_FAILED');
        else assert.equal(closed.err, null, 'a closed memory store still answers');
      } finally {
        await b.drop();
      }
    });
  }
});
