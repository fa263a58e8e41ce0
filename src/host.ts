/** Facts about processes on this host, shared by the locks, the scratch databases and backups. */

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
