import type { Command } from 'commander';
import { withCommonOptions } from './context.js';
import { ExitCode, emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor doctor`. */
export function register(program: Command): void {
  withCommonOptions(program.command('doctor'))
    .description(
      'health checks: which revision the schema really matches, drift table by table, history and lock problems, database integrity; exit 1 while an error remains',
    )
    .option(
      '--fix',
      'repair what needs no change to user data: stamp the history to the matching revision, clear a stale lock',
    )
    .option('--schema <name>', 'PostgreSQL schema holding the tables (default: public)')
    .option('--no-cache', 'replay every migration instead of reading cached expected schemas')
    .action(
      action(async (ctx, opts) => {
        const { doctor } = await import('../doctor/doctor.js');
        const result = await doctor({
          ...ctx,
          fix: opts.fix === true,
          schema: opts.schema as string | undefined,
          cacheDir: opts.cache === false ? false : undefined,
        });
        emit(ctx.json, result, () => {
          const lines = [
            `database:  ${result.database}`,
            `recorded:  ${result.revision ?? 'none'}`,
            `matches:   ${result.matches ?? (result.nearest !== null ? `none (closest: ${result.nearest})` : 'none')}`,
          ];
          for (const f of result.fixed) lines.push(`fixed [${f.code}] ${f.action}`);
          if (result.findings.length === 0) lines.push('no problems found');
          for (const f of result.findings) {
            lines.push(`${f.severity} [${f.code}] ${f.message}`);
            if (f.fix) lines.push(`  fix: ${f.fix}`);
          }
          lines.push(result.ok ? 'ok' : 'not ok: error-level findings remain');
          return lines.join('\n');
        });
        if (!result.ok) throw new ExitCode(1);
      }),
    );
}
