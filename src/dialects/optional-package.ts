/**
 * Loading the packages dbdoctor leaves to the project (optional peer dependencies): the
 * database drivers pg and better-sqlite3, and tsx for TypeScript migrations and schema files.
 * A PostgreSQL-only project need not compile better-sqlite3; one with SQL migrations only
 * needs no tsx. When one is missing, the error says which package to install, without a stack
 * trace; a package that is there but fails to load (a native build for another Node) is
 * reported as such, not as missing.
 */
import { DbDoctorError, errorMessage } from '../errors.js';

/** Whether `e` says that `pkg` itself (not something it imports) cannot be found. */
export function isMissingPackage(e: unknown, pkg: string): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = errorMessage(e);
  return message.includes(`'${pkg}'`) || message.includes(`'${pkg}/`) || message.includes(`"${pkg}"`);
}

/** The error for a missing optional package, or `e` itself when the package is there but broke. */
export function missingPackageError(
  e: unknown,
  pkg: string,
  what: { code: string; message: string; unchanged: string; dev?: boolean },
): unknown {
  if (!isMissingPackage(e, pkg)) return e;
  return new DbDoctorError(what.code, `${what.message} (the npm package ${pkg}) is not installed.`, {
    unchanged: what.unchanged,
    hint: `Install it next to dbdoctor: npm install ${what.dev ? '-D ' : ''}${pkg}`,
    details: { package: pkg },
  });
}

/** tsx's `tsImport`, or TSX_MISSING naming the file that needed it. */
export async function loadTsImport(
  file: string,
  unchanged: string,
): Promise<(url: string, parent: string) => Promise<unknown>> {
  try {
    const { tsImport } = await import('tsx/esm/api');
    return tsImport as (url: string, parent: string) => Promise<unknown>;
  } catch (e) {
    throw missingPackageError(e, 'tsx', {
      code: 'TSX_MISSING',
      message: `Cannot load ${file}: TypeScript files run through tsx`,
      unchanged,
      dev: true,
    });
  }
}
