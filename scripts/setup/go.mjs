// Go builds of pinned tools into a cache directory: one build at a time per directory (a lock that
// a dead owner's successor takes over), Go's work files kept inside that directory, and the result
// moved into place atomically, so no process ever sees half a build.

import fs from 'node:fs';
import path from 'node:path';

import { exitCode, spawnTracked } from './processes.mjs';
import { PROGRESS_INTERVAL_MS, fail, isExecutable, log, prefixLines, readIfExists, since, sleep, which } from './util.mjs';

const GO_FALLBACK = '/usr/local/go/bin/go';

/** The Go toolchain: `go` on PATH, else the usual install location; null when there is none. */
export function findGo() {
  return which('go') ?? (isExecutable(GO_FALLBACK) ? GO_FALLBACK : null);
}

/**
 * `go install packages` into a fresh work directory under `dir`, holding `dir`'s lock; then
 * `install(work)` checks and moves the executables into place. `isDone()` is asked again once the
 * lock is held (another process may have built it meanwhile): then nothing is built.
 * Returns false when it was already done, true when this call built it.
 */
export async function goInstall({ go, dir, label, what, packages, env = {}, announce, isDone, install }) {
  fs.mkdirSync(dir, { recursive: true });
  const release = await acquireLock(path.join(dir, '.build.lock'), what);
  let removeWork = null;
  try {
    if (isDone()) {
      log(label, `${what}: built by another process meanwhile`);
      return false;
    }
    // We hold the lock, so a work directory left here belongs to an interrupted build.
    for (const entry of fs.readdirSync(dir)) {
      if (entry.startsWith('.build-')) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    const work = fs.mkdtempSync(path.join(dir, '.build-'));
    removeWork = () => fs.rmSync(work, { recursive: true, force: true });
    process.on('exit', removeWork);
    // Go's work directory (a few hundred MB) goes inside ours too, so an interrupted build leaves
    // nothing in /tmp: the cleanup on exit, or the next build, removes it with the rest.
    const gotmp = path.join(work, 'tmp');
    fs.mkdirSync(gotmp);
    log(label, announce);
    const t0 = Date.now();
    const child = spawnTracked(go, ['install', ...packages], {
      cwd: work,
      env: { ...process.env, ...env, GOBIN: work, GOTMPDIR: gotmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(child, 'go');
    const progress = setInterval(() => log(label, `still building… ${Math.round((Date.now() - t0) / 1000)}s`), PROGRESS_INTERVAL_MS);
    let code;
    try {
      code = await exitCode(child);
    } catch (err) {
      fail(`could not run ${go}: ${err.message}`);
    } finally {
      clearInterval(progress);
    }
    await install(work, code);
    log(label, `built in ${since(t0)}: ${dir}`);
    return true;
  } finally {
    if (removeWork) {
      removeWork();
      process.off('exit', removeWork);
    }
    release();
  }
}

/**
 * A directory lock (mkdir is atomic) holding the owner's pid. A lock whose owner is dead is
 * taken over, since a Ctrl-C during a build ends the process without running cleanup.
 */
export async function acquireLock(lockDir, what) {
  const t0 = Date.now();
  let lastNotice = 0;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      const release = () => {
        fs.rmSync(lockDir, { recursive: true, force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (lockIsStale(lockDir)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - lastNotice >= PROGRESS_INTERVAL_MS) {
      const owner = readIfExists(path.join(lockDir, 'pid')) ?? '?';
      log('temporal', `waiting for another process (pid ${owner}) building ${what}… ${Math.round((Date.now() - t0) / 1000)}s`);
      lastNotice = Date.now();
    }
    await sleep(1_000);
  }
}

function lockIsStale(lockDir) {
  const pid = Number(readIfExists(path.join(lockDir, 'pid')));
  if (!pid) {
    // The owner is between mkdir and writing its pid, or died right there.
    try {
      return Date.now() - fs.statSync(lockDir).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}
