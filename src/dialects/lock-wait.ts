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

/**
 * The lock's owner as people read it: the runner (`pid 4242 on build-7`), or, when only a
 * server backend is known, the connection (`a connection from 10.0.0.5 that is not a dbdoctor
 * runner (server backend pid 777, application psql)`).
 */
export function describeOwner(owner: LockOwner): string {
  if (owner.kind === 'connection')
    return `a connection from ${owner.host} that is not a dbdoctor runner (${owner.detail ?? `server backend pid ${owner.pid}`})`;
  return `pid ${owner.pid} on ${owner.host}`;
}

/** The error raised when a live runner holds the lock past the timeout. */
export function lockTimeout(holder: LockOwner | null, timeoutMs: number): DbDoctorError {
  if (holder?.live === false) return heldByAnotherWriter(holder, timeoutMs);
  const lease = holder?.expires ? `, lease until ${holder.expires}` : '';
  const who = holder
    ? `${holder.kind === 'connection' ? describeOwner(holder) : `process ${holder.pid} on ${holder.host}`} (since ${holder.since}${lease})`
    : 'a connection whose lock row could not be read (a runner in the middle of a large write, which locks readers out, or another writer holding the database)';
  return new DbDoctorError('LOCK_TIMEOUT', `Another dbdoctor runner holds the migration lock: ${who}.`, {
    unchanged: `Waited ${timeoutMs} ms; nothing was changed.`,
    hint: 'Wait for that runner to finish and try again, or raise --lock-timeout.',
    details: { holder },
  });
}

/**
 * The lock row names an owner that is gone, so it is not what blocked: another connection
 * held the database's write lock (an application's write transaction, a long write) the
 * whole time, and the stale row could not even be read and replaced.
 */
function heldByAnotherWriter(stale: LockOwner, timeoutMs: number): DbDoctorError {
  return new DbDoctorError(
    'LOCK_TIMEOUT',
    `The database is held by another writer (a connection with a write transaction open), not by a dbdoctor runner: the migration lock row of process ${stale.pid} on ${stale.host} is ${stale.detail ?? 'stale'} and will be taken over once the writer lets go.`,
    {
      unchanged: `Waited ${timeoutMs} ms; nothing was changed.`,
      hint: 'Find the process keeping a write transaction open on the database file (fuser/lsof), let it finish, and try again; or raise --lock-timeout.',
      details: { holder: stale },
    },
  );
}
