/** Facts about processes on this host, shared by the locks, the scratch databases and backups. */

import os from 'node:os';

/**
 * Is process `pid` of this host (and this PID namespace) still running? `kill(pid, 0)` sends
 * nothing; EPERM means the process exists but belongs to another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `owner` names a dbdoctor runner of this host whose process is gone (a runner killed
 * while the server still holds its lock for the statement it was running). False for another
 * host's runner, or a connection that is not a runner: nothing here can tell.
 */
export function runnerGone(owner: { host: string; pid: number; kind?: string }): boolean {
  return (
    (owner.kind ?? 'runner') === 'runner' &&
    owner.pid > 0 &&
    owner.host === os.hostname() &&
    !processAlive(owner.pid)
  );
}
