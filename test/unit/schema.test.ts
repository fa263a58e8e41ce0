import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modernValueFunctions } from '../../src/dialects/postgres/canonical.js';
import { POSTGRES_EXPRESSIONS } from '../../src/dialects/postgres/quote.js';
import { parseCreateIndex, parseCreateTable } from '../../src/dialects/sqlite/create-sql.js';
import { ExpectedSchemas } from '../../src/doctor/expected.js';
import { locateRevision } from '../../src/doctor/locate.js';
import { diff } from '../../src/schema/diff.js';
import { fingerprint, fingerprintOfHashes, objectHashes } from '../../src/schema/fingerprint.js';
import { adoptFrozenTimes, markFrozenTimes } from '../../src/schema/frozen.js';
import type { Column, Schema, Table } from '../../src/schema/model.js';
import { normalizeExpression, normalizeType } from '../../src/schema/normalize.js';
import { readableExpression, renderSchemaMermaid } from '../../src/schema/render.js';

function column(name: string, type = 'integer', extra: Partial<Column> = {}): Column {
  return {
    name,
    type,
    nullable: true,
    default: null,
    generated: null,
    collation: null,
    identity: null,
    ...extra,
  };
}

function table(name: string, extra: Partial<Table> = {}): Table {
  return {
    name,
    columns: [column('id')],
    primaryKey: ['id'],
    uniques: [],
    indexes: [],
    foreignKeys: [],
    checks: [],
    options: [],
    ...extra,
  };
}

function schema(...tables: Table[]): Schema {
  return {
    dialect: 'sqlite',
    tables: Object.fromEntries(tables.map((t) => [t.name, t])),
    enums: {},
    views: {},
    triggers: {},
  };
}

describe('normalizeType', () => {
  it('maps spellings of the same type to one name', () => {
    for (const t of ['INTEGER', 'int4', 'integer', 'INT', 'int(11)'])
      assert.equal(normalizeType(t), 'integer');
    for (const t of ['BIGINT', 'int8', 'bigserial']) assert.equal(normalizeType(t), 'bigint');
    assert.equal(normalizeType('character varying(40)'), 'varchar(40)');
    assert.equal(normalizeType('VARCHAR( 40 )'), 'varchar(40)');
    assert.equal(normalizeType('DECIMAL(10, 2)'), 'numeric(10,2)');
    assert.equal(normalizeType('timestamp with time zone'), 'timestamptz');
    assert.equal(normalizeType('timestamp(3) with time zone'), 'timestamptz(3)');
    assert.equal(normalizeType('DATETIME'), 'timestamp');
    assert.equal(normalizeType('double precision'), 'double');
    assert.equal(normalizeType('bytea'), 'blob');
    assert.equal(normalizeType('integer[]'), 'integer[]');
    assert.equal(normalizeType(''), 'any');
  });

  it('keeps types that differ apart', () => {
    assert.notEqual(normalizeType('integer'), normalizeType('bigint'));
    assert.notEqual(normalizeType('varchar(40)'), normalizeType('varchar(80)'));
    assert.notEqual(normalizeType('timestamp'), normalizeType('timestamptz'));
    assert.equal(normalizeType('My Custom  Type'), 'my custom type');
  });
});

describe('normalizeExpression', () => {
  it('compares tokens: spacing, case and parentheses around the whole expression or one operand do not count', () => {
    assert.equal(normalizeExpression('((Amount  >   0))'), 'amount > 0');
    assert.equal(normalizeExpression('price>=0'), normalizeExpression('price >= 0'));
    assert.equal(normalizeExpression("status IN ( 'Active' , 'Done' )"), "status in ('Active', 'Done')");
    assert.equal(normalizeExpression('(a) + (b)'), 'a + b');
    assert.equal(normalizeExpression('-1'), '-1');
    assert.notEqual(normalizeExpression('price >= 0'), normalizeExpression('price > 0'));
  });

  it('keeps strings exactly; SQLite identifiers lose quotes and case, PostgreSQL quoted names keep theirs', () => {
    assert.equal(normalizeExpression(`"MixedCase" = 'It''s'`), `mixedcase = 'It''s'`);
    assert.equal(normalizeExpression('[Col] + `Other`'), 'col + other');
    assert.equal(normalizeExpression(`"MixedCase" = 'It''s'`, POSTGRES_EXPRESSIONS), `"MixedCase" = 'It''s'`);
    assert.equal(normalizeExpression('"status" = 1', POSTGRES_EXPRESSIONS), 'status = 1');
  });

  it('reads PostgreSQL brackets as arrays, not as quoted names', () => {
    assert.equal(
      normalizeExpression("status = ANY (ARRAY['new'::text, 'done'::text])", POSTGRES_EXPRESSIONS),
      "status = any (array['new', 'done'])",
    );
    assert.equal(
      normalizeExpression("((status)::text = ANY ('{a,b}'::text[]))", POSTGRES_EXPRESSIONS),
      "status::text = any ('{a,b}'::text[])",
    );
  });
});

describe('readableExpression', () => {
  it('shows a folded IN list as an IN list', () => {
    assert.equal(
      readableExpression("status::text = any ('{new,done}'::text[])"),
      "status::text in ('new', 'done')",
    );
    assert.equal(readableExpression(`s <> all ('{a,"b c"}'::text[])`), "s not in ('a', 'b c')");
  });
});

describe('modernValueFunctions', () => {
  it('spells what servers before 10 stored for CURRENT_TIMESTAMP, CURRENT_DATE, … as PostgreSQL 10+ does', () => {
    assert.equal(modernValueFunctions('now()'), 'CURRENT_TIMESTAMP');
    assert.equal(modernValueFunctions("('now'::text)::date"), 'CURRENT_DATE');
    assert.equal(
      modernValueFunctions("('now'::cstring)::timestamp(3) with time zone"),
      'CURRENT_TIMESTAMP(3)',
    );
    assert.equal(modernValueFunctions('"current_user"()'), 'CURRENT_USER');
    assert.equal(modernValueFunctions("my_now() + x.now() + 'now()'"), "my_now() + x.now() + 'now()'");
  });
});

describe('frozen times', () => {
  it("marks only date/time constants near the replay as 'now', and adopts a live expression that differs only there", () => {
    const at = Date.parse('2025-03-04T05:06:07Z');
    const replayed = schema(
      table('t', {
        columns: [
          { ...column('a', 'timestamp'), default: "'2025-03-04 05:06:07.123'::timestamp without time zone" },
          { ...column('b', 'date'), default: "'2019-01-01'::date" },
        ],
      }),
    );
    const marked = markFrozenTimes(replayed, { from: at, to: at });
    assert.equal(marked.tables.t.columns[0].default, "'now'::timestamp without time zone");
    assert.equal(marked.tables.t.columns[1].default, "'2019-01-01'::date");
    const live = schema(
      table('t', {
        columns: [
          { ...column('a', 'timestamp'), default: "'2001-01-01 00:00:00'::timestamp without time zone" },
          { ...column('b', 'date'), default: "'2019-02-01'::date" },
        ],
      }),
    );
    const adopted = adoptFrozenTimes(live, new Set(["'now'::timestamp without time zone"]));
    assert.equal(adopted.tables.t.columns[0].default, "'now'::timestamp without time zone");
    assert.equal(adopted.tables.t.columns[1].default, "'2019-02-01'::date");
  });
});

describe('fingerprint', () => {
  it('does not depend on column, table, index or constraint order', () => {
    const a = schema(
      table('a', {
        columns: [column('id'), column('x', 'text')],
        indexes: [
          {
            name: 'i1',
            unique: false,
            keys: [{ column: 'x', expression: null, descending: false, collation: null }],
            where: null,
            method: null,
          },
          {
            name: 'i2',
            unique: true,
            keys: [{ column: 'id', expression: null, descending: false, collation: null }],
            where: null,
            method: null,
          },
        ],
        checks: [
          { name: null, expression: 'x <> 1' },
          { name: 'c', expression: 'id > 0' },
        ],
      }),
      table('b'),
    );
    const b = schema(
      table('b'),
      table('a', {
        columns: [column('x', 'text'), column('id')],
        indexes: [...a.tables.a!.indexes].reverse(),
        checks: [
          { name: 'other name', expression: 'id > 0' },
          { name: null, expression: 'x <> 1' },
        ],
      }),
    );
    assert.equal(fingerprint(a), fingerprint(b));
    assert.ok(diff(a, b).equal);
  });

  it('changes with any real difference', () => {
    const base = schema(table('a'));
    const variants = [
      schema(table('a', { columns: [column('id', 'text')] })),
      schema(table('a', { columns: [column('id', 'integer', { nullable: false })] })),
      schema(table('a', { columns: [column('id', 'integer', { default: '0' })] })),
      schema(table('a', { primaryKey: null })),
      schema(table('a', { options: ['strict'] })),
      schema(table('a', { columns: [column('id', 'integer', { extras: ['invisible'] })] })),
      schema(table('a'), table('b')),
    ];
    const seen = new Set([fingerprint(base)]);
    for (const v of variants) {
      assert.ok(!seen.has(fingerprint(v)), JSON.stringify(v));
      seen.add(fingerprint(v));
      assert.equal(diff(base, v).equal, false);
    }
  });
});

describe('column extras', () => {
  it('are compared as a set, absent and empty alike, and worded', () => {
    const plain = schema(table('a'));
    const empty = schema(table('a', { columns: [column('id', 'integer', { extras: [] })] }));
    const both = (list: string[]) =>
      schema(table('a', { columns: [column('id', 'integer', { extras: list })] }));
    assert.equal(fingerprint(plain), fingerprint(empty));
    assert.equal(diff(plain, empty).equal, true);
    const a = both(['invisible', 'without system versioning']);
    const b = both(['without system versioning', 'invisible']);
    assert.equal(fingerprint(a), fingerprint(b));
    const d = diff(plain, both(['invisible']), { a: 'A', b: 'B' });
    assert.deepEqual(
      d.changes.map((c) => [c.kind, c.message]),
      [['column_extras', 'Column a.id is plain in A but [invisible] in B.']],
    );
  });
});

describe('diff', () => {
  it('explains each difference in words, per table, and as structured changes', () => {
    const a = schema(
      table('users', {
        columns: [column('id'), column('email', 'text', { nullable: false })],
        indexes: [
          {
            name: 'users_email',
            unique: true,
            keys: [{ column: 'email', expression: null, descending: false, collation: null }],
            where: null,
            method: null,
          },
        ],
      }),
      table('posts', {
        columns: [column('id'), column('user_id')],
        foreignKeys: [
          {
            name: null,
            columns: ['user_id'],
            referencedTable: 'users',
            referencedColumns: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'NO ACTION',
          },
        ],
      }),
    );
    const b = schema(
      table('users', { columns: [column('id'), column('email', 'varchar(80)'), column('nick', 'text')] }),
      table('posts', {
        columns: [column('id'), column('user_id')],
        foreignKeys: [
          {
            name: 'fk',
            columns: ['user_id'],
            referencedTable: 'users',
            referencedColumns: ['id'],
            onDelete: 'SET NULL',
            onUpdate: 'NO ACTION',
          },
        ],
      }),
      table('extra'),
    );
    const d = diff(a, b, { a: 'the migrations', b: 'the database' });
    assert.deepEqual(
      d.changes.map((c) => `${c.kind}:${c.table}:${c.name}`),
      [
        'table_extra:extra:extra',
        'foreign_key_action:posts:(user_id) -> users(id)',
        'column_type:users:email',
        'column_nullability:users:email',
        'column_extra:users:nick',
        'index_missing:users:users_email',
      ],
    );
    assert.deepEqual(Object.keys(d.byTable), ['extra', 'posts', 'users']);
    assert.equal(
      d.byTable.users![0],
      'Column users.email has type text in the migrations but varchar(80) in the database.',
    );
    assert.match(
      d.byTable.posts![0]!,
      /ON DELETE CASCADE in the migrations but ON DELETE SET NULL in the database/,
    );
  });
});

describe('SQLite CREATE statement reading', () => {
  it('finds CHECKs, collations, AUTOINCREMENT and generated columns', () => {
    const x = parseCreateTable(`CREATE TABLE "t" (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT COLLATE NOCASE CHECK (length(name) > 0),
      [total] REAL AS (price * qty) STORED, -- a comment, with a comma
      CONSTRAINT positive CHECK (id > 0 AND ')' <> '('),
      FOREIGN KEY (id) REFERENCES other (id)
    ) STRICT`);
    assert.deepEqual(x.checks, [
      { name: null, expression: 'length(name) > 0' },
      { name: 'positive', expression: "id > 0 AND ')' <> '('" },
    ]);
    assert.equal(x.collations.get('name'), 'NOCASE');
    assert.deepEqual([...x.autoincrement], ['id']);
    assert.equal(x.generated.get('total'), 'price * qty');
  });

  it('finds index key expressions and partial-index predicates', () => {
    const x = parseCreateIndex(
      'CREATE UNIQUE INDEX i ON t (lower(email) COLLATE NOCASE DESC, id) WHERE deleted_at IS NULL',
    );
    assert.deepEqual(x.keys, ['lower(email)', 'id']);
    assert.equal(x.where, 'deleted_at IS NULL');
  });
});

/** Expected schemas built from models, as a replay would store them. */
function expectedOf(schemas: Schema[]): ExpectedSchemas {
  const objects: Record<string, Table> = {};
  const revisions = schemas.map((s, i, all) => {
    const hashes = objectHashes(s);
    const previous = i === 0 ? {} : objectHashes(all[i - 1]!);
    const changed: Record<string, string | null> = {};
    for (const [k, h] of Object.entries(hashes)) {
      if (previous[k] !== h) {
        changed[k] = h;
        objects[h] = s.tables[k.slice('table:'.length)]!;
      }
    }
    for (const k of Object.keys(previous)) if (!(k in hashes)) changed[k] = null;
    return { id: `00${i + 1}`, fingerprint: fingerprint(s), changed };
  });
  return new ExpectedSchemas('sqlite', revisions, objects, true);
}

function locate(expected: ExpectedSchemas, live: Schema, preferred: number) {
  const h = objectHashes(live);
  return locateRevision(expected, fingerprintOfHashes('sqlite', h), live, h, preferred);
}

describe('revision locator', () => {
  const s1 = schema(table('a'));
  const s2 = schema(table('a'), table('b'));
  const s3 = schema(table('a'), table('b'), table('c'));
  const expected = expectedOf([s1, s2, s3]);

  it('finds the latest revision with an equal fingerprint', () => {
    assert.deepEqual(locate(expected, s2, 0), { matches: 1, candidates: [1], nearest: 1, distance: 0 });
  });

  it('names the nearest revision when nothing matches, preferring the recorded one on ties', () => {
    const drifted = schema(table('a'), table('b', { columns: [column('id'), column('extra')] }));
    const loc = locate(expected, drifted, 1);
    assert.equal(loc.matches, -1);
    assert.equal(loc.nearest, 1);
    assert.equal(loc.distance, 1);
  });

  it('counts differing properties: a table with one changed column is nearer than no table at all (never base)', () => {
    const accounts = table('accounts', {
      columns: [column('id'), column('email', 'text'), column('age'), column('created_at', 'timestamp')],
      primaryKey: ['id'],
    });
    const only = expectedOf([schema(accounts)]);
    const live = schema({
      ...accounts,
      columns: [
        column('id'),
        column('email', 'text'),
        column('age', 'text'),
        column('created_at', 'timestamp'),
      ],
    });
    const loc = locate(only, live, -1);
    assert.equal(loc.nearest, 0);
    assert.equal(loc.distance, 1);
  });

  it('a tie goes to the latest revision, not to base', () => {
    // Revisions 001 and 002 have the same schema (002 is data only); the live schema differs from both by one column.
    const base = schema(table('a'));
    const tied = expectedOf([base, base]);
    const live = schema(table('a', { columns: [column('id'), column('more')] }));
    const loc = locate(tied, live, -1);
    assert.equal(loc.nearest, 1);
    assert.deepEqual(locate(tied, base, -1).candidates, [0, 1]);
  });
});

describe('mermaid', () => {
  it('draws entities with PK/FK/UK marks and a relationship per foreign key', () => {
    const s = schema(
      table('users', {
        columns: [column('id'), column('email', 'varchar(80)')],
        uniques: [{ name: null, columns: ['email'] }],
      }),
      table('posts', {
        columns: [column('id'), column('user id', 'integer', { nullable: false })],
        foreignKeys: [
          {
            name: null,
            columns: ['user id'],
            referencedTable: 'users',
            referencedColumns: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'NO ACTION',
          },
        ],
      }),
    );
    const text = renderSchemaMermaid(s);
    assert.match(text, /^erDiagram\n/);
    assert.match(text, / {4}varchar\(80\) email UK/);
    assert.match(text, / {4}integer user_id FK/);
    assert.match(text, /users \|\|--o\{ posts : "user id"/);
  });
});
