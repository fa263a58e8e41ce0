import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiryBuckets } from '../../src/sessions/expiry-buckets.js';

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('ExpiryBuckets', () => {
  it('drains exactly the entries due, at any time, including inside a bucket and at its edges', () => {
    const rnd = random(42);
    const q = new ExpiryBuckets<{ at: number; id: number }>((e) => e.at, 1000);
    const pending = new Map<number, number>();
    let id = 0;
    let now = 0;
    for (let step = 0; step < 2000; step++) {
      for (let i = 0; i < 5; i++) {
        const at = now + Math.floor(rnd() * 5000);
        q.add({ at, id });
        pending.set(id++, at);
      }
      // Move by 0..1499 ms: often stays inside one bucket, sometimes lands on an edge.
      now += rnd() < 0.1 ? 1000 - (now % 1000) : Math.floor(rnd() * 1500);
      const drained: number[] = [];
      q.drain(now, (e) => drained.push(e.id));
      const expected = [...pending].filter(([, at]) => at <= now).map(([k]) => k);
      assert.deepEqual(
        drained.sort((a, b) => a - b),
        expected.sort((a, b) => a - b),
        `at ${now}`,
      );
      for (const k of expected) pending.delete(k);
    }
  });

  it('lets the visitor queue an entry again for a later time, and clear forgets everything', () => {
    const q = new ExpiryBuckets<{ at: number; id: string }>((e) => e.at, 1000);
    q.add({ at: 1500, id: 'touched' });
    q.add({ at: 1600, id: 'expired' });
    const seen: string[] = [];
    q.drain(1700, (e) => {
      seen.push(e.id);
      if (e.id === 'touched') q.add({ at: 1900, id: 'touched' }); // same bucket as now
    });
    assert.deepEqual(seen, ['touched', 'expired']);
    const later: string[] = [];
    q.drain(1800, (e) => later.push(e.id));
    assert.equal(later.length, 0);
    q.drain(1900, (e) => later.push(e.id));
    assert.deepEqual(later, ['touched']);
    q.add({ at: 10, id: 'x' });
    q.clear();
    q.drain(Number.MAX_SAFE_INTEGER, (e) => later.push(e.id));
    assert.deepEqual(later, ['touched']);
  });
});
