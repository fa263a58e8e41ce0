import { DbDoctorError } from '../errors.js';
import type { LockOwner } from './dialect.js';

/**
 * The wait policy every dialect's lock shares: `tryOnce` (told how many ms are left) until it returns true, asking
 * `holder` only to report it once through `onWait` and to name it on timeout;
 * back off from 20 ms up to 250 ms between tries, and after `timeoutMs` throw `LOCK_TIMEOUT`
 * naming the holder.
 */
export async function waitForLock(
  tryOnce: (remainingMs: number) => Promise<boolean>,
  holder: () => Promise<LockOwner | null>,
  timeoutMs: number,
  onWait?: (owner: LockOwner | null) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  let told = false;
  for (;;) {
    if (await tryOnce(Math.max(0, deadline - Date.now()))) return;
    if (!told) {
      onWait?.(await holder());
      told = true;
    }
    if (Date.now() >= deadline) throw lockTimeout(await holder(), timeoutMs);
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, deadline - Date.now()))));
    delay = Math.min(delay * 2, 250);
  }
}

/** The error raised when a live runner holds the lock past the timeout. */
export function lockTimeout(holder: LockOwner | null, timeoutMs: number): DbDoctorError {
  const lease = holder?.expires ? `, lease until ${holder.expires}` : '';
  const who = holder
    ? `process ${holder.pid} on ${holder.host} (since ${holder.since}${lease})`
    : 'a connection whose lock row could not be read (a runner in the middle of a large write, which locks readers out, or another writer holding the database)';
  return new DbDoctorError('LOCK_TIMEOUT', `Another dbdoctor runner holds the migration lock: ${who}.`, {
    unchanged: `Waited ${timeoutMs} ms; nothing was changed.`,
    hint: 'Wait for that runner to finish and try again, or raise --lock-timeout.',
    details: { holder },
  });
}
