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
            : columns(
                ['migration', 'applied at', 'status', 'time / statements'],
                rows.map((r) => [
                  `${r.id}_${r.name}`,
                  r.appliedAt,
                  r.status,
                  r.status === 'started' || r.status === 'reverting'
                    ? `${r.statementsTotal > 0 ? `${r.statementsDone} of ${r.statementsTotal}` : r.statementsDone} statement(s) done`
                    : `${r.executionMs} ms`,
                ]),
              ),
        );
      }),
    );
}

/** Rows under a header, each column as wide as its widest cell, so the columns line up. */
function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
