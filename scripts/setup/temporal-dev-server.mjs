// The Temporal dev server (`temporal server start-dev`, or the SDK's download when there is no CLI).

import fs from 'node:fs';
import path from 'node:path';

import { describeExit, hasExited, spawnTracked, stopProcess } from './processes.mjs';
import { REPO_ROOT, fail, freePort, isPortFree, log, prefixLines, since, tailOf, waitForTcp } from './util.mjs';

// The CLI dev server opens its gRPC port within a few seconds; a minute covers a cold, busy 2-core box.
export const TEMPORAL_READY_TIMEOUT_MS = 60_000;
// Without a CLI the SDK downloads one before starting it; give that download its own allowance.
const SDK_DOWNLOAD_ALLOWANCE_MS = 180_000;
const TEMPORAL_STOP_GRACE_MS = 10_000;

// Used when there is no CLI: the SDK starts a dev server, downloading the CLI itself, and this child
// stays up until it is told to stop. Options arrive as JSON in TOLLGATE_DEV_SERVER.
const SDK_DEV_SERVER_SCRIPT = `
const { TestWorkflowEnvironment } = require('@temporalio/testing');
const server = JSON.parse(process.env.TOLLGATE_DEV_SERVER);
(async () => {
  const env = await TestWorkflowEnvironment.createLocal({ server });
  console.log('dev server started by the Temporal SDK on ' + server.ip + ':' + server.port);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await env.teardown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => {}, 1 << 30);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

/**
 * Starts `temporal server start-dev` (in memory, or in `dbFilename` so workflows survive a restart)
 * and resolves once its gRPC port accepts connections. With `cli` null, the Temporal SDK runs the
 * server instead. Output goes to `logFile` when given, else to the console prefixed `[temporal]`.
 */
export async function startTemporalDevServer({ cli, port, uiPort, dbFilename, namespace = 'default', headless = false, logFile } = {}) {
  port ??= await freePort();
  if (!headless) uiPort ??= port + 1000;
  for (const [p, what] of [[port, 'gRPC'], ...(headless ? [] : [[uiPort, 'UI']])]) {
    if (!(await isPortFree(p))) fail(`port ${p} (Temporal ${what}) is already in use`);
  }
  if (dbFilename) {
    dbFilename = path.resolve(dbFilename);
    fs.mkdirSync(path.dirname(dbFilename), { recursive: true });
  }

  let command;
  let args;
  let env = process.env;
  if (cli) {
    command = cli;
    args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--log-level', 'warn'];
    if (headless) args.push('--headless');
    else args.push('--ui-port', String(uiPort));
    if (dbFilename) args.push('--db-filename', dbFilename);
  } else {
    command = process.execPath;
    args = ['-e', SDK_DEV_SERVER_SCRIPT];
    const server = { ip: '127.0.0.1', port, ui: !headless, namespace };
    if (!headless) server.uiPort = uiPort;
    if (dbFilename) server.dbFilename = dbFilename;
    env = { ...process.env, TOLLGATE_DEV_SERVER: JSON.stringify(server) };
  }

  let stdio = ['ignore', 'pipe', 'pipe'];
  let logFd;
  if (logFile) {
    fs.mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
    logFd = fs.openSync(logFile, 'a');
    stdio = ['ignore', logFd, logFd];
  }
  const child = spawnTracked(command, args, { cwd: REPO_ROOT, env, stdio, detached: true });
  let output = null;
  if (logFd !== undefined) fs.closeSync(logFd);
  else output = prefixLines(child, 'temporal');
  const stop = () => {
    // Its pollers log a warning each as they are cut off; a full log file keeps them.
    output?.mute();
    return stopProcess(child, TEMPORAL_STOP_GRACE_MS, 'Temporal dev server');
  };

  const timeoutMs = TEMPORAL_READY_TIMEOUT_MS + (cli ? 0 : SDK_DOWNLOAD_ALLOWANCE_MS);
  const exited = new Promise((_, reject) => {
    child.once('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`exited before it was ready (${describeExit(code, signal)})`)));
  });
  exited.catch(() => {});
  const t0 = Date.now();
  try {
    await Promise.race([waitForTcp('127.0.0.1', port, timeoutMs), exited]);
    if (!headless) await Promise.race([waitForTcp('127.0.0.1', uiPort, Math.max(1_000, timeoutMs - (Date.now() - t0))), exited]);
    // A port that answered for another process while ours was dying must not count as ready.
    if (hasExited(child)) throw new Error(`exited before it was ready (${describeExit(child.exitCode, child.signalCode)})`);
  } catch (err) {
    await stop();
    const hint = cli ? '' : ' (no CLI: the SDK had to download one; set TEMPORAL_CLI or install Go to build it)';
    const detail = logFile
      ? `${err.message}; its log, ${logFile}, ends with:\n${tailOf(logFile, 20)}`
      : `${err.message}; see the [temporal] lines above`;
    fail(`Temporal dev server on 127.0.0.1:${port} did not start${hint}: ${detail}`);
  }

  const address = `127.0.0.1:${port}`;
  const uiUrl = headless ? null : `http://localhost:${uiPort}`;
  log(
    'temporal',
    `dev server ready at ${address} in ${since(t0)} (${dbFilename ? `data in ${dbFilename}` : 'in memory'}` +
      `${uiUrl ? `, UI ${uiUrl}` : ''}${cli ? '' : ', started by the SDK'})`,
  );
  return { address, uiUrl, process: child, stop };
}
