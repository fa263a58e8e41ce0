import path from 'node:path';
import { z } from 'zod';
import { DbDoctorError } from '../errors.js';
import { FORMAT_NAMES } from '../formats/names.js';
import { expandVariables, readConfigJson } from './config-read.js';

export { DEFAULT_CONFIG_NAME } from './config-read.js';

const text = (what = 'must be a string') => z.string({ error: what });
const duration = (key: string) =>
  z.union([z.string(), z.number()], {
    error: `must be a duration such as "30s" or a number of milliseconds (e.g. {"${key}": "30s"})`,
  });

/**
 * The schema of `dbdoctor.config.json`, checked by zod with messages that name the key; the
 * same schema is published as JSON Schema (`dbdoctor.config.schema.json`, see `$schema`).
 */
export const CONFIG_SCHEMA = z.strictObject(
  {
    $schema: text().optional().describe('JSON Schema of this file, for editors.'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's literal ${VAR} syntax
    url: text('must be a string (a database URL), e.g. "sqlite:./app.db" or "${DATABASE_URL}"')
      .optional()
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's literal ${VAR} syntax
      .describe('Database URL; ${VAR} is replaced by the environment variable VAR.'),
    dir: text().optional().describe('Migrations folder, relative to this file.'),
    format: z
      .enum(FORMAT_NAMES, { error: `must be one of ${FORMAT_NAMES.join(', ')}` })
      .optional()
      .describe("The migrations folder's layout (another tool's); detected when absent."),
    historyTable: text().optional().describe('History table name (default dbdoctor_migrations).'),
    lockTimeout: duration('lockTimeout').optional().describe('How long to wait for another runner.'),
    statementLockTimeout: duration('statementLockTimeout')
      .optional()
      .describe('PostgreSQL lock_timeout per migration statement.'),
    backups: z
      .strictObject(
        {
          keep: z
            .number({ error: 'must be a whole number, 0 or more' })
            .int({ error: 'must be a whole number, 0 or more' })
            .min(0, { error: 'must be a whole number, 0 or more' })
            .optional(),
          dir: text().optional(),
          enabled: z.boolean({ error: 'must be true or false' }).optional(),
        },
        { error: 'must be an object, e.g. {"backups": {"keep": 5, "dir": "backups", "enabled": true}}' },
      )
      .optional()
      .describe('SQLite backups before apply and down.'),
    scratchUrl: text('must be a string (a database URL)')
      .optional()
      .describe('doctor: a server of its own for the replay.'),
    ignore: z
      .array(z.string().min(1), { error: 'must be a list of table names or globs, e.g. ["legacy_*"]' })
      .optional()
      .describe('doctor: tables that are not the project’s (names or globs).'),
  },
  { error: 'must hold a JSON object, e.g. {"url": "sqlite:./app.db", "dir": "migrations"}' },
);

/** Settings a project may keep in `dbdoctor.config.json`. */
export type ConfigFile = z.infer<typeof CONFIG_SCHEMA>;

/** The JSON Schema of the config file, as published in `dbdoctor.config.schema.json`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(CONFIG_SCHEMA),
    $id: 'https://unpkg.com/dbdoctor/dbdoctor.config.schema.json',
    title: 'dbdoctor.config.json',
  };
}

/**
 * Reads the config file: `explicit` if given (must exist), else `dbdoctor.config.json` in
 * `cwd` if present, else an empty config. Paths inside resolve against the file's folder;
 * `${VAR}` in a string value is replaced by the environment variable (CONFIG_INVALID when it
 * is not set). Every value is checked against {@link CONFIG_SCHEMA}.
 */
export function loadConfigFile(
  explicit: string | undefined,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): { config: ConfigFile; base: string; file: string | null } {
  const read = readConfigJson(explicit, cwd);
  if (read === null) return { config: {}, base: cwd, file: null };
  return { config: checkConfig(read.parsed, read.file, env), base: path.dirname(read.file), file: read.file };
}

/**
 * A parsed config file checked against {@link CONFIG_SCHEMA}, with `${VAR}` replaced from `env`.
 *
 * @throws DbDoctorError CONFIG_INVALID naming every key that is wrong, or a variable not set.
 */
export function checkConfig(parsed: unknown, file: string, env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const result = CONFIG_SCHEMA.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    throw new DbDoctorError(
      'CONFIG_INVALID',
      `Config file ${file}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}.`,
      {
        unchanged: 'Nothing was done.',
        hint: `Fix the value${problems.length === 1 ? '' : 's'} named above. Known keys: ${Object.keys(CONFIG_SCHEMA.shape).join(', ')}. Add "$schema": "./node_modules/dbdoctor/dbdoctor.config.schema.json" for your editor to check the file as you type.`,
        details: { file, problems },
      },
    );
  }
  return expandVariables(result.data, file, env);
}

/** One zod issue as a sentence naming its key (`"backups.keep" must be a whole number …`). */
function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys.join(', ');
    return key ? `"${key}" has unknown keys: ${keys}` : `unknown keys: ${keys}`;
  }
  return key ? `"${key}" ${issue.message}` : issue.message;
}
