/** What an entry carries so the buckets can find it again: where it is queued, if anywhere. */
export interface Queued {
  /** The bucket holding the entry, or null. Managed by {@link ExpiryBuckets} only. */
  queuedIn: object | null;
  /** The entry's index in that bucket. */
  queuedAt: number;
}

interface Bucket<E> {
  n: number;
  entries: E[];
  /** Position in the min-heap of buckets. */
  heapIndex: number;
}

/**
 * Entries waiting for a due time, grouped in buckets one `width` ms wide (a timing wheel with
 * a min-heap of buckets). Adding and removing are O(1) (removing swaps the last entry of the
 * bucket into the hole; an emptied bucket leaves the heap at once, O(log buckets)), so the
 * structure holds exactly the entries queued now: a deleted, replaced or evicted entry is
 * never kept until its due time. Draining visits only entries in due buckets, with at most
 * one bucket (the one holding `now`) scanned partially.
 */
export class ExpiryBuckets<E extends Queued> {
  private readonly buckets = new Map<number, Bucket<E>>();
  private readonly heap: Bucket<E>[] = [];
  private entries = 0;

  /**
   * @param timeOf an entry's due time in ms; it may move later while queued (the drain's
   *   visitor then queues the entry again for its new time).
   * @param width bucket width in ms.
   */
  constructor(
    private readonly timeOf: (entry: E) => number,
    private readonly width = 1000,
  ) {}

  /** Entries queued now. */
  get size(): number {
    return this.entries;
  }

  /** Buckets allocated now (each holds at least one entry). */
  get bucketCount(): number {
    return this.heap.length;
  }

  /** Queues `entry` for its current due time (moving it if it was queued already). */
  add(entry: E): void {
    if (entry.queuedIn !== null) this.remove(entry);
    const n = Math.floor(this.timeOf(entry) / this.width);
    let bucket = this.buckets.get(n);
    if (!bucket) {
      bucket = { n, entries: [], heapIndex: this.heap.length };
      this.buckets.set(n, bucket);
      this.heap.push(bucket);
      this.siftUp(bucket.heapIndex);
    }
    entry.queuedIn = bucket;
    entry.queuedAt = bucket.entries.length;
    bucket.entries.push(entry);
    this.entries++;
  }

  /** Queues `entry` for its current due time, doing nothing if it is in that bucket already. */
  requeue(entry: E): void {
    const bucket = entry.queuedIn as Bucket<E> | null;
    if (bucket !== null && bucket.n === Math.floor(this.timeOf(entry) / this.width)) return;
    this.add(entry);
  }

  /** Takes `entry` out of the queue, if it is queued. */
  remove(entry: E): void {
    const bucket = entry.queuedIn as Bucket<E> | null;
    if (bucket === null) return;
    this.removeAt(bucket, entry.queuedAt);
  }

  private removeAt(bucket: Bucket<E>, i: number): E {
    const list = bucket.entries;
    const entry = list[i] as E;
    const last = list.pop() as E;
    if (last !== entry) {
      list[i] = last;
      last.queuedAt = i;
    }
    entry.queuedIn = null;
    entry.queuedAt = 0;
    this.entries--;
    if (list.length === 0) this.dropBucket(bucket);
    return entry;
  }

  private dropBucket(bucket: Bucket<E>): void {
    this.buckets.delete(bucket.n);
    const i = bucket.heapIndex;
    const last = this.heap.pop() as Bucket<E>;
    if (last !== bucket) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.siftDown(i);
      this.siftUp(last.heapIndex);
    }
  }

  /**
   * Takes out up to `limit` due entries and passes each to `visit`, which decides (an entry
   * may have moved later since it was queued; `visit` can add it back). In the bucket holding
   * `now`, only entries due at `now` are taken. Returns how many were visited.
   */
  drain(now: number, visit: (entry: E) => void, limit = Number.POSITIVE_INFINITY): number {
    const nowBucket = Math.floor(now / this.width);
    let visited = 0;
    while (visited < limit && this.heap.length > 0) {
      const bucket = this.heap[0] as Bucket<E>;
      if (bucket.n > nowBucket) break;
      if (bucket.n < nowBucket) {
        // Every entry of an earlier bucket is due; visit may re-add into later buckets only.
        while (visited < limit && bucket.entries.length > 0) {
          visited++;
          visit(this.removeAt(bucket, bucket.entries.length - 1));
        }
        continue;
      }
      // The bucket of `now`: take only what is due; walking down, an entry swapped into a
      // hole was already looked at and kept. It is the last bucket that can hold due entries.
      for (let i = bucket.entries.length - 1; i >= 0 && visited < limit; i--) {
        if (i >= bucket.entries.length) continue;
        const e = bucket.entries[i] as E;
        if (this.timeOf(e) <= now) {
          visited++;
          visit(this.removeAt(bucket, i));
        }
      }
      break;
    }
    return visited;
  }

  /** Forgets every entry. */
  clear(): void {
    for (const bucket of this.heap) {
      for (const e of bucket.entries) {
        e.queuedIn = null;
        e.queuedAt = 0;
      }
    }
    this.buckets.clear();
    this.heap.length = 0;
    this.entries = 0;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const item = h[i] as Bucket<E>;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Bucket<E>;
      if (p.n <= item.n) break;
      h[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    h[i] = item;
    item.heapIndex = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const item = h[i] as Bucket<E>;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = l;
      if (l >= h.length) break;
      if (r < h.length && (h[r] as Bucket<E>).n < (h[l] as Bucket<E>).n) m = r;
      const child = h[m] as Bucket<E>;
      if (child.n >= item.n) break;
      h[i] = child;
      child.heapIndex = i;
      i = m;
    }
    h[i] = item;
    item.heapIndex = i;
  }
}
