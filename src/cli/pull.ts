import type { Command } from 'commander';
import { DbDoctorError } from '../errors.js';
import { withCommonOptions } from './context.js';
import { emit, emitContent, writeErr } from './output.js';
import { action } from './run.js';

const FORMATS = ['sql', 'ts'] as const;

/** `dbdoctor pull` and `dbdoctor dump`. */
export function register(program: Command): void {
  withCommonOptions(program.command('pull'), { format: false })
    .description(
      'write the live schema as a schema file (schema.sql, or schema.ts in the DSL vocabulary) to edit and generate migrations from; --baseline also writes it as the first migration and stamps it',
    )
    .option('--format <format>', 'sql (the database dialect, every detail) or ts (portable DSL)', 'sql')
    .option('--file <path>', 'where to write (default: schema.sql or schema.ts beside the migrations folder)')
    .option('--schema <name>', 'PostgreSQL schema holding the tables (default: public)')
    .option('--baseline', 'also write the schema as the first migration and record it as applied')
    .option('--stdout', 'print the schema file instead of writing it')
    .option('--force', 'overwrite the schema file even when it was edited since dbdoctor wrote it')
    .action(
      action(async (ctx, opts) => {
        const format = String(opts.format);
        if (!(FORMATS as readonly string[]).includes(format))
          throw new DbDoctorError('BAD_USAGE', `Unknown --format "${format}".`, {
            unchanged: 'Nothing was read or written.',
            hint: `Use one of: ${FORMATS.join(', ')}.`,
          });
        if (opts.stdout && opts.baseline)
          throw new DbDoctorError(
            'BAD_USAGE',
            '--stdout writes nothing, so it cannot be used with --baseline.',
            {
              unchanged: 'Nothing was read or written.',
              hint: 'Leave out one of them.',
            },
          );
        const { pull } = await import('../schema-file/pull.js');
        const r = await pull({
          ...ctx,
          format: format as 'sql' | 'ts',
          file: opts.file as string | undefined,
          schema: opts.schema as string | undefined,
          ignore: ctx.ignore,
          baseline: Boolean(opts.baseline),
          write: !opts.stdout,
          force: Boolean(opts.force),
        });
        if (!ctx.json) for (const w of r.warnings) writeErr(`warning [${w.code}]: ${w.message}\n`);
        if (opts.stdout && !ctx.json) return emitContent(false, r, () => r.text);
        const { text: _text, ...doc } = r;
        emit(ctx.json, doc, () =>
          [
            `${r.unchanged ? 'unchanged' : 'wrote'} ${r.file} (${r.tables} tables, ${r.dialect})`,
            ...(r.baseline ? [`wrote ${r.baseline.file} and stamped the database at ${r.baseline.id}`] : []),
          ].join('\n'),
        );
      }),
    );

  withCommonOptions(program.command('dump'), { lock: false })
    .description(
      'write the live schema to schema.sql (canonical order), so code review sees every schema change',
    )
    .option('--file <path>', 'where to write (default: schema.sql beside the migrations folder)')
    .option('--schema <name>', 'PostgreSQL schema holding the tables (default: public)')
    .option('--force', 'overwrite the schema file even when it was edited since dbdoctor wrote it')
    .action(
      action(async (ctx, opts) => {
        const { pull } = await import('../schema-file/pull.js');
        const r = await pull({
          ...ctx,
          format: 'sql',
          file: opts.file as string | undefined,
          schema: opts.schema as string | undefined,
          ignore: ctx.ignore,
          force: Boolean(opts.force),
        });
        if (!ctx.json) for (const w of r.warnings) writeErr(`warning [${w.code}]: ${w.message}\n`);
        const { text: _text, ...doc } = r;
        emit(ctx.json, doc, () => `${r.unchanged ? 'unchanged' : 'wrote'} ${r.file} (${r.tables} tables)`);
      }),
    );
}
