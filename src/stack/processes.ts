import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Processes started by `rollups stack` are tracked by PID files. A PID is trusted only while
 * /proc/<pid>/cmdline still carries the marker we started it with, so a recycled PID is never
 * mistaken for our broker and never killed.
 */
export interface TrackedProcess {
  name: string;
  pidFile: string;
  marker: string;
}

export function readPid(p: TrackedProcess): number | undefined {
  if (!existsSync(p.pidFile)) return undefined;
  const pid = Number(readFileSync(p.pidFile, 'utf8').trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export function isOurs(p: TrackedProcess, pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(p.marker);
  } catch {
    return false;
  }
}

/** The PID of the tracked process if it runs, else undefined (a stale PID file is removed). */
export function runningPid(p: TrackedProcess): number | undefined {
  const pid = readPid(p);
  if (pid === undefined) return undefined;
  if (isOurs(p, pid)) return pid;
  rmSync(p.pidFile, { force: true });
  return undefined;
}

export function startDetached(
  p: TrackedProcess,
  command: string,
  args: string[],
  opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv },
): number {
  mkdirSync(join(p.pidFile, '..'), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${p.name}`);
    child.unref();
    writeFileSync(p.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Returns true when the process is gone. */
export async function stopTracked(p: TrackedProcess, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(p);
  if (pid === undefined) return true;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(p, pid)) break;
    await sleep(200);
  }
  if (isOurs(p, pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* raced with its own exit */
    }
    await sleep(200);
  }
  const gone = !isOurs(p, pid);
  if (gone) rmSync(p.pidFile, { force: true });
  return gone;
}
