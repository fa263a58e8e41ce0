import type { Command } from 'commander';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor backup [FILE]` and `dbdoctor restore FILE`. */
export function register(program: Command): void {
  withCommonOptions(program.command('backup'), { dir: false, format: false })
    .argument('[file]', 'where to write the backup (default: backups/ beside the database)')
    .description('SQLite: take an online backup of the live database')
    .action(
      action(async (ctx, _opts, file?: string) => {
        const { backup } = await import('../migrations/restore.js');
        const r = await backup({ ...ctx, file });
        emit(ctx.json, r, () => `backup written to ${r.file}`);
      }),
    );
  withCommonOptions(program.command('restore'), { dir: false, format: false })
    .argument('<file>', 'a backup file')
    .description(
      'SQLite: put a backup back (the current database is backed up first; waits for the migration lock)',
    )
    .action(
      action(async (ctx, _opts, file: string) => {
        const { restore } = await import('../migrations/restore.js');
        const r = await restore({ ...ctx, file });
        emit(
          ctx.json,
          r,
          () =>
            `database: ${r.database}\nrestored ${r.restored}\nthe database as it was before is saved in ${r.safetyBackup}`,
        );
      }),
    );
}
