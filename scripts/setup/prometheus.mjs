// Prometheus for the canary-analysis tests, and its promtool for the alert-rules tests: Debian's
// `prometheus` package (it ships both), installed with apt-get when it is missing and we may
// (root), as chromium.mjs does for the browser. Node built-ins only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import process from 'node:process';

/** Where Debian's package puts the server; PROMETHEUS_PATH overrides it. */
export const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH || '/usr/bin/prometheus';
/** The same package's rule checker; PROMTOOL_PATH overrides it. */
export const PROMTOOL_PATH = process.env.PROMTOOL_PATH || '/usr/bin/promtool';

function run(command, args) {
  return new Promise((resolve, reject) => {
    // apt-get's own progress goes straight to the terminal.
    const child = spawn(command, args, {
      stdio: 'inherit',
      // Installed for tests only: the package's service is not started (there may be no init system).
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? `code ${code}`}`)),
    );
  });
}

/**
 * The path of a runnable Prometheus server, installing Debian's package when it is missing.
 * Returns null (after saying why) when it is missing and cannot be installed here.
 */
export async function ensurePrometheus({ log = (msg) => console.log(`[tollgate] prometheus ${msg}`) } = {}) {
  if (fs.existsSync(PROMETHEUS_PATH) && fs.existsSync(PROMTOOL_PATH)) return PROMETHEUS_PATH;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    log(
      `not found at ${PROMETHEUS_PATH} and ${PROMTOOL_PATH}; install Debian's prometheus package (apt-get install prometheus) or set PROMETHEUS_PATH and PROMTOOL_PATH`,
    );
    return fs.existsSync(PROMETHEUS_PATH) ? PROMETHEUS_PATH : null;
  }
  const t0 = Date.now();
  log('not found: installing Debian’s prometheus package (apt-get update, then apt-get install -y --no-install-recommends prometheus)…');
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus']);
  if (!fs.existsSync(PROMETHEUS_PATH)) throw new Error(`apt-get installed prometheus but ${PROMETHEUS_PATH} does not exist`);
  if (!fs.existsSync(PROMTOOL_PATH)) throw new Error(`apt-get installed prometheus but ${PROMTOOL_PATH} does not exist`);
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${PROMETHEUS_PATH}`);
  return PROMETHEUS_PATH;
}
