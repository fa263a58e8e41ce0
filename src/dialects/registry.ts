/**
 * The dialects dbdoctor knows, by name, URL scheme and driver handle. It imports no dialect:
 * `builtin.ts` registers the built-in ones, and is the only file that imports their folders.
 */
import { withoutUrlPasswords } from '../config/url.js';
import { DbDoctorError } from '../errors.js';
import type { DatabaseTarget, Dialect, DialectName } from './dialect.js';

const dialects: Dialect[] = [];

/**
 * Adds a dialect. Throws when its name or one of its URL schemes is taken: a second dialect
 * must never silently answer for the first one's URLs.
 */
export function registerDialect(dialect: Dialect): void {
  for (const d of dialects) {
    if (d === dialect) return;
    if (d.name === dialect.name) throw new Error(`internal: dialect "${dialect.name}" registered twice`);
    const shared = d.urlSchemes.find((s) => dialect.urlSchemes.includes(s));
    if (shared) throw new Error(`internal: URL scheme "${shared}:" claimed by ${d.name} and ${dialect.name}`);
  }
  dialects.push(dialect);
}

/** Every registered dialect, in registration order. */
export function registeredDialects(): readonly Dialect[] {
  return dialects;
}

/** Names of every registered dialect, in registration order. */
export function dialectNames(): DialectName[] {
  return dialects.map((d) => d.name);
}

/** The dialect named `name`, or null. */
export function findDialect(name: string): Dialect | null {
  return dialects.find((d) => d.name === name) ?? null;
}

/** The dialect named `name`; throws `BAD_USAGE` naming the known ones when there is none. */
export function dialectNamed(name: DialectName): Dialect {
  const found = findDialect(name);
  if (found) return found;
  throw new DbDoctorError('BAD_USAGE', `Unknown dialect "${name}".`, {
    unchanged: 'Nothing was read or written.',
    hint: `Use one of: ${dialectNames().join(', ')}.`,
  });
}

/** The dialect whose URL scheme `scheme` is (without the colon), or null. */
export function dialectOfScheme(scheme: string): Dialect | null {
  return dialects.find((d) => d.urlSchemes.includes(scheme)) ?? null;
}

/** The dialect that accepts a caller's driver object, or null. */
export function dialectOfHandle(handle: unknown): Dialect | null {
  return dialects.find((d) => d.accepts(handle)) ?? null;
}

/** The dialect of a parsed target. */
export function dialectOfTarget(target: DatabaseTarget): Dialect {
  return dialectNamed(target.dialect);
}

/**
 * `sql` (a statement, or a message quoting one) as output shows it on `dialect`: the secrets
 * its SQL writes masked ({@link EngineSql.maskSecrets}), and every URL's password.
 */
export function maskedSql(dialect: Dialect, sql: string): string {
  return withoutUrlPasswords(dialect.engine.maskSecrets?.(sql) ?? sql);
}

/**
 * A statement as errors may show it: every registered dialect's secret masking applied
 * ({@link EngineSql.maskSecrets}), for places that do not know which dialect wrote it; every
 * URL's password too.
 */
export function maskSecretsInSql(sql: string): string {
  let out = sql;
  for (const d of dialects) out = d.engine.maskSecrets?.(out) ?? out;
  return withoutUrlPasswords(out);
}
