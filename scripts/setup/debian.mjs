// Debian packages the tests need (Chromium, Prometheus, docker-compose), installed with apt-get when
// missing and we may (root). Node built-ins only, like the rest of scripts/setup.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import process from 'node:process';

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    // apt-get's own progress goes straight to the terminal: an install takes a minute or two.
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env } });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? `code ${code}`}`)),
    );
  });
}

/**
 * True when every one of `files` exists, installing Debian's `pkg` first when one is missing; false
 * (after saying why, naming the variables that point elsewhere) when it cannot be installed here:
 * not root, or no apt-get. An install that leaves a file missing throws.
 */
export async function ensureDebianPackage({ pkg, files, variables, log, recommends = false, env = {} }) {
  const missing = () => files.filter((f) => !fs.existsSync(f));
  if (missing().length === 0) return true;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    log(`not found at ${files.join(' and ')}; install Debian's ${pkg} package (apt-get install ${pkg}) or set ${variables.join(' and ')}`);
    return false;
  }
  const t0 = Date.now();
  const install = ['install', '-y', ...(recommends ? [] : ['--no-install-recommends']), pkg];
  log(`not found: installing Debian’s ${pkg} package (apt-get update, then apt-get ${install.join(' ')})…`);
  await run('apt-get', ['update'], env);
  await run('apt-get', install, env);
  const still = missing();
  if (still.length > 0) throw new Error(`apt-get installed ${pkg} but ${still.join(' and ')} does not exist`);
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${files.join(', ')}`);
  return true;
}
