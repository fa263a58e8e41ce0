import type { Command } from 'commander';
import { wholeNumberOption, withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor down`. */
export function register(program: Command): void {
  withCommonOptions(program.command('down'))
    .alias('rollback')
    .description('revert applied migrations, newest first (default: one)')
    .option('--to <id>', 'revert everything applied after this migration (`base`: everything)')
    .option('--steps <n>', 'revert this many migrations')
    .option('--dry-run', 'show what would be reverted; change nothing')
    .option(
      '--statement-lock-timeout <duration>',
      'how long a statement waits for a lock (PostgreSQL lock_timeout, MySQL lock_wait_timeout; default 5s)',
    )
    .option('--no-backup', 'SQLite: skip the automatic backup')
    .option('--keep-backups <n>', 'SQLite: how many automatic backups to keep (default 5)')
    .action(
      action(async (ctx, opts) => {
        const { rollback } = await import('../migrations/rollback.js');
        const steps = wholeNumberOption(opts.steps, '--steps', 1, 2);
        const r = await rollback({
          ...ctx,
          to: opts.to as string | undefined,
          steps,
          dryRun: Boolean(opts.dryRun),
        });
        emit(ctx.json, r, () => {
          const lines: string[] = [`database: ${r.database}`];
          if (r.backup) lines.push(`backup: ${r.backup}`);
          if (r.reverted.length === 0) lines.push('Nothing to revert.');
          for (const a of r.reverted)
            lines.push(`${r.dryRun ? 'would revert' : 'reverted'} ${a.id}_${a.name}`);
          if (r.reverted.length > 0)
            lines.push(
              `${r.dryRun ? 'would move' : 'database moved'} from ${r.before ?? 'base'} to ${r.after ?? 'base'}.`,
            );
          return lines.join('\n');
        });
      }),
    );
}
