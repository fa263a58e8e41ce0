import fs from 'node:fs';
import path from 'node:path';
import { DbDoctorError } from '../errors.js';

/** Settings a project may keep in `dbdoctor.config.json`. */
export interface ConfigFile {
  url?: string;
  dir?: string;
  historyTable?: string;
  lockTimeout?: string | number;
  statementLockTimeout?: string | number;
  backups?: { keep?: number; dir?: string; enabled?: boolean };
  /** `doctor`: a database URL on a server of its own for the replay (see `--scratch-url`). */
  scratchUrl?: string;
  /** `doctor`: tables that are not the project's (names or globs with `*` and `?`), never drift. */
  ignore?: string[];
}

export const DEFAULT_CONFIG_NAME = 'dbdoctor.config.json';

/**
 * Reads the config file: `explicit` if given (must exist), else `dbdoctor.config.json` in
 * `cwd` if present, else an empty config. Paths inside resolve against the file's folder.
 */
export function loadConfigFile(
  explicit: string | undefined,
  cwd: string,
): { config: ConfigFile; base: string } {
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CONFIG_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === 'ENOENT') return { config: {}, base: cwd };
    throw new DbDoctorError('CONFIG_UNREADABLE', `Cannot read config file ${file}.`, {
      unchanged: 'Nothing was done.',
      hint: 'Check the --config path, or run `dbdoctor init` to create one.',
      cause: e,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DbDoctorError('CONFIG_INVALID', `Config file ${file} must hold a JSON object.`, {
      unchanged: 'Nothing was done.',
      hint: 'Example: {"url": "sqlite:./app.db", "dir": "migrations"}',
    });
  }
  const known = new Set([
    'url',
    'dir',
    'historyTable',
    'lockTimeout',
    'statementLockTimeout',
    'backups',
    'scratchUrl',
    'ignore',
  ]);
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new DbDoctorError(
      'CONFIG_INVALID',
      `Config file ${file} has unknown keys: ${unknown.join(', ')}.`,
      {
        unchanged: 'Nothing was done.',
        hint: `Known keys: ${[...known].join(', ')}.`,
      },
    );
  }
  const config = parsed as ConfigFile;
  const ignore = config.ignore as unknown;
  if (
    ignore !== undefined &&
    (!Array.isArray(ignore) || ignore.some((x) => typeof x !== 'string' || x === ''))
  ) {
    throw new DbDoctorError(
      'CONFIG_INVALID',
      `Config file ${file}: "ignore" must be a list of table names or globs.`,
      {
        unchanged: 'Nothing was done.',
        hint: 'Example: {"ignore": ["legacy_audit", "tmp_*"]}',
      },
    );
  }
  if (config.scratchUrl !== undefined && typeof config.scratchUrl !== 'string') {
    throw new DbDoctorError(
      'CONFIG_INVALID',
      `Config file ${file}: "scratchUrl" must be a database URL (a string).`,
      {
        unchanged: 'Nothing was done.',
        hint: 'Example: {"scratchUrl": "postgres://postgres@scratch-host:5432/postgres"}',
      },
    );
  }
  checkTypes(config as Record<string, unknown>, file);
  return { config, base: path.dirname(file) };
}

/**
 * Refuses a setting of the wrong JSON type rather than letting it mean something else
 * (`"keep": "3"` kept every backup, `"enabled": "no"` took them, being truthy).
 */
function checkTypes(config: Record<string, unknown>, file: string): void {
  const invalid = (what: string, example: string) =>
    new DbDoctorError('CONFIG_INVALID', `Config file ${file}: ${what}.`, {
      unchanged: 'Nothing was done.',
      hint: `Example: ${example}`,
    });
  for (const key of ['url', 'dir', 'historyTable'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string')
      throw invalid(`"${key}" must be a string`, '{"url": "sqlite:./app.db", "dir": "migrations"}');
  }
  for (const key of ['lockTimeout', 'statementLockTimeout'] as const) {
    const v = config[key];
    if (v !== undefined && typeof v !== 'string' && typeof v !== 'number')
      throw invalid(
        `"${key}" must be a duration such as "30s" or a number of milliseconds`,
        `{"${key}": "30s"}`,
      );
  }
  const backups = config.backups;
  if (backups === undefined) return;
  const example = '{"backups": {"keep": 5, "dir": "backups", "enabled": true}}';
  if (typeof backups !== 'object' || backups === null || Array.isArray(backups))
    throw invalid('"backups" must be an object', example);
  const b = backups as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['keep', 'dir', 'enabled'].includes(k));
  if (unknown.length > 0) throw invalid(`"backups" has unknown keys: ${unknown.join(', ')}`, example);
  if (b.keep !== undefined && !(typeof b.keep === 'number' && Number.isInteger(b.keep) && b.keep >= 0))
    throw invalid('"backups.keep" must be a whole number, 0 or more', example);
  if (b.dir !== undefined && typeof b.dir !== 'string')
    throw invalid('"backups.dir" must be a string', example);
  if (b.enabled !== undefined && typeof b.enabled !== 'boolean')
    throw invalid('"backups.enabled" must be true or false', example);
}
