import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { doctor } from '../../src/doctor/doctor.js';
import { migrate } from '../../src/migrations/apply.js';
import { introspect } from '../../src/migrations/introspect.js';
import { fingerprint } from '../../src/schema/fingerprint.js';
import { createTestDatabase, DIALECTS, type TestDatabase, writeMigrations } from '../helpers/databases.js';
import { corpusProjects, exampleProjects } from '../helpers/projects.js';

const corpus = corpusProjects();
if (corpus.skipped) console.log(`# corpus round trips skipped: ${corpus.skipped}`);
/** Every dialect under test: round trips need no schema SQL. */
const projects = [...exampleProjects(DIALECTS), ...corpus.projects];

describe('round trip: migrate, introspect, fingerprint, doctor', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.drop();
  });

  for (const project of projects) {
    it(`${project.name} on ${project.dialect}: two introspections agree and a fresh database shows no drift`, async () => {
      const db = await createTestDatabase(project.dialect);
      databases.push(db);
      const dir = writeMigrations(db.dir, project.files);
      const ids = Object.keys(project.files)
        .map((f) => f.slice(0, f.indexOf('_')))
        .sort();
      await migrate({ database: db.url, dir, backup: { enabled: false } });

      const first = await introspect({ database: db.url, schema: project.schema });
      const second = await introspect({ database: db.url, schema: project.schema });
      assert.equal(fingerprint(first), fingerprint(second));
      assert.deepEqual(first, second);
      if (project.tables >= 0) assert.equal(Object.keys(first.tables).length, project.tables);
      else assert.ok(Object.keys(first.tables).length > 0);
      project.check?.(first);

      const result = await doctor({ database: db.url, dir, schema: project.schema, cacheDir: false });
      assert.deepEqual(result.drift, [], JSON.stringify(result.drift.slice(0, 5), null, 2));
      assert.equal(result.matches, ids.at(-1));
      assert.equal(result.fingerprint, fingerprint(first));
      assert.deepEqual(
        result.findings.filter((f) => f.severity === 'error'),
        [],
      );
    });
  }
});
