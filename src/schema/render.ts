import type { Schema, Table } from './model.js';

function columnFlags(table: Table, column: string): string[] {
  const flags: string[] = [];
  if (table.primaryKey?.includes(column)) flags.push('PK');
  if (table.foreignKeys.some((f) => f.columns.includes(column))) flags.push('FK');
  if (table.uniques.some((u) => u.columns.length === 1 && u.columns[0] === column)) flags.push('UK');
  return flags;
}

/** The schema as indented text for people: tables, columns, keys, indexes, then types and views. */
export function renderSchemaText(schema: Schema): string {
  const lines: string[] = [];
  for (const t of Object.values(schema.tables)) {
    lines.push(`${t.name}${t.options.length ? ` (${t.options.join(', ')})` : ''}`);
    for (const c of t.columns) {
      const parts = [`  ${c.name}`, c.type, c.nullable ? 'NULL' : 'NOT NULL'];
      if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
      if (c.generated) parts.push(`GENERATED ${c.generated}`);
      if (c.identity) parts.push(c.identity.toUpperCase());
      if (c.collation) parts.push(`COLLATE ${c.collation}`);
      const flags = columnFlags(t, c.name);
      lines.push(parts.join(' ') + (flags.length ? `  [${flags.join(', ')}]` : ''));
    }
    if (t.primaryKey) lines.push(`  PRIMARY KEY (${t.primaryKey.join(', ')})`);
    for (const u of t.uniques) lines.push(`  UNIQUE (${u.columns.join(', ')})`);
    for (const f of t.foreignKeys)
      lines.push(
        `  FOREIGN KEY (${f.columns.join(', ')}) -> ${f.referencedTable} (${f.referencedColumns.join(', ')}) ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`,
      );
    for (const c of t.checks) lines.push(`  CHECK (${c.expression})`);
    for (const i of t.indexes) {
      const keys = i.keys.map((k) => `${k.column ?? k.expression}${k.descending ? ' DESC' : ''}`).join(', ');
      lines.push(
        `  ${i.unique ? 'UNIQUE ' : ''}INDEX ${i.name}${i.method ? ` USING ${i.method}` : ''} (${keys})${i.where ? ` WHERE ${i.where}` : ''}`,
      );
    }
    lines.push('');
  }
  for (const e of Object.values(schema.enums)) lines.push(`enum ${e.name}: ${e.values.join(', ')}`);
  for (const v of Object.values(schema.views)) lines.push(`view ${v.name}: ${v.definition}`);
  for (const g of Object.values(schema.triggers)) lines.push(`trigger ${g.name} on ${g.table}`);
  return lines.join('\n').trimEnd();
}

/** Mermaid accepts only word characters in entity and attribute names. */
function mermaidName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function mermaidType(type: string): string {
  return type.replace(/[^A-Za-z0-9_()[\]-]/g, '_').replace(/^enum:/, 'enum_');
}

/**
 * The schema as a Mermaid ER diagram: one entity per table with typed columns marked
 * PK/FK/UK, one relationship per foreign key (nullable FK columns drawn as optional).
 */
export function renderSchemaMermaid(schema: Schema): string {
  const lines = ['erDiagram'];
  for (const t of Object.values(schema.tables)) {
    lines.push(`  ${mermaidName(t.name)} {`);
    for (const c of t.columns) {
      const flags = columnFlags(t, c.name);
      lines.push(
        `    ${mermaidType(c.type)} ${mermaidName(c.name)}${flags.length ? ` ${flags.join(', ')}` : ''}`,
      );
    }
    lines.push('  }');
  }
  for (const t of Object.values(schema.tables)) {
    for (const f of t.foreignKeys) {
      const optional = f.columns.some((name) => t.columns.find((c) => c.name === name)?.nullable);
      const uniqueChild =
        t.uniques.some((u) => u.columns.join() === f.columns.join()) ||
        t.primaryKey?.join() === f.columns.join();
      const parentSide = optional ? '|o' : '||';
      const childSide = uniqueChild ? 'o|' : 'o{';
      lines.push(
        `  ${mermaidName(f.referencedTable)} ${parentSide}--${childSide} ${mermaidName(t.name)} : "${f.columns.join(', ')}"`,
      );
    }
  }
  return lines.join('\n');
}
