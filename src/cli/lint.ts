import type { Command } from 'commander';
import type { MigrationLintFinding } from '../migrations/lint.js';
import { wholeNumberOption, withCommonOptions } from './context.js';
import { ExitCode, emit } from './output.js';
import { action } from './run.js';

/** Parses --large-table-rows. */
export function largeTableRows(value: unknown): number | undefined {
  return wholeNumberOption(value, '--large-table-rows', 1, 100000);
}

/** One finding as a person reads it. */
export function renderFinding(f: MigrationLintFinding): string {
  return `${f.severity} [${f.id}] ${f.migration}: ${f.message}\n  safer: ${f.alternative}`;
}

/** `dbdoctor lint`. */
export function register(program: Command): void {
  withCommonOptions(program.command('lint'), { lock: false })
    .description(
      'check pending migrations (DSL; SQL on PostgreSQL with its own parser, on SQLite with its lexer) for unsafe changes (the checks apply runs); read-only',
    )
    .option('--large-table-rows <n>', 'tables with at least this many rows are large (default 100000)')
    .action(
      action(async (ctx, opts) => {
        const { lint } = await import('../migrations/lint.js');
        const r = await lint({ ...ctx, largeTableRows: largeTableRows(opts.largeTableRows) });
        const errors = r.findings.filter((f) => f.severity === 'error').length;
        emit(ctx.json, { ok: errors === 0, ...r }, () =>
          r.findings.length === 0
            ? 'No unsafe changes in pending migrations.'
            : `${r.findings.map(renderFinding).join('\n')}\n${errors} error(s), ${r.findings.filter((f) => f.severity === 'warning').length} warning(s).`,
        );
        if (errors > 0) throw new ExitCode(1);
      }),
    );
}
