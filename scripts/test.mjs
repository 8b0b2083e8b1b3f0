// `npm test`: builds, then runs Jest against one real Temporal dev server (in memory, free ports)
// and a real Redis shared by the whole run. Extra arguments go to Jest: `npm test -- tests/unit`.
//
// Jest's environment: TEMPORAL_ADDRESS, TEMPORAL_CLI (path, or empty when the SDK had to download
// the server), REDIS_URL, TOLLGATE_WORKFLOW_BUNDLE, TOLLGATE_DIST, CHROMIUM_PATH (Debian's chromium,
// installed with apt-get when missing), PROMETHEUS_PATH and PROMTOOL_PATH (Debian's prometheus,
// likewise), DOCKER_COMPOSE_PATH (Debian's docker-compose, likewise), TOLLGATE_METRICS_PORT=0 (the
// workers tests start pick free ports for their /metrics, so several can run at once),
// TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL and TEMPORAL_SERVER_SCHEMA (the full Temporal server, its
// schema tool and its PostgreSQL schema files, built with Go once into ~/.cache/tollgate).

import fs from 'node:fs';
import path from 'node:path';

import {
  DIST_DIR,
  REPO_ROOT,
  WORKFLOW_BUNDLE,
  describeExit,
  ensureBuild,
  ensureDeps,
  ensureRedis,
  ensureTemporalCli,
  exitCode,
  log,
  onSignals,
  reportFailure,
  since,
  spawnTracked,
  startTemporalDevServer,
} from './setup/setup.mjs';
import { ensureChromium } from './setup/chromium.mjs';
import { ensurePrometheus, PROMTOOL_PATH } from './setup/prometheus.mjs';
import { ensureDockerCompose } from './setup/docker-compose.mjs';
import { ensureTemporalServer } from './setup/temporal-server.mjs';

// Temporal's own warnings would interleave with Jest's report; they go to a file kept after the run.
const TEMPORAL_LOG = path.join(REPO_ROOT, 'test-artifacts', 'temporal.log');

const started = Date.now();
const cleanup = [];
let jest = null;
let interrupted = null;

async function step(name, fn) {
  const t0 = Date.now();
  log('test', `${name}…`);
  const result = await fn();
  log('test', `${name}: done in ${since(t0)} (total ${since(started)})`);
  return result;
}

async function runCleanup() {
  while (cleanup.length > 0) {
    const stop = cleanup.pop();
    try {
      await stop();
    } catch (err) {
      reportFailure(err);
    }
  }
}

onSignals((signal) => {
  if (jest) {
    // Jest owns the terminal until it exits; the servers are stopped after it.
    interrupted = signal;
    jest.kill(signal);
    return;
  }
  if (interrupted) process.exit(130);
  interrupted = signal;
  log('test', `${signal}: stopping`);
  void runCleanup().then(() => process.exit(130));
});

async function main() {
  await step('dependencies', ensureDeps);
  await step('build', ensureBuild);
  const cli = await step('Temporal CLI', () => ensureTemporalCli());
  const chromium = await step('Chromium (browser tests)', () => ensureChromium());
  const prometheus = await step('Prometheus and promtool (canary analysis and alert-rules tests)', () => ensurePrometheus());
  const compose = await step('docker-compose (docker-compose.yml check)', () => ensureDockerCompose());
  const temporalServer = await step('Temporal server (Temporal-on-PostgreSQL drill)', () => ensureTemporalServer());
  const redis = await step('Redis', () => ensureRedis());
  cleanup.push(redis.stop);

  fs.rmSync(TEMPORAL_LOG, { force: true });
  const temporal = await step('Temporal dev server', () => startTemporalDevServer({ cli, headless: true, logFile: TEMPORAL_LOG }));
  cleanup.push(temporal.stop);
  log('test', `Temporal log: ${path.relative(REPO_ROOT, TEMPORAL_LOG)}`);

  // `node scripts/test.mjs -- x` would hand Jest a literal `--`; `npm test -- x` already strips it.
  const jestArgs = process.argv.slice(2);
  if (jestArgs[0] === '--') jestArgs.shift();
  log('test', `jest ${jestArgs.join(' ')}`.trim());
  const t0 = Date.now();
  jest = spawnTracked(path.join(REPO_ROOT, 'node_modules', '.bin', 'jest'), jestArgs, {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_CLI: cli ?? '',
      REDIS_URL: redis.url,
      TOLLGATE_WORKFLOW_BUNDLE: WORKFLOW_BUNDLE,
      TOLLGATE_DIST: DIST_DIR,
      CHROMIUM_PATH: chromium ?? '',
      PROMETHEUS_PATH: prometheus ?? '',
      PROMTOOL_PATH: fs.existsSync(PROMTOOL_PATH) ? PROMTOOL_PATH : '',
      DOCKER_COMPOSE_PATH: compose ?? '',
      TOLLGATE_METRICS_PORT: process.env.TOLLGATE_METRICS_PORT ?? '0',
      TEMPORAL_SERVER_BIN: temporalServer?.server ?? '',
      TEMPORAL_SQL_TOOL: temporalServer?.sqlTool ?? '',
      TEMPORAL_SERVER_SCHEMA: temporalServer?.schemaDir ?? '',
    },
  });
  const code = await exitCode(jest);
  log('test', `jest finished (${describeExit(jest.exitCode, jest.signalCode)}) in ${since(t0)}`);

  await step('stopping servers', runCleanup);
  log('test', `total ${since(started)}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    reportFailure(err);
    await runCleanup();
    process.exit(1);
  },
);
