/**
 * Deriving `down`: each reversible operation has an inverse; the inverse of a list is the
 * inverses in reverse order. Operations that lose information without a recorded definition
 * (dropColumn, dropTable, raw sql, ...) make the list irreversible, and the reasons say which.
 */
import type { Operation } from './types.js';

/** The inverse operations, or why there are none. */
export type Inversion = { reversible: true; ops: Operation[] } | { reversible: false; reasons: string[] };

function inverseOf(op: Operation): Operation | string {
  switch (op.kind) {
    case 'createTable':
      return { kind: 'dropTable', table: op.table, definition: op.spec };
    case 'dropTable':
      return op.definition
        ? { kind: 'createTable', table: op.table, spec: op.definition }
        : `dropTable("${op.table}") has no recorded definition (pass it as the second argument)`;
    case 'renameTable':
      return { kind: 'renameTable', table: op.to, to: op.table };
    case 'addColumn':
      return { kind: 'dropColumn', table: op.table, column: op.column, definition: op.spec };
    case 'dropColumn':
      return op.definition
        ? { kind: 'addColumn', table: op.table, column: op.column, spec: op.definition }
        : `dropColumn("${op.table}", "${op.column}") loses the column's data`;
    case 'alterColumn': {
      const from = op.from;
      const missing = (['type', 'nullable', 'default'] as const).filter(
        (k) => op.change[k] !== undefined && from?.[k] === undefined,
      );
      if (!from || missing.length > 0)
        return `alterColumn("${op.table}", "${op.column}") does not say the previous ${missing.join(', ') || 'values'} (give them as its fourth argument, \`from\`: alterColumn("${op.table}", "${op.column}", { … }, { ${missing[0] ?? 'type'}: <previous> }))`;
      return { kind: 'alterColumn', table: op.table, column: op.column, change: from, from: op.change };
    }
    case 'renameColumn':
      return { kind: 'renameColumn', table: op.table, column: op.to, to: op.column };
    case 'createIndex':
      return {
        kind: 'dropIndex',
        name: op.name,
        definition: { table: op.table, columns: op.columns, spec: op.spec },
      };
    case 'dropIndex':
      return op.definition
        ? {
            kind: 'createIndex',
            table: op.definition.table,
            columns: op.definition.columns,
            name: op.name,
            spec: op.definition.spec,
          }
        : `dropIndex("${op.name}") has no recorded definition`;
    case 'addForeignKey':
      return { kind: 'dropForeignKey', table: op.table, name: op.spec.name, definition: op.spec };
    case 'dropForeignKey':
      return op.definition
        ? { kind: 'addForeignKey', table: op.table, spec: { ...op.definition, name: op.name } }
        : `dropForeignKey("${op.table}", "${op.name}") has no recorded definition`;
    case 'addCheck':
      return { kind: 'dropCheck', table: op.table, name: op.spec.name, expression: op.spec.expression };
    case 'dropCheck':
      return op.expression !== undefined
        ? { kind: 'addCheck', table: op.table, spec: { name: op.name, expression: op.expression } }
        : `dropCheck("${op.table}", "${op.name}") has no recorded expression`;
    case 'createEnum':
      return { kind: 'dropEnum', name: op.name, values: op.values };
    case 'dropEnum':
      return op.values
        ? { kind: 'createEnum', name: op.name, values: op.values }
        : `dropEnum("${op.name}") has no recorded values`;
    case 'addEnumValue':
      return `addEnumValue("${op.name}", "${op.value}"): PostgreSQL cannot remove an enum value`;
    case 'sql':
      return op.down !== undefined ? { kind: 'sql', up: op.down, down: op.up } : 'raw sql without a down';
  }
}

/** The operations that undo `ops`, or the reasons they cannot be derived. */
export function invertOperations(ops: readonly Operation[]): Inversion {
  const inverses: Operation[] = [];
  const reasons: string[] = [];
  for (const op of ops) {
    const inv = inverseOf(op);
    if (typeof inv === 'string') reasons.push(inv);
    else inverses.push(inv);
  }
  return reasons.length > 0 ? { reversible: false, reasons } : { reversible: true, ops: inverses.reverse() };
}
