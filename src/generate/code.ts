/**
 * Operations written as TypeScript: each one the builder call a person would write, so a
 * generated migration reads (and is reviewed) like a hand-written one.
 */
import type { Operation, SqlText } from '../ops/types.js';

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A string as a single-quoted TS literal. */
function str(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n').replaceAll('\r', '\\r')}'`;
}

/** SQL as a template literal (kept on its lines). */
function template(value: string): string {
  return `\`${value.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${')}\``;
}

function isEnumRef(t: unknown): t is { enum: string; values: readonly string[] } {
  return typeof t === 'object' && t !== null && 'enum' in t;
}

/** A value as TS source: builder calls for enum types and special defaults, literals otherwise. */
export function literal(value: unknown, indent = ''): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const inline = `[${value.map((v) => literal(v, indent)).join(', ')}]`;
    if (inline.length <= 90 && !inline.includes('\n')) return inline;
    const inner = `${indent}  `;
    return `[\n${value.map((v) => `${inner}${literal(v, inner)},`).join('\n')}\n${indent}]`;
  }
  if (isEnumRef(value)) return `enumType(${str(value.enum)}, ${literal(value.values, indent)})`;
  const object = value as Record<string, unknown>;
  if (Object.keys(object).length === 1 && object.now === true) return 'now()';
  if (Object.keys(object).length === 1 && 'sql' in object)
    return `sqlDefault(${literal(object.sql, indent)})`;
  const entries = Object.entries(object).filter(([, v]) => v !== undefined);
  const key = (k: string) => (IDENT.test(k) ? k : str(k));
  const inline = `{ ${entries.map(([k, v]) => `${key(k)}: ${literal(v, indent)}`).join(', ')} }`;
  if (entries.length === 0) return '{}';
  if (inline.length <= 90 && !inline.includes('\n')) return inline;
  const inner = `${indent}  `;
  return `{\n${entries.map(([k, v]) => `${inner}${key(k)}: ${literal(v, inner)},`).join('\n')}\n${indent}}`;
}

function call(name: string, args: unknown[], indent: string, used: Set<string>): string {
  used.add(name);
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  const parts = args.map((a) => literal(a, indent));
  const inline = `${name}(${parts.join(', ')})`;
  return inline;
}

/** One operation as a builder call. */
export function operationCode(op: Operation, indent: string, used: Set<string>): string {
  switch (op.kind) {
    case 'createTable':
      return call('createTable', [op.table, op.spec], indent, used);
    case 'dropTable':
      return call('dropTable', [op.table, op.definition], indent, used);
    case 'renameTable':
      return call('renameTable', [op.table, op.to], indent, used);
    case 'addColumn':
      return call('addColumn', [op.table, op.column, op.spec], indent, used);
    case 'dropColumn':
      return call('dropColumn', [op.table, op.column], indent, used);
    case 'alterColumn':
      return call('alterColumn', [op.table, op.column, op.change, op.from], indent, used);
    case 'renameColumn':
      return call('renameColumn', [op.table, op.column, op.to], indent, used);
    case 'createIndex':
      return call('createIndex', [op.table, op.columns, { ...op.spec, name: op.name }], indent, used);
    case 'dropIndex':
      return call('dropIndex', [op.name, op.definition], indent, used);
    case 'addForeignKey': {
      const { columns, references, ...options } = op.spec;
      return call('addForeignKey', [op.table, columns, references, options], indent, used);
    }
    case 'dropForeignKey':
      return call('dropForeignKey', [op.table, op.name, op.definition], indent, used);
    case 'addCheck':
      return call('addCheck', [op.table, op.spec.name, op.spec.expression], indent, used);
    case 'dropCheck':
      return call('dropCheck', [op.table, op.name, op.expression], indent, used);
    case 'createEnum':
      return call('createEnum', [op.name, op.values], indent, used);
    case 'dropEnum':
      return call('dropEnum', [op.name, op.values], indent, used);
    case 'addEnumValue':
      return call('addEnumValue', [op.name, op.value], indent, used);
    case 'sql': {
      used.add('sql');
      const text = (v: SqlText) => (typeof v === 'string' ? template(v) : literal(v, indent));
      return `sql(${text(op.up)}${op.down === undefined ? '' : `, ${text(op.down)}`})`;
    }
  }
}

/** Builders a type or default needs besides the operation's own. */
function helpersOf(value: unknown, used: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  if (isEnumRef(value)) used.add('enumType');
  const object = value as Record<string, unknown>;
  if (Object.keys(object).length === 1 && object.now === true) used.add('now');
  if (Object.keys(object).length === 1 && 'sql' in object && !('up' in object)) used.add('sqlDefault');
  for (const v of Object.values(object)) helpersOf(v, used);
}

/** A whole DSL migration file. */
export function migrationCode(options: {
  header: string[];
  up: readonly Operation[];
  /** Written when the derived down would not be this exactly; null: none. */
  down: readonly Operation[] | null;
}): string {
  const used = new Set<string>(['defineMigration']);
  const list = (ops: readonly Operation[]) =>
    ops.map((op) => `    ${operationCode(op, '    ', used)},`).join('\n');
  for (const op of [...options.up, ...(options.down ?? [])]) if (op.kind !== 'sql') helpersOf(op, used);
  const body = [`  ops: [\n${list(options.up)}\n  ],`];
  body.push(options.down ? `  down: [\n${list(options.down)}\n  ],` : '  irreversible: true,');
  const imports = [...used].sort();
  return `${options.header.map((l) => `// ${l}`).join('\n')}
import { ${imports.join(', ')} } from 'dbdoctor';

export default defineMigration({
${body.join('\n')}
});
`;
}
