import { randomBytes } from 'node:crypto';
import { parseDuration } from '../config/duration.js';
import { DbDoctorError } from '../errors.js';
import type { SessionData, SessionStatus, Ttl } from './types.js';

export const DEFAULT_TTL_MS = 30 * 60_000;
export const DEFAULT_MAX_DATA_BYTES = 64 * 1024;
/** The longest TTL any backend accepts: 100 years, so `now + ttl` stays an exact integer. */
export const MAX_TTL_MS = 100 * 365 * 86_400_000;
/** `list` returns at most this many sessions when no limit is given, on every backend. */
export const DEFAULT_LIST_LIMIT = 1000;
const MAX_KEY_LENGTH = 512;
const MAX_DEPTH = 64;
export const STATUSES: readonly SessionStatus[] = ['active', 'completed', 'abandoned'];

/** 256 random bits, base64url: unguessable and safe in URLs and cookies. */
export function generateKey(): string {
  return randomBytes(32).toString('base64url');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
type WithWellFormed = string & { isWellFormed(): boolean };
/** Node 20+ checks natively (looked up once, not per key); older Node uses the regex. */
const NATIVE_WELL_FORMED = typeof (String.prototype as Partial<WithWellFormed>).isWellFormed === 'function';

/**
 * Whether `s` can be stored as the same text on every backend: no NUL (PostgreSQL text and
 * jsonb refuse it) and no lone UTF-16 surrogate (which UTF-8 cannot encode: the pg driver
 * turns every one into U+FFFD, so 'user\uD800' and 'user\uDBFF' would become one key).
 */
function storable(s: string): boolean {
  if (s.includes('\0')) return false;
  return NATIVE_WELL_FORMED ? (s as WithWellFormed).isWellFormed() : !LONE_SURROGATE.test(s);
}

/** A TTL in ms; throws BAD_DURATION unless it is a whole number of ms from 1 to 100 years. */
export function ttlMs(ttl: Ttl | undefined, fallback: number): number {
  if (ttl === undefined) return fallback;
  const ms = parseDuration(ttl, 'session TTL');
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_TTL_MS) {
    throw new DbDoctorError(
      'BAD_DURATION',
      `Invalid session TTL: "${String(ttl)}" (it must be a whole number of milliseconds from 1 to ${MAX_TTL_MS}, 100 years).`,
      {
        unchanged: 'Nothing was stored.',
        hint: 'Use a positive whole number of milliseconds or a string like 30m or 30d.',
      },
    );
  }
  return ms;
}

function badKey(why: string): DbDoctorError {
  return new DbDoctorError('SESSION_KEY_INVALID', `Session key is invalid: ${why}.`, {
    unchanged: 'Nothing was stored or read.',
    hint: 'Pass a non-empty string of at most 512 characters without NUL or lone UTF-16 surrogates (a phone number, a session id), or null to have one generated.',
  });
}

/**
 * Throws SESSION_KEY_INVALID unless `key` is a non-empty string of at most 512 UTF-16 code
 * units, with no NUL and no lone surrogate. The same check runs before every backend, so a
 * key means the same session everywhere. The key itself is never in the message (it may be
 * a bearer token).
 */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string')
    return throwing(badKey(`it is ${key === null ? 'null' : typeof key}, not a string`));
  if (key.length === 0) return throwing(badKey('it is empty'));
  if (key.length > MAX_KEY_LENGTH) return throwing(badKey(`it has ${key.length} characters, over 512`));
  if (!storable(key)) return throwing(badKey('it holds a NUL character or a lone UTF-16 surrogate'));
  return key;
}

function throwing(e: Error): never {
  throw e;
}

function notJson(path: string, what: string): DbDoctorError {
  return new DbDoctorError('SESSION_DATA_INVALID', `Session data is not storable JSON: ${path} is ${what}.`, {
    unchanged: 'Nothing was stored.',
    hint: 'Store only null, booleans, finite numbers, strings without NUL or lone surrogates, arrays and plain objects (turn Dates into ISO strings).',
  });
}

/** What a non-plain object is, for the message: its own class name, never an inherited one. */
function describeObject(value: object): string {
  const proto = Object.getPrototypeOf(value) as object;
  const ctor = Object.hasOwn(proto, 'constructor')
    ? (proto as { constructor?: { name?: string } }).constructor
    : undefined;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return name
    ? `an instance of ${name}, not a plain object`
    : 'an object with a custom prototype, not a plain object';
}

/** The path and kind of the first value that is not storable JSON, or null when all are. */
function whereNotJson(value: unknown, path: string, depth: number): { path: string; what: string } | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return null;
    case 'string':
      return storable(value)
        ? null
        : { path, what: 'a string with a NUL character or a lone UTF-16 surrogate' };
    case 'number':
      return Number.isFinite(value) ? null : { path, what: String(value) };
    case 'object': {
      if (depth > MAX_DEPTH) return { path, what: `nested more than ${MAX_DEPTH} levels deep` };
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = whereNotJson(value[i], `${path}[${i}]`, depth + 1);
          if (bad) return bad;
        }
        return null;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return { path, what: describeObject(value) };
      for (const k of Object.keys(value)) {
        if (!storable(k))
          return { path, what: 'an object with a key holding a NUL character or a lone UTF-16 surrogate' };
        const bad = whereNotJson((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
        if (bad) return bad;
      }
      return null;
    }
    default:
      return { path, what: typeof value === 'undefined' ? 'undefined' : `a ${typeof value}` };
  }
}

/** The size the limit counts, the same on every backend: UTF-8 bytes of JSON.stringify. */
export function jsonBytes(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}

/**
 * Whether `value` is plain JSON as far as types go (what JSON.stringify would silently change
 * or drop is not): one walk, no strings built. Strings are checked afterwards, on the JSON text.
 */
function plainJson(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!plainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      // Own enumerable string-keyed values: exactly what JSON.stringify writes.
      for (const v of Object.values(value)) if (!plainJson(v, depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * JSON.stringify writes U+0000 as \u0000 and a lone surrogate as \udXXX (paired ones as they
 * are), so one search of the text finds every NUL and lone surrogate in any string or key;
 * an escape counts only after an even run of backslashes (`\\u0000` is a backslash and text).
 */
const UNSTORABLE_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f])/;

function tooLarge(bytes: number, maxBytes: number, after: 'create' | 'update'): DbDoctorError {
  return new DbDoctorError(
    'SESSION_DATA_TOO_LARGE',
    after === 'create'
      ? `Session data is ${bytes} bytes of JSON (UTF-8), over the limit of ${maxBytes}.`
      : `Session data would be ${bytes} bytes of JSON (UTF-8) after this update, over the limit of ${maxBytes}.`,
    {
      unchanged: after === 'create' ? 'Nothing was stored.' : 'The session was not changed.',
      hint: 'Keep large values elsewhere and store their ids, or raise maxDataBytes when opening the store.',
    },
  );
}

/**
 * Checks session data (or an update's patch) and returns its JSON text. Throws
 * SESSION_DATA_INVALID for anything that is not storable JSON on every backend, and
 * SESSION_DATA_TOO_LARGE when the JSON is over `maxBytes` UTF-8 bytes.
 */
export function serializeData(
  data: unknown,
  maxBytes: number,
  after: 'create' | 'update' = 'create',
): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw notJson('data', 'not an object');
  const json = plainJson(data, 0) ? JSON.stringify(data) : null;
  if (json === null || (json.includes('\\') && UNSTORABLE_ESCAPE.test(json))) {
    const bad = whereNotJson(data, 'data', 0) ?? { path: 'data', what: 'not storable JSON' };
    throw notJson(bad.path, bad.what);
  }
  // UTF-8 needs at most 3 bytes per UTF-16 code unit: count exactly only near the limit.
  if (json.length * 3 > maxBytes) {
    const bytes = jsonBytes(json);
    if (bytes > maxBytes) throw tooLarge(bytes, maxBytes, after);
  }
  return json;
}

/** Checks only that `data` is storable JSON (an update's patch, before it is merged). */
export function checkJson(data: unknown): SessionData {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw notJson('patch', 'not an object');
  const bad = whereNotJson(data, 'patch', 0);
  if (bad) throw notJson(bad.path, bad.what);
  return data as SessionData;
}

/** Throws BAD_OPTION unless `value` is undefined or a whole number of at least `min`. */
export function wholeNumber(value: unknown, what: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new DbDoctorError(
      'BAD_OPTION',
      `${what} must be a whole number of at least ${min} (got ${String(value)}).`,
      {
        unchanged: 'Nothing was read or stored.',
        hint: `Pass a whole number, or leave ${what} out for the default.`,
      },
    );
  }
  return value;
}

/** Throws BAD_OPTION unless `status` is undefined or one of the three statuses. */
export function checkStatus(status: unknown): SessionStatus | undefined {
  if (status === undefined || (STATUSES as readonly unknown[]).includes(status))
    return status as SessionStatus | undefined;
  throw new DbDoctorError('BAD_OPTION', `Unknown session status ${JSON.stringify(String(status))}.`, {
    unchanged: 'Nothing was read.',
    hint: `Use one of: ${STATUSES.join(', ')}.`,
  });
}
