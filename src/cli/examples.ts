import type { Command } from 'commander';

/**
 * Examples shown at the end of each command's --help, by command path. Every command has
 * some: test/integration/cli-contract.test.ts fails for one without.
 */
const EXAMPLES: Record<string, readonly string[]> = {
  init: ['dbdoctor init', 'dbdoctor init --url postgres://app@localhost:5432/app --dir db/migrations'],
  new: [
    'dbdoctor new add_users',
    'dbdoctor new add_users --ts',
    'dbdoctor new add_users --dir db/migrations',
  ],
  status: [
    'dbdoctor status',
    'dbdoctor status --exit-code    # in CI: exit 1 while migrations are pending or a problem is found',
    'dbdoctor status --json --url postgres://app@localhost:5432/app',
  ],
  history: ['dbdoctor history', 'dbdoctor history --json'],
  apply: [
    'dbdoctor apply --dry-run',
    'dbdoctor apply',
    'dbdoctor apply --to 20240101120000',
    'dbdoctor apply --url postgres://app@localhost:5432/app --dir db/migrations',
  ],
  down: ['dbdoctor down --dry-run', 'dbdoctor down', 'dbdoctor down --steps 2', 'dbdoctor down --to base'],
  stamp: ['dbdoctor stamp 20240101120000', 'dbdoctor stamp base'],
  resolve: [
    'dbdoctor resolve 20240101120000 --applied',
    'dbdoctor resolve 20240101120000 --rolled-back',
    'dbdoctor resolve 20240101120000 --accept-checksum',
  ],
  sql: ['dbdoctor sql', 'dbdoctor sql --dialect postgres --to 20240101120000'],
  backup: ['dbdoctor backup', 'dbdoctor backup before-upgrade.sqlite --url sqlite:./app.sqlite'],
  restore: ['dbdoctor restore backups/app.db.3f2a9c1b.manual.20250101T120000123Z-4242.sqlite'],
  doctor: ['dbdoctor doctor', 'dbdoctor doctor --fix', 'dbdoctor doctor --json --no-cache'],
  lint: ['dbdoctor lint', 'dbdoctor lint --large-table-rows 10000 --json'],
  schema: [
    'dbdoctor schema',
    'dbdoctor schema --format mermaid > schema.mmd',
    'dbdoctor schema --format json',
  ],
  pull: [
    'dbdoctor pull    # schema.sql beside the migrations folder',
    'dbdoctor pull --format ts --file db/schema.ts',
    'dbdoctor pull --baseline --url postgres://app@localhost:5432/app    # adopt a database with no history',
  ],
  dump: [
    'dbdoctor dump',
    'dbdoctor dump --file db/schema.sql',
    'dbdoctor apply --dump    # apply, then dump',
  ],
  generate: [
    'dbdoctor generate add_email    # from schema.sql beside the migrations folder',
    'dbdoctor generate rename_users --rename users=accounts --rename accounts.mail=email',
    'dbdoctor generate add_email --schema-file db/schema.ts',
  ],
  diff: [
    'dbdoctor diff',
    'dbdoctor diff --exit-code    # in CI: exit 1 when the schema file and the migrations differ',
  ],
  sessions: ['dbdoctor sessions install', 'dbdoctor sessions sweep', 'dbdoctor sessions list --limit 20'],
  'sessions migrations': ['dbdoctor sessions migrations --dialect postgres'],
  'sessions install': ['dbdoctor sessions install --dry-run', 'dbdoctor sessions install'],
  'sessions copy': ['dbdoctor sessions copy --dir db/migrations'],
  'sessions sweep': ['dbdoctor sessions sweep    # from cron, while the app runs'],
  'sessions list': ['dbdoctor sessions list', 'dbdoctor sessions list --status active --limit 20 --json'],
  adopt: [
    'dbdoctor adopt --dir prisma/migrations --url "$DATABASE_URL" --dry-run',
    'dbdoctor adopt',
    'dbdoctor adopt --from alembic --map ae1027a6acf=0003',
  ],
};

/** Adds its examples to every command and subcommand of `program`; returns the paths that have none. */
export function addExamples(program: Command): string[] {
  const missing: string[] = [];
  const visit = (cmd: Command, path: string) => {
    const examples = EXAMPLES[path];
    if (examples) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
    else missing.push(path);
    for (const sub of cmd.commands) visit(sub, `${path} ${sub.name()}`);
  };
  for (const cmd of program.commands) visit(cmd, cmd.name());
  return missing;
}
