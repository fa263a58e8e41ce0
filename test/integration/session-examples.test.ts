import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AssessmentProgress,
  AssessmentSessions,
  SessionNotValid,
  XP_PER_ANSWER,
} from '../../examples/sessions/assessment.js';
import {
  PAGE_SIZE,
  type Trail,
  type TrailCatalog,
  type TrailSelection,
  TrailSelectionFlow,
} from '../../examples/sessions/trail-selection.js';
import {
  MemoryStore,
  openSessionStore,
  type SessionData,
  type SessionStore,
} from '../../src/sessions/index.js';
import {
  type BackendUnderTest,
  backendUnderTest,
  SESSION_BACKENDS,
  sessionsPendingOn,
} from '../helpers/session-backends.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** An in-process catalog: 12 library trails, 3 of the hiker's own; records choices. */
function testCatalog() {
  const trails = new Map<number, Trail>();
  for (let i = 1; i <= 12; i++) trails.set(i, { id: i, name: `Library trail ${i}` });
  for (let i = 101; i <= 103; i++) trails.set(i, { id: i, name: `My route ${i}` });
  const active = new Map<string, number>();
  const catalog: TrailCatalog = {
    myTrails: async () => [101, 102, 103].map((id) => trails.get(id) as Trail),
    library: async () => [...trails.values()].filter((t) => t.id < 100),
    describe: async (ids) => ids.map((id) => trails.get(id) as Trail),
    setActiveTrail: async (phone, id) => {
      active.set(phone, id);
    },
  };
  return { catalog, active };
}

for (const backend of SESSION_BACKENDS) {
  describe(`examples/sessions on ${backend}`, sessionsPendingOn(backend), () => {
    let b: BackendUnderTest;
    const clock = manualClock();
    const stores: SessionStore<SessionData>[] = [];
    let shared: MemoryStore | null = null;
    /** A store as one worker would open it (shared backends: a separate connection each time). */
    async function openStore<T extends SessionData>(): Promise<SessionStore<T>> {
      if (backend === 'memory') {
        shared ??= new MemoryStore({ clock: clock.now });
        return shared as unknown as SessionStore<T>;
      }
      const s = await openSessionStore<T>(b.url as string, { clock: clock.now });
      stores.push(s as unknown as SessionStore<SessionData>);
      return s;
    }

    before(async () => {
      b = await backendUnderTest(backend);
    });
    after(async () => {
      for (const s of stores) await s.close();
      await shared?.close();
      await b.drop();
    });

    it('report 001: menu, my trails, library pages, selection; every text slides the 30-minute expiry', async () => {
      const { catalog, active } = testCatalog();
      // Two workers answer alternate texts of one conversation: the state must live in the store.
      const workerA = new TrailSelectionFlow(await openStore<TrailSelection>(), catalog);
      const workerB = new TrailSelectionFlow(await openStore<TrailSelection>(), catalog);
      const phone = '+61400000000';

      assert.match((await workerA.start(phone)).message, /1 for My Trails, 2 for the Library/);
      assert.match(
        (await workerB.reply(phone, 'x')).message,
        /1 for My Trails/,
        'bad menu input repeats the menu',
      );

      const lib = (await workerA.reply(phone, '2')).message;
      assert.match(lib, /^Library \(page 1\/3\)/);
      assert.match(lib, /1\. Library trail 1\n/);
      assert.match(lib, /N next, 0 menu/);

      clock.advance(29 * MINUTE);
      const page2 = (await workerB.reply(phone, 'n')).message;
      assert.match(page2, /page 2\/3/);
      assert.match(page2, /1\. Library trail 6\n/);
      assert.match(page2, /P previous/);
      clock.advance(29 * MINUTE); // 58 minutes since START, 29 since the last text: still live
      const page3 = (await workerA.reply(phone, 'N')).message;
      assert.match(page3, /page 3\/3\)\n1\. Library trail 11\n2\. Library trail 12\n/);
      assert.match((await workerB.reply(phone, 'N')).message, /page 3\/3/, 'N on the last page stays there');
      assert.match((await workerA.reply(phone, '5')).message, /"5" is not on the list/);
      assert.match((await workerB.reply(phone, 'p')).message, /page 2\/3/);

      assert.match((await workerA.reply(phone, '0')).message, /1 for My Trails/);
      const mine = (await workerB.reply(phone, '1')).message;
      assert.match(mine, /^My Trails \(page 1\/1\)\n1\. My route 101\n2\. My route 102\n3\. My route 103\n/);

      const chosen = await workerA.reply(phone, '2');
      assert.equal(chosen.selectedTrailId, 102);
      assert.match(chosen.message, /Active trail set to My route 102/);
      assert.equal(active.get(phone), 102);
      const store = await openStore<TrailSelection>();
      const v = await store.validate(phone);
      assert.equal(v.valid, false);
      assert.equal(v.valid === false && v.reason, 'completed');
      assert.deepEqual(v.session?.data, { state: 'my_trails', page: 0, trailIds: [101, 102, 103] });
    });

    it('report 001: a conversation idle for 30 minutes expires, is removed, and START begins again', async () => {
      const { catalog } = testCatalog();
      const store = await openStore<TrailSelection>();
      const flow = new TrailSelectionFlow(store, catalog);
      const phone = '+61400000001';
      await flow.start(phone);
      await flow.reply(phone, '2');
      clock.advance(30 * MINUTE);
      assert.match((await flow.reply(phone, '1')).message, /timed out\. Text START/);
      assert.equal(await store.get(phone), null);
      await flow.start(phone);
      await flow.reply(phone, '2');
      clock.advance(31 * MINUTE);
      assert.ok((await flow.sweep()) >= 1, 'the idle conversation is swept');
      assert.equal((await store.validate(phone)).valid, false);
      assert.equal(PAGE_SIZE, 5);
    });

    it('report 002: start, answer, validate, resume at the current page, complete', async () => {
      const store = await openStore<AssessmentProgress>();
      const assessment = new AssessmentSessions(store, [10, 20, 30]);
      const id = await assessment.start('student-1');
      assert.match(id, /^[A-Za-z0-9_-]{43}$/);

      const first = await assessment.answer(id, 10, 'agree');
      assert.deepEqual(first, { xpGained: XP_PER_ANSWER, totalXp: 10, nextPageId: 20 });
      assert.deepEqual(await assessment.answer(id, 10, 'disagree'), {
        xpGained: 0,
        totalXp: 10,
        nextPageId: 20,
      });

      clock.advance(29 * DAY); // the student comes back within 30 days of the last activity
      const check = await assessment.validate(id);
      assert.equal(check.valid, true);
      assert.deepEqual(check.session, {
        status: 'active',
        currentPageId: 20,
        lastActivity: clock.now() - 29 * DAY,
      });
      assert.deepEqual(check.progress, { questionsAnswered: 1, totalXp: 10, percentage: 33 });
      assert.equal(await assessment.resume(id), 20);

      clock.advance(29 * DAY); // 58 days after start, 29 after the resume: still valid
      await assessment.answer(id, 20, { scale: 4 });
      const last = await assessment.answer(id, 30, 'done');
      assert.deepEqual(last, { xpGained: XP_PER_ANSWER, totalXp: 30, nextPageId: null });
      const done = await assessment.validate(id);
      assert.equal(done.valid, false);
      assert.equal(done.reason, 'completed');
      assert.deepEqual(done.progress, { questionsAnswered: 3, totalXp: 30, percentage: 100 });
      assert.deepEqual((await store.get(id))?.data.answers, { 10: 'disagree', 20: { scale: 4 }, 30: 'done' });
      await assert.rejects(assessment.answer(id, 30, 'again'), (e: unknown) => {
        assert.ok(e instanceof SessionNotValid);
        assert.equal(e.reason, 'completed');
        return true;
      });
    });

    it('report 002: Start Fresh abandons the old session and resumes nowhere; 30 idle days expire a session', async () => {
      const store = await openStore<AssessmentProgress>();
      const assessment = new AssessmentSessions(store, [1, 2, 3, 4]);
      const old = await assessment.start('student-2');
      await assessment.answer(old, 1, 'a');
      await assessment.answer(old, 2, 'b');
      const fresh = await assessment.startFresh(old);
      assert.equal(fresh.abandonedXp, 20);
      assert.notEqual(fresh.newSessionId, old);

      const abandoned = await assessment.validate(old);
      assert.equal(abandoned.valid, false);
      assert.equal(abandoned.reason, 'abandoned');
      assert.equal(abandoned.session?.status, 'abandoned');
      await assert.rejects(assessment.resume(old), /cannot be used: abandoned/);
      assert.equal(await assessment.resume(fresh.newSessionId), 1);

      clock.advance(30 * DAY);
      const expired = await assessment.validate(fresh.newSessionId);
      assert.equal(expired.valid, false);
      assert.equal(expired.reason, 'expired');
      const gone = await assessment.validate(fresh.newSessionId);
      assert.equal(gone.reason, 'not_found', 'an expired session is removed once seen');
      assert.deepEqual(await assessment.validate('no-such-session'), {
        valid: false,
        reason: 'not_found',
        session: null,
        progress: null,
      });
    });
  });
}
