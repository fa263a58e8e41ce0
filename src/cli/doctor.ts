import type { Command } from 'commander';
import type { DoctorResult } from '../doctor/doctor.js';
import { DbDoctorError } from '../errors.js';
import { withCommonOptions } from './context.js';
import { ExitCode, emit } from './output.js';
import { action } from './run.js';

/** `0015`, `0015..0016` when the schema cannot tell them apart, or `none (closest: …)`. */
function matchesText(result: DoctorResult): string {
  const range = result.matchesRange;
  if (range) return range.from === range.to ? range.to : `${range.from}..${range.to}`;
  return result.nearest !== null ? `none (closest: ${result.nearest})` : 'none';
}

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
    .option(
      '--scratch-url <url>',
      'a server of its own to replay the migrations on (default: a throwaway database on the live server, where statements reaching beyond it, such as roles, accounts, server settings or other databases, are skipped)',
    )
    .option('--to <id>', 'with --fix: the revision to stamp when the schema matches several alike')
    .action(
      action(async (ctx, opts) => {
        if (opts.to !== undefined && opts.fix !== true) {
          throw new DbDoctorError(
            'BAD_USAGE',
            '--to chooses the revision `doctor --fix` stamps; it needs --fix.',
            {
              unchanged: 'Nothing was read or written.',
              hint: 'dbdoctor doctor --fix --to <id>',
            },
          );
        }
        const { doctor } = await import('../doctor/doctor.js');
        const result = await doctor({
          ...ctx,
          fix: opts.fix === true,
          schema: opts.schema as string | undefined,
          cacheDir: opts.cache === false ? false : undefined,
          to: opts.to as string | undefined,
        });
        emit(ctx.json, result, () => {
          const lines = [
            `database:  ${result.database}`,
            `recorded:  ${result.revision ?? 'none'}`,
            `matches:   ${matchesText(result)}`,
          ];
          if (result.confinement) lines.push(`replay:    confined ${result.confinement}`);
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
