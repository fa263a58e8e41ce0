import type { DatabaseTarget } from '../dialects/dialect.js';
import { dialectOfScheme, registeredDialects } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';

/** The URL forms of every registered dialect, for messages. */
function examples(): string {
  const all = registeredDialects().flatMap((d) => d.urlExamples);
  const listed = all.length > 1 ? `${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}` : (all[0] ?? '');
  return `Use ${listed}; percent-encode a password with / ? # @ or % in it (encodeURIComponent).`;
}

/**
 * Parses a database URL in one of the forms of DESIGN.md, with the dialect that registered its
 * scheme. Relative file paths resolve against `cwd`. Throws `BAD_URL` (exit 2) naming what is
 * wrong; the message never repeats a URL that may hold a password.
 */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): DatabaseTarget {
  const trimmed = url.trim();
  if (trimmed === '') throw badUrl('the URL is empty');
  const scheme = /^([a-z0-9+.-]+):/i.exec(trimmed)?.[1];
  const dialect = scheme === undefined ? null : dialectOfScheme(scheme);
  if (dialect) return dialect.parseUrl(trimmed, cwd);
  const some = registeredDialects().map((d) => `${d.urlSchemes[0]}:`);
  throw badUrl(
    scheme ? `the scheme "${scheme}:" is not supported` : `it has no scheme (such as ${some.join(' or ')})`,
  );
}

/**
 * `url` as it may be shown: every query parameter's value and any userinfo password replaced
 * by `***`. A SQLite URL may carry a key (SQLCipher's `?key=`, `?password=`) that dbdoctor
 * refuses, and the refusal must not print it.
 */
export function redactedUrl(url: string): string {
  const q = url.indexOf('?');
  const base = q === -1 ? url : url.slice(0, q);
  const query =
    q === -1
      ? ''
      : `?${url
          .slice(q + 1)
          .split('&')
          .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=***` : pair))
          .join('&')}`;
  return base.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@]*?:)[^/@]*@/i, '$1***@') + query;
}

/** `shown` is given only for URLs whose path holds no secret (SQLite); it is shown redacted. */
export function badUrl(why: string, shown?: string): DbDoctorError {
  const which =
    shown === undefined ? 'the database URL' : `database URL ${JSON.stringify(redactedUrl(shown))}`;
  return new DbDoctorError('BAD_URL', `Cannot use ${which}: ${why}.`, {
    unchanged: 'No database was opened.',
    hint: examples(),
  });
}

/** Shorter secrets are not searched for: replacing one to three characters would garble words. */
const MIN_CONCEALED_LENGTH = 4;

/**
 * Replaces every secret in `text` with `***`: for messages that quote a driver's own text,
 * which may repeat what it was given. Secrets shorter than 4 characters are left alone.
 */
export function conceal(text: string, secrets: readonly string[]): string {
  let out = text;
  const longestFirst = secrets
    .filter((s) => s.length >= MIN_CONCEALED_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const s of longestFirst) out = out.split(s).join('***');
  return out;
}

/** The secrets a URL carries (empty when it has none or does not parse). */
export function secretsOfUrl(url: string): string[] {
  try {
    return [...(parseDatabaseUrl(url).secrets ?? [])];
  } catch {
    return [];
  }
}

/**
 * `text` with the password of every URL in it (`scheme://user:password@host`) shown as `***`:
 * for messages that quote a migration's SQL or a driver's error, which may hold another
 * connection string (a FEDERATED table's CONNECTION, CREATE SUBSCRIPTION … CONNECTION, a
 * dblink call) besides the database's own URL.
 */
export function withoutUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]*:)[^\s@'"`]*@/gi, '$1***@');
}
