import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../src/config/duration.js';
import { parseDatabaseUrl } from '../../src/config/url.js';
import { DbDoctorError } from '../../src/errors.js';

describe('database URLs', () => {
  it('accepts every form of DESIGN.md', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:data/app.db', '/srv'), {
      dialect: 'sqlite',
      file: '/srv/data/app.db',
      memory: false,
      mode: 'rwc',
      display: 'sqlite:/srv/data/app.db',
    });
    assert.equal((parseDatabaseUrl('sqlite:///abs/app.db') as { file: string }).file, '/abs/app.db');
    assert.equal(parseDatabaseUrl('sqlite::memory:').dialect, 'sqlite');
    const pg = parseDatabaseUrl('postgresql://u:secret@db.example:5433/app');
    assert.equal(pg.dialect, 'postgres');
    assert.ok(!pg.display.includes('secret'), 'the password is hidden in messages');
  });

  for (const bad of [
    '',
    'mysql://x/y',
    'postgres://',
    'postgres://host',
    'sqlite:',
    'no-scheme',
    'postgres://h:port/db',
  ]) {
    it(`rejects ${JSON.stringify(bad)} with BAD_URL and the accepted forms`, () => {
      assert.throws(
        () => parseDatabaseUrl(bad),
        (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_URL' && /sqlite:/.test(e.hint),
      );
    });
  }
});

describe('durations', () => {
  it('parses numbers and units', () => {
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('30d'), 2_592_000_000);
  });
  it('rejects garbage', () => {
    assert.throws(
      () => parseDuration('soon'),
      (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_DURATION',
    );
  });
});
