import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { GenerateResult, RenameCandidate } from '../generate/generate.js';
import type { PullWarning } from '../schema-file/pull.js';
import { withCommonOptions } from './context.js';
import { ExitCode, emit, emitContent, writeErr } from './output.js';
import { action, type Resolved } from './run.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Asks a person on the terminal whether a drop-and-add is a rename (default: no). */
async function askOnTerminal(candidate: RenameCandidate): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${candidate.question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function run(
  ctx: Resolved,
  opts: Record<string, unknown>,
  name: string,
  write: boolean,
): Promise<GenerateResult & { warnings: PullWarning[] }> {
  const { generateMigration } = await import('../generate/generate.js');
  const { parseRenames } = await import('../generate/renames.js');
  const interactive =
    !ctx.json && opts.prompt !== false && process.stdin.isTTY === true && process.stderr.isTTY === true;
  const r = await generateMigration({
    ...ctx,
    name,
    write,
    schemaFile: opts.schemaFile as string | undefined,
    schema: opts.schema as string | undefined,
    renames: parseRenames((opts.rename as string[] | undefined) ?? []),
    ignore: ctx.ignore,
    cacheDir: opts.cache === false ? false : undefined,
    confirmRename: interactive ? askOnTerminal : undefined,
  });
  // A schema file pulled from a database behind the migrations lacks what the pending ones
  // add, and the migration generated from it undoes them: said wherever it can be seen.
  const { headWarnings } = await import('../schema-file/pull.js');
  const warnings = r.empty
    ? []
    : (await headWarnings({ ...ctx, format: undefined }, { migratedOnly: true }))
        .filter((w) => w.code === 'PENDING_MIGRATIONS')
        // The migration just written is pending too, and is not the one undone.
        .map((w) => ({ ...w, migrations: w.migrations.filter((m) => m !== `${r.id}_${name}`) }))
        .filter((w) => w.migrations.length > 0)
        .map((w) => ({
          ...w,
          message: `The database has pending migrations (${w.migrations.join(', ')}): if the schema file was pulled from it, this migration undoes them. Apply them, pull again and generate again.`,
        }));
  if (!ctx.json) for (const w of warnings) writeErr(`warning [${w.code}]: ${w.message}\n`);
  return { ...r, warnings };
}

function describe(r: GenerateResult, verb: string): string[] {
  const lines: string[] = [];
  for (const c of r.changes) lines.push(`  ${c.message}`);
  for (const c of r.possibleRenames)
    lines.push(
      `note: ${c.question.replace(/^Is/, 'is')} If so, run again with --rename ${c.rename.kind === 'table' ? `${c.rename.from}=${c.rename.to}` : `${c.rename.table}.${c.rename.from}=${c.rename.to}`}.`,
    );
  for (const f of r.lint) lines.push(`${f.severity} [${f.id}] ${f.message}\n  safer: ${f.alternative}`);
  if (r.irreversible.length > 0) lines.push(`no down: ${r.irreversible.join('; ')}`);
  lines.unshift(
    `${verb} (verified: up gives the schema file, ${r.down ? "down gives the migrations' head back" : 'no down'}):`,
  );
  return lines;
}

/** `dbdoctor generate <name>` and `dbdoctor diff`. */
export function register(program: Command): void {
  const common = (cmd: Command) =>
    withCommonOptions(cmd, { lock: false })
      .option(
        '--schema-file <path>',
        'the desired schema, schema.sql or schema.ts (default: schema.sql beside the migrations folder)',
      )
      .option(
        '--rename <old=new>',
        'a rename, not a drop and an add: table=new or table.column=new (repeatable)',
        collect,
        [],
      )
      .option('--no-prompt', 'never ask on the terminal whether a drop and an add are a rename')
      .option('--schema <name>', 'PostgreSQL schema holding the tables (default: public)')
      .option('--no-cache', 'replay every migration instead of reading cached expected schemas');

  common(program.command('generate'))
    .argument('<name>', 'what the migration does, e.g. add_email_to_accounts')
    .description(
      'write the next migration: the difference between the migrations (replayed) and the schema file, as DSL operations where they say it and SQL where not, verified by replay before it is written',
    )
    .action(
      action(async (ctx, opts, name: string) => {
        const r = await run(ctx, opts, name, true);
        emit(ctx.json, r, () =>
          r.empty
            ? 'Nothing to generate: the migrations already give the schema file.'
            : [...describe(r, `created ${r.file}`)].join('\n'),
        );
      }),
    );

  common(program.command('diff'))
    .description('print the migration generate would write (verified the same way); write nothing')
    .option('--exit-code', 'exit 1 when the schema file and the migrations differ (for CI)')
    .action(
      action(async (ctx, opts) => {
        const r = await run(ctx, opts, 'diff', false);
        // `ok` is false whenever the exit code is not 0 (the --json contract).
        const failing = opts.exitCode === true && !r.empty;
        emitContent(ctx.json, { ...r, ok: !failing }, () =>
          r.empty
            ? 'No difference: the migrations give the schema file.'
            : [...describe(r, 'the next migration would be'), '', r.code ?? ''].join('\n'),
        );
        if (failing) throw new ExitCode(1);
      }),
    );
  void writeErr;
}
