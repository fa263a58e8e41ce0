import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { doctor } from '../../src/doctor/doctor.js';
import { generateMigration } from '../../src/generate/generate.js';
import { migrate } from '../../src/migrations/apply.js';
import { pull } from '../../src/schema-file/pull.js';
import { createTestDatabase, type TestDatabase, writeMigrations } from '../helpers/databases.js';
import { corpusProjects, exampleProjects, fixtureProjects, linkPackage } from '../helpers/projects.js';

const corpus = corpusProjects();
if (corpus.skipped) console.log(`# corpus generate round trips skipped: ${corpus.skipped}`);
const projects = [...exampleProjects(), ...corpus.projects, ...fixtureProjects()];

describe('generate round trip: pull -> schema file -> generate from nothing -> apply -> doctor matches', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.drop();
  });
  for (const project of projects) {
    it(`${project.name} on ${project.dialect}`, async () => {
      const source = await createTestDatabase(project.dialect);
      const target = await createTestDatabase(project.dialect);
      databases.push(source, target);
      await migrate({
        database: source.url,
        dir: writeMigrations(source.dir, project.files),
        backup: { enabled: false },
      });
      const schemaFile = path.join(target.dir, 'schema.sql');
      await pull({ database: source.url, file: schemaFile, schema: project.schema });

      linkPackage(target.dir);
      const dir = path.join(target.dir, 'migrations');
      const options = {
        database: target.url,
        dir,
        schemaFile,
        schema: project.schema,
        cacheDir: false as const,
      };
      const first = await generateMigration({ ...options, name: 'from_nothing' });
      assert.equal(first.empty, false);
      assert.ok(first.file && fs.existsSync(first.file));
      assert.deepEqual(first.irreversible, []);
      // From nothing, the down drops everything: verified on the schema file's own database.
      assert.equal(first.verifiedOn, 'schema-file');

      await migrate({ database: target.url, dir, backup: { enabled: false } });
      const result = await doctor({ database: target.url, dir, schema: project.schema, cacheDir: false });
      assert.deepEqual(result.drift, [], JSON.stringify(result.drift.slice(0, 5), null, 2));
      assert.equal(result.matches, first.id);
      assert.equal(result.fingerprint, first.fingerprint.desired);

      const second = await generateMigration({ ...options, name: 'again' });
      assert.equal(second.empty, true, second.code ?? '');
      assert.equal(fs.readdirSync(dir).length, 1);
    });
  }
});
