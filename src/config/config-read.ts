/**
 * Finding and parsing `dbdoctor.config.json`, without its schema: the schema (zod) is loaded
 * only when a file is there to check, so a command in a project without one does not pay for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DbDoctorError } from '../errors.js';

export const DEFAULT_CONFIG_NAME = 'dbdoctor.config.json';

/**
 * The config file's path and parsed JSON: `explicit` if given (must exist), else
 * `dbdoctor.config.json` in `cwd`; null when that default file is absent. Not yet checked.
 *
 * @throws DbDoctorError CONFIG_UNREADABLE, or CONFIG_INVALID when it is not JSON.
 */
export function readConfigJson(
  explicit: string | undefined,
  cwd: string,
): { file: string; parsed: unknown } | null {
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CONFIG_NAME);
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DbDoctorError('CONFIG_UNREADABLE', `Cannot read config file ${file}.`, {
      unchanged: 'Nothing was done.',
      hint: 'Check the --config path, or run `dbdoctor init` to create one.',
      cause: e,
    });
  }
  try {
    return { file, parsed: JSON.parse(source) };
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
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${VAR}` in every string value replaced by the environment's VAR. */
export function expandVariables<T>(value: T, file: string, env: NodeJS.ProcessEnv, key = ''): T {
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
