import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DbDoctorError } from '../errors.js';
import { FORMAT_NAMES } from '../formats/names.js';

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

export const DEFAULT_CONFIG_NAME = 'dbdoctor.config.json';

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
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CONFIG_NAME);
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === 'ENOENT')
      return { config: {}, base: cwd, file: null };
    throw new DbDoctorError('CONFIG_UNREADABLE', `Cannot read config file ${file}.`, {
      unchanged: 'Nothing was done.',
      hint: 'Check the --config path, or run `dbdoctor init` to create one.',
      cause: e,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (e) {
    throw new DbDoctorError(
      'CONFIG_INVALID',
      `Config file ${file} is not valid JSON: ${(e as Error).message}`,
      {
        unchanged: 'Nothing was done.',
        hint: 'Fix the JSON syntax in the file.',
      },
    );
  }
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
  return { config: expandVariables(result.data, file, env), base: path.dirname(file), file };
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

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${VAR}` in every string value replaced by the environment's VAR. */
function expandVariables<T>(value: T, file: string, env: NodeJS.ProcessEnv, key = ''): T {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        throw new DbDoctorError(
          'CONFIG_INVALID',
          `Config file ${file}: "${key}" uses \${${name}}, which is not set.`,
          {
            unchanged: 'Nothing was done.',
            hint: `Set ${name} in the environment or in .env (dbdoctor reads .env from the current folder), or write the value into the file.`,
            details: { file, key, variable: name },
          },
        );
      }
      return v;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandVariables(v, file, env, `${key}[${i}]`)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandVariables(v, file, env, key ? `${key}.${k}` : k)]),
    ) as T;
  }
  return value;
}
