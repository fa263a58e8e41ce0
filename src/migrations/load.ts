import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dialect } from '../dialects/dialect.js';
import { loadTsImport } from '../dialects/optional-package.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { invertOperations } from '../ops/inverse.js';
import type { Operation } from '../ops/types.js';
import { missingDialectSql, operationProblem } from '../ops/validate.js';
import type { MigrationContext, MigrationDefinition, OperationsMigration } from './define.js';
import { type MigrationFile, parseSqlMigration, type SqlSection } from './files.js';
import { type TransactionControlAt, unwrapTransaction } from './transaction-control.js';

/** One direction of a migration, ready to run. */
export type MigrationStep =
  | { kind: 'sql'; statements: string[]; transaction: boolean }
  | { kind: 'module'; run: (ctx: MigrationContext) => Promise<void> | void; transaction: boolean }
  /** DSL operations; `transaction` undefined means "unless an operation needs otherwise on this dialect". */
  | { kind: 'ops'; ops: readonly Operation[]; transaction: boolean | undefined };

/**
 * Whether a step runs inside a transaction on this dialect. Where DDL cannot roll back, none
 * does: a transaction would claim an atomicity the database does not give.
 */
export function runsInTransaction(step: MigrationStep, dialect: Dialect): boolean {
  if (!dialect.capabilities.transactionalDdl) return false;
  if (step.kind !== 'ops') return step.transaction;
  return step.transaction ?? !dialect.compiler.needsNoTransaction(step.ops);
}

/** A migration loaded for running: its up and (when it has one) down. */
export interface LoadedMigration {
  file: MigrationFile;
  up: MigrationStep;
  down: MigrationStep | null;
}

/**
 * Parses a SQL migration (split into statements by `dialect`'s rules) or imports a TS/JS one
 * (TS through tsx, so users never compile).
 */
export async function loadMigration(file: MigrationFile, dialect: Dialect): Promise<LoadedMigration> {
  if (file.kind === 'sql') {
    // Another tool's layout was parsed by its format (src/formats/); dbdoctor's own here.
    const parsed = file.sections ?? parseSqlMigration(file.text ?? '', path.basename(file.file));
    const split = (s: SqlSection): string[] =>
      s.chunks
        ? s.chunks.flatMap((c) => (c.whole ? [c.sql] : dialect.splitStatements(c.sql)))
        : dialect.splitStatements(s.sql);
    const toStep = (s: SqlSection, section: 'up' | 'down'): MigrationStep => ({
      kind: 'sql',
      // Where no migration runs in a transaction (no transactional DDL), its own BEGIN … COMMIT
      // runs as written: there is no dbdoctor transaction for it to break.
      statements:
        s.transaction && dialect.capabilities.transactionalDdl
          ? transactionalStatements(file, section, split(s))
          : split(s),
      transaction: s.transaction,
    });
    return { file, up: toStep(parsed.up, 'up'), down: parsed.down ? toStep(parsed.down, 'down') : null };
  }
  const def = await importDefinition(file.file);
  if ('ops' in def) return loadOperationsMigration(file, def, dialect);
  const transaction = def.transaction !== false;
  return {
    file,
    up: { kind: 'module', run: def.up.bind(def), transaction },
    down: def.down ? { kind: 'module', run: def.down.bind(def), transaction } : null,
  };
}

/**
 * The statements of a section that runs in dbdoctor's transaction: a whole-section
 * BEGIN … COMMIT wrapper is dropped; any other transaction control is refused before anything
 * runs, since it would commit part of the migration outside the history's transaction.
 */
function transactionalStatements(
  file: MigrationFile,
  section: 'up' | 'down',
  statements: string[],
): string[] {
  const { statements: inner, control } = unwrapTransaction(statements);
  if (control)
    throw transactionControlError(file, section, control, lineOf(file, section, statements, control));
  return inner;
}

/** 1-based line in the file of the keyword of `control` (statements are verbatim slices, in order). */
function lineOf(
  file: MigrationFile,
  section: 'up' | 'down',
  statements: readonly string[],
  control: TransactionControlAt,
): number {
  const text = file.text ?? '';
  const header = new RegExp(`^--\\s*migrate:${section}\\b`, 'm').exec(text);
  let at = header?.index ?? 0;
  for (const [i, s] of statements.entries()) {
    const found = text.indexOf(s, at);
    if (found === -1) return 0;
    if (i === control.index) return text.slice(0, found + control.offset).split('\n').length;
    at = found + s.length;
  }
  return 0;
}

/** A migration would end or start a transaction inside the one dbdoctor runs it in. */
export function transactionControlError(
  file: MigrationFile,
  section: 'up' | 'down',
  control: { text: string },
  line: number | null,
): DbDoctorError {
  const name = path.basename(file.file);
  const where = line ? `line ${line}` : `its ${section} step`;
  return new DbDoctorError(
    'TRANSACTION_CONTROL_IN_MIGRATION',
    `Migration ${name} (${section}) has \`${control.text}\` at ${where}: dbdoctor runs the migration in one transaction with its history row, and a transaction statement in the middle would commit part of it on its own.`,
    {
      unchanged: 'Nothing was run: the migration was refused before its first statement.',
      hint: `Remove the statement (a BEGIN … COMMIT around the whole section is fine and is dropped). If the migration must manage its own transactions, mark it \`-- migrate:${section} transaction:false\` (TS: \`transaction: false\`); it is then recorded as started before it runs and applied after.`,
      details: { file: name, section, statement: control.text, line },
    },
  );
}

/** Refuses a list that is not all operations of known kinds, naming the first bad entry. */
function checkOperations(name: string, field: 'ops' | 'down', ops: unknown): void {
  const hint =
    "Build each entry with the DSL functions (createTable, addColumn, ...) from 'dbdoctor'; TypeScript then checks every field.";
  if (!Array.isArray(ops)) {
    throw new DbDoctorError(
      'BAD_MIGRATION',
      `Migration ${name}: \`${field}\` must be a list of operations.`,
      {
        unchanged: 'Nothing was done.',
        hint,
      },
    );
  }
  for (const [i, op] of ops.entries()) {
    const problem = operationProblem(op);
    if (!problem) continue;
    throw new DbDoctorError(
      'BAD_MIGRATION',
      `Migration ${name}: \`${field}[${i}]\` is not a valid operation: ${problem}.`,
      { unchanged: 'Nothing was done.', hint, details: { file: name, index: i } },
    );
  }
}

/** Refuses operations whose per-dialect SQL has no text for `dialect`, before anything runs. */
function checkDialectSql(
  name: string,
  field: 'ops' | 'down',
  ops: readonly Operation[],
  dialect: Dialect,
): void {
  const missing = missingDialectSql(ops, dialect.name);
  if (missing === null) return;
  const { index, kind, where, given } = missing;
  throw new DbDoctorError(
    'BAD_MIGRATION',
    `Migration ${name}: \`${field}[${index}]\` (${kind}): ${where} gives SQL for ${given.join(', ')} but not for ${dialect.name}.`,
    {
      unchanged: 'Nothing was done: the migration was refused before its first statement.',
      hint: `Add a \`${dialect.name}\` entry beside the others in that sql({ … }) or sqlDefault({ … }), or give one text for every dialect.`,
      details: { file: name, index, dialect: dialect.name },
    },
  );
}

/** Refuses operations the dialect cannot run at all (its compiler's `refuse`), before anything runs. */
function checkRefused(
  name: string,
  field: 'ops' | 'down',
  ops: readonly Operation[],
  dialect: Dialect,
): void {
  const refused = dialect.compiler.refuse?.(ops);
  if (!refused) return;
  const { index, error } = refused;
  throw new DbDoctorError(error.code, `Migration ${name}: \`${field}[${index}]\` ${error.message}`, {
    unchanged: 'Nothing was done: the migration was refused before its first statement.',
    hint: error.hint,
    details: { file: name, index, dialect: dialect.name },
  });
}

/**
 * A DSL migration with no down that does not say it has none on purpose. It carries the
 * migration as loaded (without a down), so `lint` can judge its operations too and show every
 * finding at once, not this one first and the others once it is fixed.
 */
export class IrreversibleMigrationError extends DbDoctorError {
  constructor(
    readonly loaded: LoadedMigration,
    ...args: ConstructorParameters<typeof DbDoctorError>
  ) {
    super(...args);
  }
}

/** A DSL migration: up runs its operations; down is hand-written, derived, or refused. */
function loadOperationsMigration(
  file: MigrationFile,
  def: OperationsMigration,
  dialect: Dialect,
): LoadedMigration {
  const name = path.basename(file.file);
  checkOperations(name, 'ops', def.ops);
  // The `new --dsl` template as written: applied, it would record a revision that changed nothing.
  if (def.ops.length === 0)
    throw new DbDoctorError(
      'EMPTY_MIGRATION',
      `Migration ${name} has no operations (\`ops: []\`, as \`dbdoctor new --dsl\` writes it): applied, it would be recorded as a revision that changed nothing.`,
      {
        unchanged: 'Nothing was done: the migration was refused before its first statement.',
        hint: 'Write its operations, or delete the file if it is not needed.',
        details: { file: name },
      },
    );
  if (Array.isArray(def.down)) checkOperations(name, 'down', def.down);
  checkDialectSql(name, 'ops', def.ops, dialect);
  if (Array.isArray(def.down)) checkDialectSql(name, 'down', def.down, dialect);
  checkRefused(name, 'ops', def.ops, dialect);
  const up: MigrationStep = { kind: 'ops', ops: def.ops, transaction: def.transaction };
  if (typeof def.down === 'function') {
    const run = def.down.bind(def);
    return { file, up, down: { kind: 'module', run, transaction: def.transaction !== false } };
  }
  if (Array.isArray(def.down)) {
    checkRefused(name, 'down', def.down, dialect);
    return { file, up, down: { kind: 'ops', ops: def.down, transaction: def.transaction } };
  }
  const inverse = invertOperations(def.ops);
  if (inverse.reversible) {
    checkRefused(name, 'down', inverse.ops, dialect);
    return { file, up, down: { kind: 'ops', ops: inverse.ops, transaction: def.transaction } };
  }
  if (def.irreversible === true) return { file, up, down: null };
  throw new IrreversibleMigrationError(
    { file, up, down: null },
    'IRREVERSIBLE_MIGRATION',
    `Migration ${name} cannot be reversed automatically: ${inverse.reasons.join('; ')}.`,
    {
      unchanged: 'Nothing was done.',
      hint: 'Add a hand-written `down` (operations or a function), give the recorded definitions the message names, or set `irreversible: true` to say it has no down on purpose.',
      details: { file: name, reasons: inverse.reasons },
    },
  );
}

async function importDefinition(file: string): Promise<MigrationDefinition> {
  let mod: Record<string, unknown>;
  const tsImport = /\.m?ts$/.test(file) ? await loadTsImport(path.basename(file), 'Nothing was done.') : null;
  try {
    const url = pathToFileURL(file).href;
    if (tsImport) {
      mod = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    } else {
      mod = (await import(url)) as Record<string, unknown>;
    }
  } catch (e) {
    throw new DbDoctorError(
      'BAD_MIGRATION',
      `Cannot load migration ${path.basename(file)}: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was done.',
        hint: /Cannot find (package|module) ['"]dbdoctor['"]/.test(errorMessage(e))
          ? "The migration imports 'dbdoctor', which the project does not have: run `npm i -D dbdoctor` (a type-only import, `import type { FunctionMigration } from 'dbdoctor'`, needs nothing)."
          : 'Fix the syntax or import error in the file; it must default-export defineMigration({ up, down }).',
        cause: e,
      },
    );
  }
  let def = mod.default as Record<string, unknown> | undefined;
  // CommonJS interop can nest the default export once more.
  const usable = (d: Record<string, unknown> | undefined) =>
    typeof d?.up === 'function' || Array.isArray(d?.ops);
  if (def && !usable(def) && usable(def.default as Record<string, unknown>)) {
    def = def.default as Record<string, unknown>;
  }
  if (!def || !usable(def)) {
    throw new DbDoctorError(
      'BAD_MIGRATION',
      `Migration ${path.basename(file)} has no default export with an up function or an ops list.`,
      {
        unchanged: 'Nothing was done.',
        hint: 'Write `export default defineMigration({ async up(db) { … }, async down(db) { … } })` or `defineMigration({ ops: [ … ] })`.',
      },
    );
  }
  return def as unknown as MigrationDefinition;
}
