import type { MigrationLock } from '../../dialects/dialect.js';
import { describeOwner } from '../../dialects/lock-wait.js';
import type { Finding } from '../findings.js';

/** Is another runner holding the migration lock, or did a dead one leave it behind? */
export async function lockFindings(lock: MigrationLock): Promise<Finding[]> {
  const holder = await lock.holder();
  if (!holder) return [];
  const who = `${describeOwner(holder)} since ${holder.since}`;
  if (holder.detail?.startsWith('stale')) {
    return [
      {
        code: 'LOCK_STALE',
        severity: 'warning',
        message: `The migration lock was left by ${who}, which is no longer running.`,
        fix: 'dbdoctor doctor --fix (or any apply) takes it over; nothing else is needed.',
      },
    ];
  }
  return [
    {
      code: 'LOCK_HELD',
      severity: 'warning',
      message: `The migration lock is held right now by ${who}. Results may change when it finishes.`,
      fix: 'Wait for it to finish, then run `dbdoctor doctor` again.',
    },
  ];
}
