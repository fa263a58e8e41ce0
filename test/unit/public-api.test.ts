/**
 * The public API exports no internals: the package's entries (package.json "exports") are the
 * only ones, and neither names the runner's or the doctor's inner functions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as api from '../../src/index.js';
import * as sessions from '../../src/sessions/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Internals once exported or likely to leak: the splitter, the planner, normalizers, the doctor's parts. */
const INTERNALS = [
  'splitStatements',
  'compareFilesWithHistory',
  'replayOrder',
  'normalizeExpression',
  'normalizeSchema',
  'normalizeType',
  'schemaVerdict',
  'historyFindings',
  'lockFindings',
  'expectedSchemas',
  'stampSession',
  'usingSession',
  'openSession',
  'registerDialect',
  'dialectNamed',
];

describe('the public API', () => {
  it('package.json exports the main entry, dbdoctor/sessions and the config schema, nothing deeper', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.exports).sort(), [
      '.',
      './dbdoctor.config.schema.json',
      './sessions',
    ]);
    assert.deepEqual(manifest.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
    assert.deepEqual(manifest.exports['./sessions'], {
      types: './dist/sessions/index.d.ts',
      default: './dist/sessions/index.js',
    });
  });

  it('neither entry exports an internal', () => {
    const leaked = [
      ...INTERNALS.filter((name) => name in api).map((name) => `dbdoctor: ${name}`),
      ...INTERNALS.filter((name) => name in sessions).map((name) => `dbdoctor/sessions: ${name}`),
    ];
    assert.deepEqual(leaked, []);
    // The check can fail: it reads the real export lists.
    assert.equal(typeof api.doctor, 'function');
    assert.equal(typeof sessions.openSessionStore, 'function');
  });

  it('`sql` and `now` are the DSL builders migrations import (README, `generate` output), not SQL helpers', () => {
    assert.deepEqual(api.sql('SELECT 1'), { kind: 'sql', up: 'SELECT 1' });
    assert.deepEqual(api.now(), { now: true });
  });
});
