import { randomBytes } from 'node:crypto';
import { parseDuration } from '../config/duration.js';
import { DbDoctorError } from '../errors.js';
import type { SessionData, Ttl } from './types.js';

export const DEFAULT_TTL_MS = 30 * 60_000;
export const DEFAULT_MAX_DATA_BYTES = 64 * 1024;
const MAX_KEY_LENGTH = 512;

/** 256 random bits, base64url: unguessable and safe in URLs and cookies. */
export function generateKey(): string {
  return randomBytes(32).toString('base64url');
}

/** A TTL in ms; throws BAD_DURATION for anything but a positive duration. */
export function ttlMs(ttl: Ttl | undefined, fallback: number): number {
  if (ttl === undefined) return fallback;
  const ms = parseDuration(ttl, 'session TTL');
  if (ms <= 0) {
    throw new DbDoctorError('BAD_DURATION', `Invalid session TTL: "${ttl}" (it must be more than zero).`, {
      unchanged: 'Nothing was stored.',
      hint: 'Use a positive number of milliseconds or a string like 30m or 30d.',
    });
  }
  return ms;
}

/** Throws SESSION_KEY_INVALID unless `key` is a non-empty string of at most 512 characters. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new DbDoctorError(
      'SESSION_KEY_INVALID',
      `Session key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters.`,
      {
        unchanged: 'Nothing was stored or read.',
        hint: 'Pass a string key (a phone number, a session id), or null to have one generated.',
      },
    );
  }
  return key;
}

function notJson(path: string, what: string): DbDoctorError {
  return new DbDoctorError('SESSION_DATA_INVALID', `Session data is not JSON: ${path} is ${what}.`, {
    unchanged: 'Nothing was stored.',
    hint: 'Store only null, booleans, finite numbers, strings, arrays and plain objects (turn Dates into ISO strings).',
  });
}

const NOT_JSON = -1;

/**
 * An estimate of `value`'s JSON size in bytes (exact for ASCII), or NOT_JSON. One walk, no
 * serialization and no path strings: cheap enough for every write. {@link whereNotJson}
 * finds the culprit only when there is one.
 */
function jsonSize(value: unknown, depth: number): number {
  if (value === null) return 4;
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
      return Number.isFinite(value) ? 8 : NOT_JSON;
    case 'boolean':
      return 5;
    case 'object': {
      if (depth > 64) return NOT_JSON;
      let size = 2;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const n = jsonSize(value[i], depth + 1);
          if (n === NOT_JSON) return NOT_JSON;
          size += n + 1;
        }
        return size;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_JSON;
      for (const k in value as Record<string, unknown>) {
        const n = jsonSize((value as Record<string, unknown>)[k], depth + 1);
        if (n === NOT_JSON) return NOT_JSON;
        size += k.length + 4 + n;
      }
      return size;
    }
    default:
      return NOT_JSON;
  }
}

/** The path and kind of the first non-JSON value in `value` (which jsonSize refused). */
function whereNotJson(value: unknown, path: string, depth: number): { path: string; what: string } | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : { path, what: String(value) };
    case 'object': {
      if (depth > 64) return { path, what: 'nested more than 64 levels deep' };
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = whereNotJson(value[i], `${path}[${i}]`, depth + 1);
          if (bad) return bad;
        }
        return null;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        return { path, what: `a ${(value as object).constructor?.name ?? 'non-plain object'}` };
      for (const k in value as Record<string, unknown>) {
        const bad = whereNotJson((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
        if (bad) return bad;
      }
      return null;
    }
    default:
      return { path, what: typeof value };
  }
}

/** Throws SESSION_DATA_INVALID / SESSION_DATA_TOO_LARGE; returns the data unchanged. */
export function checkData<T extends SessionData>(data: T, maxBytes: number): T {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw notJson('data', 'not an object');
  const size = jsonSize(data, 0);
  if (size === NOT_JSON) {
    const bad = whereNotJson(data, 'data', 0) ?? { path: 'data', what: 'not JSON' };
    throw notJson(bad.path, bad.what);
  }
  if (size > maxBytes) {
    throw new DbDoctorError(
      'SESSION_DATA_TOO_LARGE',
      `Session data is about ${size} bytes of JSON, over the limit of ${maxBytes}.`,
      {
        unchanged: 'Nothing was stored.',
        hint: 'Keep large values elsewhere and store their ids, or raise maxDataBytes when creating the store.',
      },
    );
  }
  return data;
}
