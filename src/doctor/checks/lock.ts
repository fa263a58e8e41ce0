import type { MigrationLock } from '../../dialects/dialect.js';
import { describeOwner } from '../../dialects/lock-wait.js';
import { withLock } from '../../migrations/engine.js';
import type { DoctorCheck } from '../check.js';
import type { DoctorContext } from '../context.js';
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

/** The migration lock. Its fix removes a lock a dead process left behind. */
export const lockCheck: DoctorCheck<DoctorContext> = {
  code: 'LOCK',
  async run({ session }) {
    return lockFindings(session.lock);
  },
  async fix(context, findings) {
    if (!findings.some((f) => f.code === 'LOCK_STALE')) return { fixed: [], refused: [] };
    // Every fix that writes takes the migration lock, which takes a dead owner's lock over:
    // after one, the stale lock is gone already.
    if (context.fixed.length > 0) {
      return {
        fixed: [
          {
            code: 'LOCK_STALE',
            action: 'Took over and removed the migration lock left by a process that is gone.',
          },
        ],
        refused: [],
      };
    }
    // Acquiring takes a dead owner's lock over; releasing it leaves no lock row behind.
    await withLock(context.session.lock, context.options, async () => {});
    return {
      fixed: [{ code: 'LOCK_STALE', action: 'Removed the migration lock left by a process that is gone.' }],
      refused: [],
    };
  },
};
