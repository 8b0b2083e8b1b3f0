// Prometheus for the canary-analysis tests, and its promtool for the alert-rules tests: Debian's
// `prometheus` package ships both (debian.mjs installs it when missing).

import fs from 'node:fs';
import process from 'node:process';

import { ensureDebianPackage } from './debian.mjs';

/** Where Debian's package puts the server; PROMETHEUS_PATH overrides it. */
export const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH || '/usr/bin/prometheus';
/** The same package's rule checker; PROMTOOL_PATH overrides it. */
export const PROMTOOL_PATH = process.env.PROMTOOL_PATH || '/usr/bin/promtool';

/** The path of a runnable Prometheus server, or null (after saying why) when it is missing and cannot be installed here. */
export async function ensurePrometheus({ log = (msg) => console.log(`[tollgate] prometheus ${msg}`) } = {}) {
  const ok = await ensureDebianPackage({
    pkg: 'prometheus',
    files: [PROMETHEUS_PATH, PROMTOOL_PATH],
    variables: ['PROMETHEUS_PATH', 'PROMTOOL_PATH'],
    log,
    // Installed for tests only: the package's service is not started (there may be no init system).
    env: { RUNLEVEL: '1' },
  });
  return ok || fs.existsSync(PROMETHEUS_PATH) ? PROMETHEUS_PATH : null;
}
