import type { Command } from 'commander';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor status`. */
export function register(program: Command): void {
  withCommonOptions(program.command('status'))
    .description('current revision, pending migrations and problems (read-only)')
    .action(
      action(async (ctx) => {
        const { status } = await import('../migrations/status.js');
        const s = await status(ctx);
        emit(ctx.json, s, () => {
          const lines = [`database: ${s.database}${s.exists ? '' : ' (does not exist yet)'}`];
          lines.push(`current:  ${s.current ?? 'base (nothing applied)'}`);
          lines.push(`applied:  ${s.applied.length}`);
          if (s.pending.length === 0) lines.push('pending:  none');
          else {
            lines.push(`pending:  ${s.pending.length}`);
            for (const p of s.pending.slice(0, 20)) lines.push(`  ${p.id}_${p.name}`);
            if (s.pending.length > 20) lines.push(`  … and ${s.pending.length - 20} more`);
          }
          if (!s.transactionalDdl)
            lines.push(
              'note:     DDL is not transactional here: each statement commits on its own, so a migration that stops part-way stays partially applied (see README, MySQL/MariaDB).',
            );
          for (const p of s.problems) lines.push(`problem [${p.code}] ${p.message}\n  fix: ${p.fix}`);
          return lines.join('\n');
        });
      }),
    );
}
