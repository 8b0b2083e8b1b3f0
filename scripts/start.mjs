// `npm start`: the whole stack on one machine. Builds when needed, uses (or starts) Redis and a
// Temporal dev server whose state lives in a file, then runs the worker and the API until Ctrl-C.
//
//   node scripts/start.mjs               everything
//   node scripts/start.mjs --only worker just the worker, in the foreground (`npm run worker`)
//   node scripts/start.mjs --only api    just the API, in the foreground (`npm run api`)
//
// Reads: PORT (3000), TEMPORAL_ADDRESS (unset: start a dev server here), TEMPORAL_NAMESPACE
// (default), TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), TOLLGATE_DATA_DIR (<repo>/.data),
// REDIS_URL (redis://127.0.0.1:6379; a private redis-server when nothing answers there),
// TEMPORAL_CLI (see ensureTemporalCli), TOLLGATE_SHUTDOWN_GRACE_MS (how long the worker drains).
// The worker and API get TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, REDIS_URL, PORT and
// TOLLGATE_WORKFLOW_BUNDLE (the bundle built here).

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

import {
  DEFAULT_REDIS_URL,
  REPO_ROOT,
  WORKFLOW_BUNDLE,
  describeExit,
  ensureBuild,
  ensureDeps,
  ensureRedis,
  ensureTemporalCli,
  exitCode,
  fail,
  isPortFree,
  log,
  onSignals,
  prefixLines,
  redactUrl,
  reportFailure,
  sleep,
  spawnTracked,
  startTemporalDevServer,
  stopProcess,
  waitForTcp,
} from './setup/setup.mjs';

const ENTRY_POINTS = {
  worker: path.join(REPO_ROOT, 'dist', 'worker', 'main.js'),
  api: path.join(REPO_ROOT, 'dist', 'api', 'server.js'),
};
const HEALTHZ_TIMEOUT_MS = 60_000;
// The worker drains in-flight activities for TOLLGATE_SHUTDOWN_GRACE_MS (10 s by default) after
// SIGTERM; it is killed only if it is still there a little after that.
const WORKER_STOP_GRACE_MS = Math.max(15_000, (Number(process.env.TOLLGATE_SHUTDOWN_GRACE_MS) || 0) + 5_000);
const API_STOP_GRACE_MS = 10_000;
const TEMPORAL_ADDRESS_TIMEOUT_MS = 10_000;

function envPort(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name}=${raw} is not a TCP port (1-65535)`);
  return port;
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({ options: { only: { type: 'string' } }, strict: true }));
  } catch (err) {
    console.error(`${err.message}\nusage: node scripts/start.mjs [--only worker|api]`);
    process.exit(2);
  }
  if (values.only !== undefined && !Object.hasOwn(ENTRY_POINTS, values.only)) {
    console.error(`--only ${values.only}: expected "worker" or "api"`);
    process.exit(2);
  }
  return values.only ?? null;
}

function requireEntryPoint(name) {
  const entry = ENTRY_POINTS[name];
  if (!fs.existsSync(entry)) {
    fail(`${path.relative(REPO_ROOT, entry)} not found after the build: the ${name} entry point is missing from the sources`);
  }
  return entry;
}

function baseEnv({ temporalAddress, redisUrl, port }) {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE || 'default',
    REDIS_URL: redisUrl,
    PORT: String(port),
    TOLLGATE_WORKFLOW_BUNDLE: process.env.TOLLGATE_WORKFLOW_BUNDLE || WORKFLOW_BUNDLE,
    // The processes write to a pipe (prefixed lines) or to this terminal: readable lines when a
    // person watches, JSON when the launcher's own output goes to a file or a collector.
    LOG_FORMAT: process.env.LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json'),
  };
}

// ---------------------------------------------------------------------------------------------
// --only worker|api: one process in the foreground, for running the parts separately.

async function runOne(name) {
  // Until the process runs, exiting through process.exit runs the cleanup that stops npm or tsc.
  let onSignal = (signal) => process.exit(signal === 'SIGINT' ? 130 : 143);
  onSignals((signal) => onSignal(signal));
  await ensureDeps();
  await ensureBuild();
  const entry = requireEntryPoint(name);
  const env = baseEnv({
    temporalAddress: process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    redisUrl: process.env.REDIS_URL || DEFAULT_REDIS_URL,
    port: envPort('PORT', 3000),
  });
  log(name, `node ${path.relative(REPO_ROOT, entry)} (Temporal ${env.TEMPORAL_ADDRESS}, Redis ${redactUrl(env.REDIS_URL)})`);
  // Its own process group, so a Ctrl-C reaches it once (forwarded below), not twice.
  const child = spawnTracked(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  onSignal = (signal) => child.kill(signal);
  process.exit(await exitCode(child));
}

// ---------------------------------------------------------------------------------------------
// The whole stack.

const stops = []; // run last-first: API, worker, Temporal, Redis
let stopping = false;

async function shutdown(code, reason) {
  if (stopping) return;
  stopping = true;
  log('stop', reason);
  while (stops.length > 0) {
    const { name, stop } = stops.pop();
    try {
      await stop();
      log('stop', `${name} stopped`);
    } catch (err) {
      reportFailure(err);
    }
  }
  process.exit(code);
}

function startService(name, entry, env, graceMs) {
  const child = spawnTracked(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  prefixLines(child, name);
  child.once('exit', (code, signal) => {
    if (!stopping) void shutdown(1, `${name} exited unexpectedly (${describeExit(code, signal)}): stopping the rest`);
  });
  stops.push({ name, stop: () => stopProcess(child, graceMs, name) });
  return child;
}

async function waitForHealthz(port, timeoutMs) {
  const url = `http://127.0.0.1:${port}/healthz`;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(500);
  }
  fail(`the API did not answer ${url} with 200 within ${timeoutMs / 1000}s (last: ${last})`);
}

function printBox(rows) {
  const labelWidth = Math.max(...rows.filter(Array.isArray).map(([label]) => label.length));
  const lines = rows.map((row) => (Array.isArray(row) ? `${row[0].padEnd(labelWidth)}  ${row[1]}` : row));
  const width = Math.max(...lines.map((l) => l.length));
  const bar = '─'.repeat(width + 2);
  console.log(`\n┌${bar}┐`);
  for (const line of lines) console.log(`│ ${line.padEnd(width)} │`);
  console.log(`└${bar}┘\n`);
}

async function runAll() {
  onSignals((signal) => {
    if (stopping) {
      log('stop', `${signal} again: killing everything`);
      process.exit(130);
    }
    void shutdown(0, `${signal} received: stopping (again to force)`);
  });

  await ensureDeps();
  await ensureBuild();
  const workerEntry = requireEntryPoint('worker');
  const apiEntry = requireEntryPoint('api');
  const port = envPort('PORT', 3000);
  const temporalPorts = process.env.TEMPORAL_ADDRESS
    ? null
    : { grpc: envPort('TEMPORAL_PORT', 7233), ui: envPort('TEMPORAL_UI_PORT', 8233) };
  // All ports before anything starts, so a clash costs nothing to undo.
  if (!(await isPortFree(port))) fail(`port ${port} (API) is already in use: stop what holds it, or set PORT`);
  if (temporalPorts) {
    for (const [p, name] of [
      [temporalPorts.grpc, 'TEMPORAL_PORT'],
      [temporalPorts.ui, 'TEMPORAL_UI_PORT'],
    ]) {
      if (!(await isPortFree(p))) {
        fail(
          `port ${p} (${name}) is already in use, perhaps by another Temporal dev server: stop it, ` +
            'set TEMPORAL_PORT / TEMPORAL_UI_PORT to free ports, or set TEMPORAL_ADDRESS to use a running server',
        );
      }
    }
  }

  const redis = await ensureRedis();
  if (redis.started) stops.push({ name: 'Redis', stop: redis.stop });

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let temporalUi = null;
  if (temporalPorts === null) {
    const [host, grpcPort] = splitHostPort(temporalAddress);
    try {
      await waitForTcp(host, grpcPort, TEMPORAL_ADDRESS_TIMEOUT_MS);
    } catch {
      fail(`TEMPORAL_ADDRESS=${temporalAddress} does not accept connections`);
    }
    log('temporal', `using ${temporalAddress} (TEMPORAL_ADDRESS)`);
  } else {
    const dataDir = path.resolve(process.env.TOLLGATE_DATA_DIR || path.join(REPO_ROOT, '.data'));
    const cli = await ensureTemporalCli();
    const temporal = await startTemporalDevServer({
      cli,
      port: temporalPorts.grpc,
      uiPort: temporalPorts.ui,
      dbFilename: path.join(dataDir, 'temporal.db'),
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    });
    stops.push({ name: 'Temporal', stop: temporal.stop });
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl;
  }

  const env = baseEnv({ temporalAddress, redisUrl: redis.url, port });
  startService('worker', workerEntry, env, WORKER_STOP_GRACE_MS);
  const apiChild = startService('api', apiEntry, env, API_STOP_GRACE_MS);
  // The API prints a generated admin token once, on the first start against a fresh Redis.
  let adminToken = null;
  readline.createInterface({ input: apiChild.stdout, crlfDelay: Infinity }).on('line', (line) => {
    const match = /^admin token \(shown once, keep it\): (\S+)$/.exec(line);
    if (match) adminToken = match[1];
  });
  await waitForHealthz(port, HEALTHZ_TIMEOUT_MS);

  const api = `http://localhost:${port}`;
  printBox([
    'Tollgate is running',
    '',
    ['API', api],
    ['Dashboard', `${api}/`],
    ['OpenAPI', `${api}/openapi.json`],
    ...(temporalUi ? [['Temporal UI', temporalUi]] : []),
    ['Temporal', `${temporalAddress} (namespace ${env.TEMPORAL_NAMESPACE})`],
    ['Redis', redactUrl(redis.url)],
    '',
    ...(adminToken
      ? [
          ['Admin token', `${adminToken}`],
          '  shown this once: Tollgate keeps only its hash. Sign in to the dashboard with it;',
          '  for the CLI: export TOLLGATE_TOKEN=<it>. More tokens, one per person and role:',
          '  tollgate token create --name alice --role deployer',
        ]
      : process.env.TOLLGATE_ADMIN_TOKEN
        ? [['Admin token', 'from TOLLGATE_ADMIN_TOKEN']]
        : [['Admin token', 'printed at the first start (or set TOLLGATE_ADMIN_TOKEN)']]),
    '',
    'Ctrl-C to stop',
  ]);
}

function splitHostPort(address) {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match) fail(`TEMPORAL_ADDRESS=${address}: expected host:port`);
  return [match[1], Number(match[2])];
}

const only = parseCli();
(only ? runOne(only) : runAll()).catch((err) => {
  reportFailure(err);
  if (only) process.exit(1);
  else void shutdown(1, 'start-up failed: stopping what was started');
});
