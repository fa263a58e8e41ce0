import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiryBuckets, type Queued } from '../../src/sessions/expiry-buckets.js';

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

interface Item<I> extends Queued {
  at: number;
  id: I;
}
const item = <I>(at: number, id: I): Item<I> => ({ at, id, queuedIn: null, queuedAt: 0 });

describe('ExpiryBuckets', () => {
  it('drains exactly the entries due, at any time, including inside a bucket and at its edges', () => {
    const rnd = random(42);
    const q = new ExpiryBuckets<Item<number>>((e) => e.at, 1000);
    const pending = new Map<number, number>();
    let id = 0;
    let now = 0;
    for (let step = 0; step < 2000; step++) {
      for (let i = 0; i < 5; i++) {
        const at = now + Math.floor(rnd() * 5000);
        q.add(item(at, id));
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
      assert.equal(q.size, pending.size);
    }
  });

  it('lets the visitor queue an entry again for a later time, and clear forgets everything', () => {
    const q = new ExpiryBuckets<Item<string>>((e) => e.at, 1000);
    const touched = item(1500, 'touched');
    q.add(touched);
    q.add(item(1600, 'expired'));
    const seen: string[] = [];
    q.drain(1700, (e) => {
      seen.push(e.id);
      if (e.id === 'touched') {
        touched.at = 1900; // same bucket as now
        q.add(touched);
      }
    });
    assert.deepEqual(seen.sort(), ['expired', 'touched']);
    const later: string[] = [];
    q.drain(1800, (e) => later.push(e.id));
    assert.equal(later.length, 0);
    q.drain(1900, (e) => later.push(e.id));
    assert.deepEqual(later, ['touched']);
    q.add(item(10, 'x'));
    q.clear();
    assert.equal(q.size, 0);
    assert.equal(q.bucketCount, 0);
    q.drain(Number.MAX_SAFE_INTEGER, (e) => later.push(e.id));
    assert.deepEqual(later, ['touched']);
  });

  it('holds only queued entries: removing or moving one frees its slot and an emptied bucket at once', () => {
    const rnd = random(7);
    const q = new ExpiryBuckets<Item<number>>((e) => e.at, 1000);
    const live: Item<number>[] = [];
    for (let i = 0; i < 50_000; i++) {
      const e = item(Math.floor(rnd() * 10_000_000), i);
      q.add(e);
      live.push(e);
      if (live.length > 100) {
        // Remove a random live entry, or move one to a new time.
        const at = Math.floor(rnd() * live.length);
        const victim = live[at] as Item<number>;
        if (rnd() < 0.5) {
          q.remove(victim);
          live[at] = live[live.length - 1] as Item<number>;
          live.pop();
        } else {
          victim.at = Math.floor(rnd() * 10_000_000);
          q.add(victim);
        }
      }
    }
    assert.equal(q.size, live.length);
    assert.ok(q.bucketCount <= live.length, `${q.bucketCount} buckets for ${live.length} entries`);
    const drained = new Set<Item<number>>();
    q.drain(Number.MAX_SAFE_INTEGER, (e) => drained.add(e));
    assert.deepEqual(drained, new Set(live));
    assert.equal(q.size, 0);
    assert.equal(q.bucketCount, 0);
  });

  it('drains at most `limit` entries per call and leaves the rest queued', () => {
    const q = new ExpiryBuckets<Item<number>>((e) => e.at, 1000);
    for (let i = 0; i < 25; i++) q.add(item(i * 100, i));
    const got: number[] = [];
    assert.equal(
      q.drain(10_000, (e) => got.push(e.id), 10),
      10,
    );
    assert.equal(q.size, 15);
    q.drain(10_000, (e) => got.push(e.id));
    assert.deepEqual(
      got.sort((a, b) => a - b),
      Array.from({ length: 25 }, (_, i) => i),
    );
  });
});
