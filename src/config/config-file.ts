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
  return { config, base: path.dirname(file) };
}
