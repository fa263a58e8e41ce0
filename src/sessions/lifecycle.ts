import type { Session, SessionData, StoreOptions, Ttl, Validation } from './types.js';
import {
  checkData,
  checkKey,
  DEFAULT_MAX_DATA_BYTES,
  DEFAULT_TTL_MS,
  generateKey,
  ttlMs,
} from './validate.js';

/** A store's resolved options, the same for every backend. */
export interface StoreSettings {
  clock: () => number;
  defaultTtlMs: number;
  maxBytes: number;
}

/** Resolves the options every store takes, with their defaults. */
export function storeSettings(options: StoreOptions): StoreSettings {
  return {
    clock: options.clock ?? Date.now,
    defaultTtlMs: ttlMs(options.defaultTtl, DEFAULT_TTL_MS),
    maxBytes: options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
  };
}

/** A new active session, after checking key, data and TTL (throws before anything is stored). */
export function newSession<T extends SessionData>(
  key: string | null | undefined,
  data: T,
  ttl: Ttl | undefined,
  settings: StoreSettings,
): Session<T> {
  const k = key == null ? generateKey() : checkKey(key);
  checkData(data, settings.maxBytes);
  const ms = ttlMs(ttl, settings.defaultTtlMs);
  const now = settings.clock();
  return {
    key: k,
    data,
    status: 'active',
    createdAt: now,
    lastActivity: now,
    expiresAt: now + ms,
    ttlMs: ms,
  };
}

/** Whether a stored session (or none) can be used at `now`. The caller removes an expired one. */
export function judge<T extends SessionData>(session: Session<T> | undefined, now: number): Validation<T> {
  if (!session) return { valid: false, reason: 'not_found', session: null };
  if (session.expiresAt <= now) return { valid: false, reason: 'expired', session };
  if (session.status !== 'active') return { valid: false, reason: session.status, session };
  return { valid: true, session };
}
