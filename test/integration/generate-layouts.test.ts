/**
 * generate writes a dbdoctor TypeScript migration, which another tool's layout cannot read: in
 * a Prisma or Drizzle folder it refuses before writing, so the folder stays usable.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli } from '../helpers/databases.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/formats');

function listing(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('generate in another tool’s migrations folder', () => {
  for (const [tool, sub] of [
    ['prisma', 'prisma/migrations'],
    ['drizzle', 'drizzle'],
  ] as const) {
    it(`${tool}: GENERATE_FORMAT_UNSUPPORTED, exit 1, nothing written, status still works`, async () => {
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), `dbdoctor-gen-${tool}-`));
      try {
        fs.cpSync(path.join(FIXTURES, tool), cwd, { recursive: true });
        const dir = path.join(cwd, sub);
        fs.writeFileSync(
          path.join(path.dirname(dir), 'schema.sql'),
          'CREATE TABLE extra (id INTEGER PRIMARY KEY NOT NULL);\n',
        );
        const before = listing(dir);
        const url = `sqlite:${path.join(cwd, 'dev.db')}`;
        const r = await cli(['generate', 'add_extra', '--dir', dir, '--url', url, '--no-prompt', '--json'], {
          cwd,
        });
        assert.equal(r.code, 1, r.stderr);
        const e = r.json<{ error: { code: string; unchanged: string; hint: string; format: string } }>()
          .error;
        assert.equal(e.code, 'GENERATE_FORMAT_UNSUPPORTED');
        assert.equal(e.format, tool);
        assert.match(e.unchanged, /No migration was written/);
        assert.match(e.hint, /dbdoctor diff/);
        assert.deepEqual(listing(dir), before, 'nothing written in the folder');
        const status = await cli(['status', '--dir', dir, '--url', url, '--json'], { cwd });
        assert.equal(status.code, 0, status.stderr);
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });
  }
});
