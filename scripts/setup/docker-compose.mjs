// docker-compose for checking docker-compose.yml in the tests: Debian's `docker-compose` package
// (`docker-compose config` parses and validates the file, and needs no Docker engine), installed
// with apt-get when it is missing and we may (root), as chromium.mjs does for the browser.
// Node built-ins only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import process from 'node:process';

/** Where Debian's package puts it; DOCKER_COMPOSE_PATH overrides it. */
export const DOCKER_COMPOSE_PATH = process.env.DOCKER_COMPOSE_PATH || '/usr/bin/docker-compose';

function run(command, args) {
  return new Promise((resolve, reject) => {
    // apt-get's own progress goes straight to the terminal.
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? `code ${code}`}`)),
    );
  });
}

/**
 * The path of a runnable docker-compose, installing Debian's package when it is missing. Returns
 * null (after saying why) when it is missing and cannot be installed here: not root, or no apt-get.
 */
export async function ensureDockerCompose({ log = (msg) => console.log(`[tollgate] docker-compose ${msg}`) } = {}) {
  if (fs.existsSync(DOCKER_COMPOSE_PATH)) return DOCKER_COMPOSE_PATH;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    log(
      `not found at ${DOCKER_COMPOSE_PATH}; install Debian's docker-compose package (apt-get install docker-compose) or set DOCKER_COMPOSE_PATH`,
    );
    return null;
  }
  const t0 = Date.now();
  log(
    'not found: installing Debian’s docker-compose package (apt-get update, then apt-get install -y --no-install-recommends docker-compose)…',
  );
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose']);
  if (!fs.existsSync(DOCKER_COMPOSE_PATH)) throw new Error(`apt-get installed docker-compose but ${DOCKER_COMPOSE_PATH} does not exist`);
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${DOCKER_COMPOSE_PATH}`);
  return DOCKER_COMPOSE_PATH;
}
