// Child processes of the launchers: tracked, stopped in order, and reaped if the launcher dies.
//
// Long-running services are started in their own process group (`detached`), so that a Ctrl-C in
// the terminal reaches only the launcher, which then stops them in order (API before worker before
// Temporal), and so that stopping one also stops anything it started (the SDK's server download).
// Whatever is still alive when the launcher exits (normally, through a handled signal or on an
// uncaught error) is killed here.

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { REPO_ROOT, fail, log, sleep } from './util.mjs';

const tracked = new Set();

process.on('exit', () => {
  for (const child of tracked) signalChild(child, 'SIGKILL');
});

// The exit handler above does not run when the launcher is killed outright (SIGKILL, the OOM
// killer): the reaper (reaper.mjs), started with the first child, stops the children then.
let reaper = null;

function reaperChannel() {
  if (reaper) return reaper;
  reaper = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'reaper.mjs')], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  // Neither the reaper nor its channel keeps the launcher alive.
  reaper.unref();
  reaper.channel?.unref();
  reaper.on('error', () => undefined);
  return reaper;
}

function tellReaper(message) {
  try {
    reaperChannel().send(message, () => undefined);
  } catch {
    // A launcher that cannot reach its reaper still stops its children itself on a normal exit.
  }
}

function signalChild(child, signal) {
  try {
    if (child.tollgateGroup) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

export function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** `spawn`, plus: killed when the launcher exits; `detached` children are signalled as a group. */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, options);
  child.tollgateGroup = Boolean(options.detached);
  if (child.pid !== undefined) {
    tracked.add(child);
    tellReaper({ track: child.pid, group: child.tollgateGroup });
    child.once('exit', () => {
      tracked.delete(child);
      tellReaper({ forget: child.pid });
    });
  }
  return child;
}

/** Resolves with the exit code (128 + signal number when killed); rejects if it could not start. */
export function exitCode(child) {
  return new Promise((resolve, reject) => {
    if (hasExited(child)) {
      resolve(codeOf(child.exitCode, child.signalCode));
      return;
    }
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(codeOf(code, signal)));
  });
}

function codeOf(code, signal) {
  if (code !== null) return code;
  return 128 + (os.constants.signals[signal] ?? 0);
}

export function describeExit(code, signal) {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopProcess(child, graceMs, name = 'process') {
  if (!child || child.pid === undefined || hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signalChild(child, 'SIGTERM');
  const inTime = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!inTime) {
    log('stop', `${name} still running ${graceMs / 1000}s after SIGTERM: killing it`);
    signalChild(child, 'SIGKILL');
    await exited;
  } else if (child.tollgateGroup) {
    // The leader is gone; make sure nothing it started outlives it.
    signalChild(child, 'SIGKILL');
  }
}

/** Calls `handler(signal)` on SIGINT, SIGTERM and SIGHUP instead of dying on the spot. */
export function onSignals(handler) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => handler(signal));
}

/** Runs a command to its end in the repository, output inherited; resolves with its exit code. */
export function run(command, args, options = {}) {
  const child = spawnTracked(command, args, { cwd: REPO_ROOT, stdio: 'inherit', ...options });
  return exitCode(child).catch((err) => fail(`could not run ${command}: ${err.message}`));
}
