/**
 * Times frozen at creation. PostgreSQL reads `'now'::timestamp`, `'today'::date`,
 * `'tomorrow'`, `'yesterday'` as constants when the expression is parsed (PG docs, "Special
 * Date/Time Inputs": "the values are converted to ordinary constants as soon as they are
 * read"), so a default or view written that way stores the moment its migration ran. The
 * replay stores another moment than the live database did, and the two schemas could never
 * match. The doctor compares such an expression as the user wrote it: a date/time constant
 * the replay froze becomes `'now'::<type>` in the expected schema, and a live expression that
 * differs from one of those only by its date/time constants is taken as that expression.
 */
import type { Schema, Table } from './model.js';

/** A date/time constant as the normalized deparse spells it, with its type. */
const TIME_LITERAL =
  /'(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2}(?:\.\d+)?))?(?:[+-]\d{2}(?::\d{2})?)?'::(date|timestamp(?:\(\d\))? with(?:out)? time zone)/g;

/** How the marker for a frozen time reads: the expression as the user wrote it. */
const FROZEN = (type: string) => `'now'::${type}`;

/**
 * Slack around the replay, in ms: 'yesterday' and 'tomorrow' are a day off, and the constant
 * is printed in the server's time zone (up to 14 hours off UTC), which is not parsed here.
 */
const SLACK_MS = 2 * 24 * 3600 * 1000;

/**
 * A copy of `schema` with `map` applied to every expression (defaults, CHECKs, indexes, views,
 * triggers). A table, view or trigger whose expressions all map to themselves is kept as the
 * same object (see fingerprint.ts: hashes are kept by identity). `memo`, for one replay, keeps
 * the result for each table object seen before.
 */
export function mapExpressions(
  schema: Schema,
  map: (expression: string) => string,
  memo?: WeakMap<object, unknown>,
): Schema {
  const tables: Schema['tables'] = {};
  for (const [name, t] of Object.entries(schema.tables)) {
    const known = memo?.get(t) as Table | undefined;
    if (known) {
      tables[name] = known;
      continue;
    }
    const mapped: Table = {
      ...t,
      columns: t.columns.map((c) => ({
        ...c,
        default: c.default === null ? null : map(c.default),
        generated: c.generated === null ? null : map(c.generated),
      })),
      checks: t.checks.map((c) => ({ ...c, expression: map(c.expression) })),
      indexes: t.indexes.map((i) => ({
        ...i,
        where: i.where === null ? null : map(i.where),
        keys: i.keys.map((k) => ({ ...k, expression: k.expression === null ? null : map(k.expression) })),
      })),
    };
    const result = JSON.stringify(mapped) === JSON.stringify(t) ? t : mapped;
    memo?.set(t, result);
    tables[name] = result;
  }
  const views: Schema['views'] = {};
  for (const [name, v] of Object.entries(schema.views)) {
    const definition = map(v.definition);
    views[name] = definition === v.definition ? v : { ...v, definition };
  }
  const triggers: Schema['triggers'] = {};
  for (const [name, g] of Object.entries(schema.triggers)) {
    const definition = map(g.definition);
    triggers[name] = definition === g.definition ? g : { ...g, definition };
  }
  return { ...schema, tables, views, triggers };
}

/** Every expression of `schema`, for scanning. */
export function expressionsOf(schema: Schema): string[] {
  const out: string[] = [];
  mapExpressions(schema, (e) => {
    out.push(e);
    return e;
  });
  return out;
}

/**
 * The replayed schema with each date/time constant that lies within `window` (epoch ms, the
 * replay's start and end, widened by two days) spelled `'now'::<type>`. Constants far from
 * the replay are real constants the user wrote and stay.
 */
export function markFrozenTimes(
  schema: Schema,
  window: { from: number; to: number },
  memo?: WeakMap<object, unknown>,
): Schema {
  // With `memo`, a table kept from an earlier revision keeps its marks: the window only grows.
  return mapExpressions(
    schema,
    (e) =>
      e.replace(TIME_LITERAL, (literal, date: string, time: string | undefined, type: string) => {
        const at = Date.parse(`${date}T${time ?? '00:00:00'}Z`);
        return at >= window.from - SLACK_MS && at <= window.to + SLACK_MS ? FROZEN(type) : literal;
      }),
    memo,
  );
}

/** Whether an expression holds a time {@link markFrozenTimes} marked as frozen. */
export function hasFrozenTime(expression: string): boolean {
  return /'now'::(date|timestamp)/.test(expression);
}

/**
 * The live schema with each expression that equals one of `frozen` (the expected schemas'
 * expressions holding a frozen time) once its date/time constants are read as `'now'`
 * replaced by that expression. Anything else (another operator, another column, a time where
 * the migrations have none) still differs.
 */
export function adoptFrozenTimes(live: Schema, frozen: ReadonlySet<string>): Schema {
  if (frozen.size === 0) return live;
  return mapExpressions(live, (e) => {
    const asWritten = e.replace(TIME_LITERAL, (_literal, _d, _t, type: string) => FROZEN(type));
    return asWritten !== e && frozen.has(asWritten) ? asWritten : e;
  });
}
