import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openConnection } from '../../src/dialects/open.js';
import { loadSchemaScript, renderSchemaSql, schemaSqlOf } from '../../src/dump/index.js';
import { migrate } from '../../src/migrations/apply.js';
import { diff } from '../../src/schema/diff.js';
import { fingerprint } from '../../src/schema/fingerprint.js';
import { createTestDatabase, type TestDatabase, writeMigrations } from '../helpers/databases.js';
import { corpusProjects, exampleProjects, fixtureProjects } from '../helpers/projects.js';

const corpus = corpusProjects();
if (corpus.skipped) console.log(`# corpus schema.sql round trips skipped: ${corpus.skipped}`);
const projects = [...exampleProjects(), ...corpus.projects, ...fixtureProjects()];

describe('schema.sql: the live schema written as SQL loads back into the same schema', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.drop();
  });
  for (const project of projects) {
    it(`${project.name} on ${project.dialect}`, async () => {
      const db = await createTestDatabase(project.dialect);
      databases.push(db);
      const dir = writeMigrations(db.dir, project.files);
      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const conn = await openConnection(db.url);
      try {
        const exclude = ['dbdoctor_migrations', 'dbdoctor_migrations_lock'];
        const live = await conn.dialect.introspect(conn, { schema: project.schema, exclude });
        const sources = await schemaSqlOf(conn.dialect).readSources(conn, project.schema);
        const text = renderSchemaSql(live, sources);
        assert.equal(renderSchemaSql(live, sources), text, 'the same schema gives the same bytes');
        const loaded = await loadSchemaScript(conn, text, { file: 'schema.sql', schema: project.schema });
        const d = diff(live, loaded.schema, { a: 'the database', b: 'schema.sql' });
        assert.deepEqual(
          d.changes.map((c) => c.message),
          [],
          text.slice(0, 3000),
        );
        assert.equal(fingerprint(loaded.schema), fingerprint(live));
        assert.equal(renderSchemaSql(loaded.schema, loaded.sources), text, 'schema.sql is a fixed point');
      } finally {
        await conn.close();
      }
    });
  }
});
