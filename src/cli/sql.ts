import type { Command } from 'commander';
import { dialectNames } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';
import { withCommonOptions } from './context.js';
import { emitContent } from './output.js';
import { action } from './run.js';

/** `dbdoctor sql`. */
export function register(program: Command): void {
  withCommonOptions(program.command('sql'), { lock: false })
    .description(
      'print the SQL that apply would run, as a script safe to run by hand (with --dialect: every migration, no database needed)',
    )
    .option('--to <id>', 'stop after this migration')
    .option('--dialect <dialect>', `${dialectNames().join(' or ')}: render offline for this dialect`)
    .action(
      action(async (ctx, opts) => {
        const { byHandScript, previewSql } = await import('../migrations/sql-preview.js');
        const dialect = opts.dialect as string | undefined;
        const known = dialectNames();
        if (dialect !== undefined && !known.includes(dialect)) {
          throw new DbDoctorError('BAD_USAGE', `--dialect must be ${known.join(' or ')}, not "${dialect}".`, {
            unchanged: 'Nothing was done.',
          });
        }
        const r = await previewSql({
          ...ctx,
          database: dialect ? undefined : ctx.database,
          dialect,
          to: opts.to as string | undefined,
        });
        emitContent(ctx.json, { ...r, script: byHandScript(r.dialect, r.migrations) }, () =>
          byHandScript(r.dialect, r.migrations).trimEnd(),
        );
      }),
    );
}
