import type { Command } from 'commander';
import { ADOPT_TOOLS, type AdoptTool } from '../adopt/tools.js';
import { DbDoctorError } from '../errors.js';
import { withCommonOptions } from './context.js';
import { ExitCode, emit } from './output.js';
import { action } from './run.js';

/** `--map a=b` (repeatable) into a record, or BAD_USAGE. */
function collectMap(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([^=]+)=(.+)$/.exec(value);
  if (!m) {
    throw new DbDoctorError('BAD_USAGE', `--map ${value}: expected <their revision>=<dbdoctor id>.`, {
      unchanged: 'Nothing was read or written.',
      hint: 'For example --map ae1027a6acf=20240101120000 (Alembic head ae1027a6acf is migration 20240101120000).',
    });
  }
  return { ...previous, [m[1]!.trim()]: m[2]!.trim() };
}

/** `dbdoctor adopt`. */
export function register(program: Command): void {
  withCommonOptions(program.command('adopt'))
    .description(
      "take over another tool's history: record in dbdoctor's history what it applied, once the doctor confirms the schema matches; its table is left untouched",
    )
    .option(
      '--from <tool>',
      `the tool whose history to read when there are several: ${ADOPT_TOOLS.join(', ')}`,
    )
    .option(
      '--map <rev=id>',
      'their revision id = dbdoctor migration id (Alembic heads; repeatable)',
      collectMap,
    )
    .option('--dry-run', 'show the plan and verify it; record nothing')
    .option('--scratch-url <url>', 'a server of its own for the doctor to replay the migrations on')
    .action(
      action(async (ctx, opts) => {
        const from = opts.from as string | undefined;
        if (from !== undefined && !(ADOPT_TOOLS as readonly string[]).includes(from)) {
          throw new DbDoctorError('BAD_USAGE', `--from ${from}: unknown tool.`, {
            unchanged: 'Nothing was read or written.',
            hint: `Use one of: ${ADOPT_TOOLS.join(', ')}.`,
          });
        }
        const { adopt } = await import('../adopt/adopt.js');
        const r = await adopt({
          ...ctx,
          from: from as AdoptTool | undefined,
          map: opts.map as Record<string, string> | undefined,
          dryRun: opts.dryRun === true,
        });
        emit(ctx.json, r, () => {
          const lines = [`database: ${r.database}`, `from:     ${r.tool} (${r.table}, left untouched)`];
          const verb = r.dryRun ? 'would record' : 'recorded';
          if (r.adopted.length === 0)
            lines.push(
              r.already.length > 0
                ? `Nothing to adopt: dbdoctor's history already holds what ${r.tool} recorded.`
                : 'Nothing to adopt.',
            );
          for (const a of r.adopted)
            lines.push(
              `${verb} ${a.id}_${a.name}${a.ref !== a.id && a.ref !== `${a.id}_${a.name}` ? ` (${r.tool}: ${a.ref})` : ''}${a.changed ? ` — edited since ${r.tool} ran it` : ''}`,
            );
          if (r.already.length) lines.push(`already in dbdoctor's history: ${r.already.join(', ')}`);
          for (const n of r.notAdopted)
            lines.push(`NOT adopted ${n.ref}${n.id && n.id !== n.ref ? ` (${n.id})` : ''}: ${n.reason}`);
          for (const n of r.notes) lines.push(`note: ${n}`);
          if (r.verified.revision !== null && r.adopted.length > 0)
            lines.push(`verified: the live schema is the one the migrations make at ${r.verified.revision}.`);
          if (r.pending.length)
            lines.push(
              `pending (dbdoctor apply runs them): ${r.pending.map((p) => `${p.id}${p.outOfOrder ? ' (older than adopted ones: --allow-out-of-order)' : ''}`).join(', ')}`,
            );
          lines.push(
            r.dryRun ? 'dry run: nothing was recorded.' : `dbdoctor's history is at ${r.revision ?? 'base'}.`,
          );
          if (!r.dryRun)
            for (const f of r.doctor.findings.filter((x) => x.severity === 'error'))
              lines.push(`doctor: ${f.code}: ${f.message}`);
          return lines.join('\n');
        });
        if (!r.ok) throw new ExitCode(1);
      }),
    );
}
