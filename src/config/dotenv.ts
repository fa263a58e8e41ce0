import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { DbDoctorError } from '../errors.js';

/**
 * Reads `.env` in `cwd` into `env` the way dbmate and Prisma do: a variable already set in the
 * environment wins over the file. Parsed by Node's own parser (`util.parseEnv`, the one
 * `process.loadEnvFile` and `--env-file` use). Returns the file read, or null when there is none.
 */
export function loadDotEnv(cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const file = path.join(cwd, '.env');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new DbDoctorError('CONFIG_UNREADABLE', `Cannot read ${file} (${code ?? 'error'}).`, {
      unchanged: 'Nothing was done.',
      hint: 'Make the file readable, or remove it.',
      cause: e,
    });
  }
  for (const [k, v] of Object.entries(util.parseEnv(text))) if (env[k] === undefined) env[k] = v;
  return file;
}
