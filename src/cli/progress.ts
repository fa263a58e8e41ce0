import { describeOwner } from '../dialects/lock-wait.js';
import type { MigrationEvent } from '../migrations/events.js';
import { writeErr } from './output.js';

const tty = process.stderr.isTTY === true;
let lastPercent = -1;

/** Writes a line of progress to stderr (stdout is for results and JSON). */
export function progress(line: string): void {
  writeErr(`${line}\n`);
}

/** Renders one engine event as progress on stderr. */
export function renderEvent(e: MigrationEvent): void {
  switch (e.type) {
    case 'lock-wait':
      progress(
        e.holder
          ? `waiting for the migration lock held by ${describeOwner(e.holder)}…`
          : 'waiting for the migration lock…',
      );
      return;
    case 'lock-takeover':
      progress(
        `took over the migration lock left by pid ${e.previous.pid} on ${e.previous.host}: ${e.previous.detail ?? 'stale'}`,
      );
      return;
    case 'backups-pruned':
      for (const f of e.files) progress(`removed old backup ${f}`);
      return;
    case 'backup-start':
      lastPercent = -1;
      progress(`backing up to ${e.file}`);
      return;
    case 'backup-progress': {
      const { totalPages, remainingPages } = e.progress;
      if (totalPages < 5000) return; // small files finish before a percentage means anything
      const percent = Math.floor(((totalPages - remainingPages) / totalPages) * 100);
      if (percent === lastPercent) return;
      lastPercent = percent;
      if (tty) process.stderr.write(`\r  ${percent}%${percent === 100 ? '\n' : ''}`);
      else if (percent % 10 === 0) progress(`  ${percent}%`);
      return;
    }
    case 'migration-start':
      if (e.total > 1 || tty)
        progress(
          `${e.direction === 'up' ? 'applying' : 'reverting'} ${e.id}_${e.name} (${e.index + 1}/${e.total})`,
        );
      return;
    case 'retry':
      progress(`  ${e.id}: lock not available (${e.reason}); retry ${e.attempt} in ${e.delayMs} ms`);
      return;
    case 'warning':
      progress(`  warning (${e.id}): ${e.message}`);
      return;
    case 'rebuild-progress':
      // Only large tables: a small rebuild is done before progress would mean anything.
      if (e.total >= 100_000) progress(`  rebuilding ${e.table}: ${e.copied} of ${e.total} rows copied`);
      return;
    case 'replay': {
      // Every migration on a terminal, every 10% otherwise: long replays show they are moving.
      const step = Math.max(1, Math.floor(e.total / 10));
      if (tty || e.index === 0 || (e.index + 1) % step === 0 || e.index + 1 === e.total)
        progress(`replaying ${e.id} into a scratch database (${e.index + 1}/${e.total})`);
      return;
    }
    case 'replay-cached':
      if (tty) progress(`expected schemas of ${e.total} revisions read from the cache`);
      return;
    default:
      return;
  }
}
