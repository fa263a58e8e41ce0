// Issue 4: the memory backend holds what is live, not what was ever written.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type MemoryBackend, MemoryStore } from '../../src/sessions/index.js';
import { manualClock } from '../helpers/session-backends.js';

const HEAP = path.resolve(import.meta.dirname, '../fixtures/memory-heap.ts');

function structures(store: MemoryStore) {
  const backend = store.backend as MemoryBackend;
  return { sessions: backend.sessions.size, queued: backend.due.size, buckets: backend.due.bucketCount };
}

describe('memory store: bounded by live sessions', () => {
  it('replacing one key 50,000 times (a new expiry bucket each time) keeps one entry, one queued, one bucket', async () => {
    const clock = manualClock();
    const store = new MemoryStore({ clock: clock.now });
    for (let i = 0; i < 50_000; i++) {
      clock.advance(1000);
      await store.create('one-key', { n: i }, { ttl: '30d' });
    }
    assert.deepEqual(structures(store), { sessions: 1, queued: 1, buckets: 1 });
  });

  it('deleted, evicted and expired sessions leave the expiry queue at once; touched ones are queued once', async () => {
    const clock = manualClock();
    const store = new MemoryStore({ clock: clock.now, maxSessions: 100 });
    for (let i = 0; i < 10_000; i++) {
      clock.advance(1000);
      await store.create(`k${i}`, {}, { ttl: '30d' });
    }
    assert.deepEqual(structures(store), { sessions: 100, queued: 100, buckets: 100 });
    for (let i = 9_900; i < 9_950; i++) await store.delete(`k${i}`);
    assert.deepEqual(structures(store), { sessions: 50, queued: 50, buckets: 50 });
    for (let round = 0; round < 100; round++) {
      clock.advance(1000);
      for (let i = 9_950; i < 10_000; i++) await store.touch(`k${i}`, round % 2 ? { ttl: '1h' } : {});
    }
    assert.equal(structures(store).queued, 50);
    clock.advance(31 * 86_400_000);
    assert.equal(await store.sweep(), 50);
    assert.deepEqual(structures(store), { sessions: 0, queued: 0, buckets: 0 });
    const got = await store.create('x', {});
    await store.clear();
    assert.deepEqual(structures(store), { sessions: 0, queued: 0, buckets: 0 });
    assert.equal(got.key, 'x');
  });

  it('the heap after 50,000 replacements of one key, and 50,000 writes with evictions and deletes, grows by under 1 MB (was ~19 MB)', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', HEAP], {
      encoding: 'utf8',
    });
    const { replaced, churned } = JSON.parse(out) as { replaced: number; churned: number };
    // 1,000 live sessions of ~250 bytes stay after the churn: well under 1 MB with their entries.
    assert.ok(replaced < 1_000_000, `replacing one key grew the heap by ${replaced} bytes`);
    assert.ok(churned < 1_000_000, `churn grew the heap by ${churned} bytes`);
  });
});
