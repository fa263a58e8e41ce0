import type { Command } from 'commander';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor history`. */
export function register(program: Command): void {
  withCommonOptions(program.command('history'), { lock: false })
    .description('applied migrations, oldest first')
    .action(
      action(async (ctx) => {
        const { history } = await import('../migrations/status.js');
        const rows = await history(ctx);
        emit(ctx.json, { applied: rows }, () =>
          rows.length === 0
            ? 'No migrations applied.'
            : rows
                .map(
                  (r) =>
                    `${r.id}_${r.name}  ${r.appliedAt}  ${r.status}${r.status === 'applied' ? ` ${r.executionMs} ms` : ''}${r.status === 'started' || r.status === 'reverting' ? ` (${r.statementsTotal > 0 ? `${r.statementsDone}/${r.statementsTotal}` : r.statementsDone} statements)` : ''}`,
                )
                .join('\n'),
        );
      }),
    );
}
