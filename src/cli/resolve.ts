import type { Command } from 'commander';
import { DbDoctorError } from '../errors.js';
import type { ResolveAction } from '../migrations/stamp.js';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor resolve <id> --applied|--rolled-back|--accept-checksum|--forget`. */
export function register(program: Command): void {
  withCommonOptions(program.command('resolve'))
    .argument('<id>', 'the migration whose history row to settle')
    .option(
      '--applied',
      'a partially applied (or partially reverted) migration has all its changes again: record it as applied',
    )
    .option(
      '--rolled-back',
      'a partially applied (or partially reverted) migration has none of its changes: remove its row',
    )
    .option('--accept-checksum', 'accept the edited file as the applied one')
    .option('--forget', 'drop the history row of a migration whose file was deleted')
    .description('settle one history problem reported by status (touches only that history row)')
    .action(
      action(async (ctx, opts, id: string) => {
        const { resolve } = await import('../migrations/stamp.js');
        const actions = (['applied', 'rolledBack', 'acceptChecksum', 'forget'] as const).filter(
          (k) => opts[k],
        );
        if (actions.length !== 1) {
          throw new DbDoctorError(
            'BAD_USAGE',
            'Give exactly one of --applied, --rolled-back, --accept-checksum, --forget.',
            {
              unchanged: 'Nothing was changed.',
            },
          );
        }
        const map: Record<(typeof actions)[number], ResolveAction> = {
          applied: 'applied',
          rolledBack: 'rolled-back',
          acceptChecksum: 'accept-checksum',
          forget: 'forget',
        };
        const r = await resolve({ ...ctx, id, action: map[actions[0]!] });
        emit(ctx.json, r, () => `resolved ${r.id}: ${r.action}`);
      }),
    );
}
