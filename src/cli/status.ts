import type { Command } from 'commander';
import { withCommonOptions } from './context.js';
import { ExitCode, emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor status`. */
export function register(program: Command): void {
  withCommonOptions(program.command('status'), { lock: false })
    .description('current revision, pending migrations and problems (read-only)')
    .option('--exit-code', 'exit 1 while migrations are pending or a problem is found (for CI)')
    .action(
      action(async (ctx, opts) => {
        const { status } = await import('../migrations/status.js');
        const s = await status(ctx);
        const failing = opts.exitCode === true && (s.pending.length > 0 || s.problems.length > 0);
        emit(ctx.json, { ok: !failing, ...s }, () => {
          const lines = [`database: ${s.database}${s.exists ? '' : ' (does not exist yet)'}`];
          lines.push(`current:  ${s.current ?? 'base (nothing applied)'}`);
          lines.push(`applied:  ${s.applied.length}`);
          if (s.partial.length > 0) {
            lines.push(`partial:  ${s.partial.length} (stopped part-way; not counted as applied)`);
            for (const p of s.partial) {
              const done =
                p.statementsTotal > 0 ? `${p.statementsDone} of ${p.statementsTotal}` : `${p.statementsDone}`;
              lines.push(
                `  ${p.id}_${p.name}: ${p.status === 'reverting' ? 'partially reverted' : 'partially applied'}, ${done} statement(s) done`,
              );
            }
          }
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
          if (s.uncovered.length > 0) {
            lines.push(`not run (the ${s.format} layout does not cover them): ${s.uncovered.length}`);
            for (const u of s.uncovered.slice(0, 20)) lines.push(`  ${u.path}: ${u.reason}`);
            if (s.uncovered.length > 20)
              lines.push(`  … and ${s.uncovered.length - 20} more (--json lists them all)`);
          }
          if (failing) lines.push('not ok: migrations are pending or a problem was found (--exit-code)');
          return lines.join('\n');
        });
        if (failing) throw new ExitCode(1);
      }),
    );
}
