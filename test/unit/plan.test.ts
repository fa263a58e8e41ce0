import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MigrationFile } from '../../src/migrations/files.js';
import type { HistoryRow } from '../../src/migrations/history.js';
import { compareFilesWithHistory } from '../../src/migrations/plan.js';

const file = (id: string, checksum = `c${id}`): MigrationFile => ({
  id,
  name: `m${id}`,
  stem: `${id}_m${id}`,
  file: `/x/${id}_m${id}.sql`,
  kind: 'sql',
  checksum,
});
const row = (id: string, extra: Partial<HistoryRow> = {}): HistoryRow => ({
  id,
  name: `m${id}`,
  checksum: `c${id}`,
  status: 'applied',
  appliedAt: '2026-01-01T00:00:00Z',
  executionMs: 1,
  seq: Number(id),
  statementsDone: 1,
  statementsTotal: 1,
  error: null,
  ...extra,
});

describe('compareFilesWithHistory', () => {
  it('plans by membership: pending are the unrecorded files, current is the highest applied', () => {
    const s = compareFilesWithHistory([file('1'), file('2'), file('3')], [row('1'), row('2')]);
    assert.deepEqual(
      s.pending.map((f) => f.id),
      ['3'],
    );
    assert.equal(s.current, '2');
    assert.deepEqual(s.problems, []);
  });

  it('reports an unapplied file older than applied ones as OUT_OF_ORDER instead of skipping it', () => {
    const s = compareFilesWithHistory([file('1'), file('2'), file('3')], [row('1'), row('3')]);
    assert.deepEqual(
      s.pending.map((f) => f.id),
      ['2'],
    );
    assert.deepEqual(
      s.problems.map((p) => [p.code, p.id]),
      [['OUT_OF_ORDER', '2']],
    );
  });

  it('reports changed and missing files and partial applies, each with a fix', () => {
    const s = compareFilesWithHistory(
      [file('1', 'edited'), file('3')],
      [row('1'), row('2'), row('3', { status: 'started', statementsDone: 1, statementsTotal: 2 })],
    );
    assert.deepEqual(s.problems.map((p) => [p.code, p.id]).sort(), [
      ['CHECKSUM_MISMATCH', '1'],
      ['MISSING_FILE', '2'],
      ['PARTIALLY_APPLIED', '3'],
    ]);
    for (const p of s.problems) assert.match(p.fix, /dbdoctor /);
    assert.equal(s.current, '2', 'a partially applied migration is not the current revision');
  });

  it('is linear: 20,000 migrations compare in well under a second', () => {
    const files = Array.from({ length: 20_000 }, (_, i) => file(String(i + 1)));
    const rows = files.slice(0, 19_000).map((f) => row(f.id));
    const t = performance.now();
    const s = compareFilesWithHistory(files, rows);
    assert.equal(s.pending.length, 1000);
    assert.ok(performance.now() - t < 1000);
  });
});

describe('a started or reverting row while a runner holds the lock', () => {
  const started = row('2', {
    status: 'started',
    appliedAt: '2026-01-01T00:00:10.000Z',
    statementsDone: 1,
    statementsTotal: 3,
  });
  const files = [file('1'), file('2')];
  const owner = (since: string, extra = {}) => ({ host: 'box', pid: 77, since, ...extra });

  it('is in progress when the holder took the lock before the row was written (its own work)', () => {
    const s = compareFilesWithHistory(files, [row('1'), started], owner('2026-01-01T00:00:09.000Z'));
    assert.deepEqual(
      s.problems.map((p) => p.code),
      ['MIGRATION_IN_PROGRESS'],
    );
    assert.match(s.problems[0]?.message ?? '', /m2 is being applied right now by pid 77 on box/);
    assert.match(s.problems[0]?.message ?? '', /1 of 3 statements done so far/);
    const reverting = compareFilesWithHistory(
      files,
      [row('1'), { ...started, status: 'reverting' }],
      owner('2026-01-01T00:00:09.000Z'),
    );
    assert.match(reverting.problems[0]?.message ?? '', /being reverted right now/);
  });

  it('is partially applied when the holder took the lock after the row was written (a dead runner left it)', () => {
    const s = compareFilesWithHistory(files, [row('1'), started], owner('2026-01-01T00:00:11.000Z'));
    assert.deepEqual(
      s.problems.map((p) => p.code),
      ['PARTIALLY_APPLIED'],
    );
    assert.doesNotMatch(s.problems[0]?.message ?? '', /may be running it/);
  });

  it('is partially applied when nobody holds the lock, or the holder is gone', () => {
    for (const runner of [null, owner('2026-01-01T00:00:09.000Z', { detail: 'stale: pid 77 is gone' })]) {
      const s = compareFilesWithHistory(files, [row('1'), started], runner);
      assert.deepEqual(
        s.problems.map((p) => p.code),
        ['PARTIALLY_APPLIED'],
      );
    }
  });

  it('says it may be running when the lock time cannot be read (never guessed either way)', () => {
    const s = compareFilesWithHistory(files, [row('1'), started], owner('a moment ago'));
    assert.deepEqual(
      s.problems.map((p) => p.code),
      ['PARTIALLY_APPLIED'],
    );
    assert.match(s.problems[0]?.message ?? '', /held right now by pid 77 on box, which may be running it/);
  });
});

describe('a started row whose runner is gone while the server still holds its lock', () => {
  it('is partially applied, saying the statement it left may still be running on the server', () => {
    const started = row('2', {
      status: 'started',
      appliedAt: '2026-01-01T00:00:10.000Z',
      statementsDone: 1,
      statementsTotal: 3,
    });
    const s = compareFilesWithHistory([file('1'), file('2')], [row('1'), started], {
      host: 'box',
      pid: 77,
      since: '2026-01-01T00:00:09.000Z',
      gone: true,
    });
    assert.deepEqual(
      s.problems.map((p) => p.code),
      ['PARTIALLY_APPLIED'],
    );
    assert.match(
      s.problems[0]?.message ?? '',
      /runner, pid 77 on box, is gone, but the server still holds the migration lock/,
    );
  });
});
