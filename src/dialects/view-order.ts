/** The order views are created in, shared by the dialects' schema SQL writers. */
import type { View } from '../schema/model.js';

/**
 * Views in an order where each comes after the views it names; `mentions(definition, name)`
 * says whether a definition names a view. Views that name each other keep their given order.
 */
export function viewsInOrder(views: View[], mentions: (definition: string, name: string) => boolean): View[] {
  const out: View[] = [];
  const placed = new Set<string>();
  const pending = [...views];
  while (pending.length > 0) {
    const next = pending.findIndex((v) =>
      pending.every((o) => o === v || placed.has(o.name) || !mentions(v.definition, o.name)),
    );
    const [view] = pending.splice(next < 0 ? 0 : next, 1) as [View];
    out.push(view);
    placed.add(view.name);
  }
  return out;
}

/**
 * Whether normalized SQL names `name` as an identifier: a bare word, or quoted with `quote`
 * (doubled inside). `foldsQuoted`: quoted names compare case-insensitively too (SQLite, MySQL),
 * else exactly (PostgreSQL).
 */
export function mentionsIdentifier(text: string, name: string, quote: string, foldsQuoted: boolean): boolean {
  const lower = name.toLowerCase();
  const bare = lower.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const quoted = (n: string) => `${quote}${n.replaceAll(quote, quote + quote)}${quote}`;
  return (
    new RegExp(`(^|[^a-z0-9_$${quote}])${bare}($|[^a-z0-9_$${quote}])`).test(text.toLowerCase()) ||
    (foldsQuoted ? text.toLowerCase().includes(quoted(lower)) : text.includes(quoted(name)))
  );
}
