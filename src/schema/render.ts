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

/** The elements of a one-dimensional array literal (`{a,"b c"}`), or null when it is not one. */
function arrayElements(literal: string): string[] | null {
  if (!literal.startsWith('{') || !literal.endsWith('}')) return null;
  const body = literal.slice(1, -1);
  if (body === '') return [];
  const out: string[] = [];
  let i = 0;
  while (i <= body.length) {
    let value = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        value += body[i++] ?? '';
      }
      i++;
    } else {
      const end = body.indexOf(',', i);
      value = body.slice(i, end < 0 ? body.length : end);
      if (value === 'NULL' || value.includes('{')) return null;
      i = end < 0 ? body.length : end;
    }
    out.push(value);
    if (i >= body.length) break;
    if (body[i] !== ',') return null;
    i++;
  }
  return out;
}

/**
 * An expression as people write it, for messages: PostgreSQL stores `x IN ('a','b')` as
 * `x = ANY ('{a,b}'::text[])` (after constant folding); this shows `x in ('a', 'b')`, and
 * `<> ALL` as `not in`. Display only: comparison uses the stored canonical form.
 */
export function readableExpression(expression: string): string {
  return expression.replace(
    /(=|<>) (any|all) \('((?:[^']|'')*)'::[a-z ]+(?:\(\d+\))?\[\]\)/g,
    (whole, op: string, quantifier: string, literal: string) => {
      if ((op === '=') !== (quantifier === 'any')) return whole;
      const elements = arrayElements(literal.replaceAll("''", "'"));
      if (elements === null) return whole;
      const list = elements.map((e) => `'${e.replaceAll("'", "''")}'`).join(', ');
      return `${op === '=' ? 'in' : 'not in'} (${list})`;
    },
  );
}
