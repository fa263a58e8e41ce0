/**
 * Entries waiting for a due time, grouped in buckets one `width` ms wide (a timing wheel with
 * a min-heap of bucket numbers). Adding is O(1) amortized; draining visits only entries in
 * due buckets, with at most one bucket (the one holding `now`) scanned partially. With
 * 100,000 sessions expiring in the same second this is one array walk, where a heap of
 * entries would pay log n per entry.
 */
export class ExpiryBuckets<E> {
  private readonly buckets = new Map<number, E[]>();
  /** Min-heap of the bucket numbers in `buckets`. */
  private readonly order: number[] = [];

  /**
   * @param timeOf an entry's due time in ms; it may move later while queued (the drain then
   *   queues the entry again for its new time).
   * @param width bucket width in ms.
   */
  constructor(
    private readonly timeOf: (entry: E) => number,
    private readonly width = 1000,
  ) {}

  /** Queues `entry` for its current due time. */
  add(entry: E): void {
    const b = Math.floor(this.timeOf(entry) / this.width);
    const bucket = this.buckets.get(b);
    if (bucket) bucket.push(entry);
    else {
      this.buckets.set(b, [entry]);
      this.pushOrder(b);
    }
  }

  /**
   * Removes the entries of every due bucket and passes them to `visit`, which decides (an
   * entry of an earlier bucket may have moved later; `visit` can add it back). In the bucket
   * holding `now`, only entries due at `now` are visited; the rest stay queued.
   */
  drain(now: number, visit: (entry: E) => void): void {
    const nowBucket = Math.floor(now / this.width);
    while (this.order.length > 0 && (this.order[0] as number) <= nowBucket) {
      const b = this.popOrder();
      const entries = this.buckets.get(b) as E[];
      this.buckets.delete(b);
      if (b < nowBucket) {
        for (const e of entries) visit(e);
      } else {
        for (const e of entries) {
          if (this.timeOf(e) <= now) visit(e);
          else this.add(e);
        }
        return; // the bucket of `now` was the last one that can hold due entries
      }
    }
  }

  /** Forgets every entry. */
  clear(): void {
    this.buckets.clear();
    this.order.length = 0;
  }

  private pushOrder(b: number): void {
    const h = this.order;
    let i = h.length;
    h.push(b);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as number) <= b) break;
      h[i] = h[parent] as number;
      i = parent;
    }
    h[i] = b;
  }

  private popOrder(): number {
    const h = this.order;
    const top = h[0] as number;
    const last = h.pop() as number;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mValue = last;
        if (l < h.length && (h[l] as number) < mValue) {
          m = l;
          mValue = h[l] as number;
        }
        if (r < h.length && (h[r] as number) < mValue) m = r;
        if (m === i) break;
        h[i] = h[m] as number;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
