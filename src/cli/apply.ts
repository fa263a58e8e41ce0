import type { Command } from 'commander';
import { isDbDoctorError } from '../errors.js';
import { withCommonOptions } from './context.js';
import { largeTableRows, renderFinding } from './lint.js';
import { emit, writeErr, writeOut } from './output.js';
import { action } from './run.js';

/** `dbdoctor apply` (aliases `up`, `migrate`). */
export function register(program: Command): void {
  withCommonOptions(program.command('apply'))
    .aliases(['up', 'migrate'])
    .description('apply pending migrations, each in one transaction with its history row')
    .option('--to <id>', 'apply up to and including this migration')
    .option('--dry-run', 'show what would be applied; change nothing')
    .option('--single-transaction', 'apply everything in one transaction (all or nothing)')
    .option('--allow-out-of-order', 'also apply pending migrations older than applied ones')
    .option(
      '--statement-lock-timeout <duration>',
      'how long a statement waits for a lock (PostgreSQL lock_timeout, MySQL lock_wait_timeout; default 5s)',
    )
    .option('--no-backup', 'SQLite: skip the automatic backup')
    .option('--keep-backups <n>', 'SQLite: how many automatic backups to keep (default 5)')
    .option('--force', 'apply even when lints find unsafe changes (see `dbdoctor lint`)')
    .option(
      '--dump [file]',
      'after applying, write the live schema to schema.sql (or [file]), as `dbdoctor dump` does',
    )
    .option(
      '--large-table-rows <n>',
      'tables with at least this many rows are large for the lints (default 100000)',
    )
    .action(
      action(async (ctx, opts) => {
        const { migrate } = await import('../migrations/apply.js');
        const r = await migrate({
          ...ctx,
          to: opts.to as string | undefined,
          dryRun: Boolean(opts.dryRun),
          singleTransaction: Boolean(opts.singleTransaction),
          allowOutOfOrder: Boolean(opts.allowOutOfOrder),
          force: Boolean(opts.force),
          largeTableRows: largeTableRows(opts.largeTableRows),
          onLint: (findings) => {
            // What could not be judged is `lint`'s to say; apply shows what it found.
            for (const f of findings) if (f.severity !== 'info') writeErr(`${renderFinding(f)}\n`);
          },
        }).catch((e: unknown) => {
          // A failure part-way: the same lines as a success up to it, then the error (stderr).
          if (!ctx.json && isDbDoctorError(e) && typeof e.details.database === 'string')
            writeOut(`${runSoFar(e.details)}\n`);
          throw e;
        });
        let dumped: string | null = null;
        let dumpSkipped: Record<string, unknown> | null = null;
        if (opts.dump !== undefined && !r.dryRun) {
          const { pull } = await import('../schema-file/pull.js');
          const file = typeof opts.dump === 'string' ? opts.dump : undefined;
          try {
            dumped = (await pull({ ...ctx, format: 'sql', file, ignore: ctx.ignore })).file;
          } catch (e) {
            // The migrations are applied whatever happens to the dump: an edited schema file is
            // kept and the apply still succeeds, with a warning saying so.
            if (!isDbDoctorError(e) || e.code !== 'SCHEMA_FILE_EDITED') throw e;
            dumpSkipped = e.toJSON();
            writeErr(
              `warning [${e.code}]: the migrations were applied; the dump was skipped: ${e.message}\n  ${e.unchanged}\n  next: run \`dbdoctor generate <name>\` to turn the edits into a migration, or \`dbdoctor dump --force\` to overwrite them with the live schema.\n`,
            );
          }
        }
        const doc = dumped ? { ...r, dumped } : dumpSkipped ? { ...r, dumpSkipped } : r;
        emit(ctx.json, doc, () => {
          const lines: string[] = [`database: ${r.database}${r.exists ? '' : ' (does not exist yet)'}`];
          if (r.backup) lines.push(`backup: ${r.backup}`);
          if (r.applied.length === 0) lines.push(`Nothing to apply; database is at ${r.after ?? 'base'}.`);
          else {
            const verb = r.dryRun ? 'would apply' : 'applied';
            for (const a of r.applied)
              lines.push(`${verb} ${a.id}_${a.name}${r.dryRun ? '' : ` (${a.ms} ms)`}`);
            lines.push(
              `${r.dryRun ? 'would move' : 'database moved'} from ${r.before ?? 'base'} to ${r.after ?? 'base'}.`,
            );
          }
          if (dumped) lines.push(`wrote ${dumped}`);
          if (dumpSkipped)
            lines.push(`did not write ${String(dumpSkipped.file)}: it has edits (see the warning)`);
          return lines.join('\n');
        });
      }),
    );
}

/** What a failed apply did before it failed: the database, what it applied, where it is now. */
function runSoFar(details: Record<string, unknown>): string {
  const lines = [`database: ${String(details.database)}`];
  const applied = (details.applied ?? []) as { id: string; name: string; ms: number }[];
  for (const a of applied) lines.push(`applied ${a.id}_${a.name} (${a.ms} ms)`);
  lines.push(
    `database is at ${(details.revision as string | null) ?? 'base'} (the last revision fully applied).`,
  );
  return lines.join('\n');
}
