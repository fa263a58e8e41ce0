import type { Command } from 'commander';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor stamp <ID|base>`. */
export function register(program: Command): void {
  withCommonOptions(program.command('stamp'))
    .argument('<id>', 'the migration id or file stem the database is at, or `base`')
    .description('record the database as being at <id> without running anything')
    .action(
      action(async (ctx, _opts, target: string) => {
        const { stamp } = await import('../migrations/stamp.js');
        const r = await stamp({ ...ctx, target });
        emit(ctx.json, r, () =>
          [
            `database: ${r.database}`,
            `history now says ${r.after ?? 'base'} (was ${r.before ?? 'base'}).`,
            r.added.length ? `recorded without running: ${r.added.join(', ')}` : '',
            r.removed.length ? `forgotten: ${r.removed.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );
}
