import type { Command } from 'commander';
import { DbDoctorError } from '../errors.js';
import { withCommonOptions } from './context.js';
import { emit, writeOut } from './output.js';
import { action } from './run.js';

const FORMATS = ['text', 'json', 'mermaid'] as const;

/** `dbdoctor schema`. */
export function register(program: Command): void {
  withCommonOptions(program.command('schema'), { format: false, lock: false })
    .description("print the live schema (without dbdoctor's own tables); read-only")
    .option('--format <format>', 'text, json or mermaid (an ER diagram)', 'text')
    .option('--schema <name>', 'PostgreSQL schema to read (default: public)')
    .action(
      action(async (ctx, opts) => {
        const { introspect } = await import('../migrations/introspect.js');
        const { renderSchemaMermaid, renderSchemaText } = await import('../schema/render.js');
        const format = String(opts.format);
        if (!(FORMATS as readonly string[]).includes(format)) {
          throw new DbDoctorError('BAD_USAGE', `Unknown --format "${format}".`, {
            unchanged: 'Nothing was read.',
            hint: `Use one of: ${FORMATS.join(', ')}.`,
          });
        }
        const schema = await introspect({
          database: ctx.database,
          cwd: ctx.cwd,
          historyTable: ctx.historyTable,
          schema: opts.schema as string | undefined,
        });
        // --json is the CLI's result document (with `ok`); --format json is the schema alone.
        if (!ctx.json && format === 'json') writeOut(`${JSON.stringify(schema, null, 2)}\n`);
        else
          emit(ctx.json, schema, () =>
            format === 'mermaid' ? renderSchemaMermaid(schema) : renderSchemaText(schema),
          );
      }),
    );
}
