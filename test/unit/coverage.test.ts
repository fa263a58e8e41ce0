import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import '../../src/dialects/builtin.js';
import { registeredDialects } from '../../src/dialects/registry.js';
import { notCompared } from '../../src/schema/coverage.js';

describe('what the doctor compares', () => {
  it('the README lists exactly the code’s "not compared" list (common, then each dialect’s own), in order', () => {
    const readme = fs.readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### What the doctor compares'));
    assert.ok(section.length > 0, 'README has a section "What the doctor compares"');
    const list = section.slice(section.indexOf('Not compared:'));
    const items: string[] = [];
    for (const line of list.split('\n').slice(1)) {
      if (line.startsWith('- ')) items.push(line.slice(2));
      else if (items.length > 0) break;
    }
    assert.deepEqual(items, notCompared(registeredDialects()));
  });
});
