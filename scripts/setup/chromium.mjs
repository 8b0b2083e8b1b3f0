// Chromium for the browser tests: Debian's `chromium` package, installed with apt-get when it is
// missing and we may (root). Node built-ins only, like the rest of scripts/setup.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import process from 'node:process';

/** Where Debian's package puts the browser; CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function run(command, args) {
  return new Promise((resolve, reject) => {
    // apt-get's own progress goes straight to the terminal: an install takes a minute or two.
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? `code ${code}`}`)),
    );
  });
}

/**
 * The path of a runnable Chromium, installing Debian's package when it is missing. Returns null
 * (after saying why) when it is missing and cannot be installed here: not root, or no apt-get.
 */
export async function ensureChromium({ log = (msg) => console.log(`[tollgate] chromium ${msg}`) } = {}) {
  if (fs.existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    log(`not found at ${CHROMIUM_PATH}; install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
    return null;
  }
  const t0 = Date.now();
  log('not found: installing Debian’s chromium package (apt-get update, then apt-get install -y chromium)…');
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', 'chromium']);
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} does not exist`);
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${CHROMIUM_PATH}`);
  return CHROMIUM_PATH;
}
