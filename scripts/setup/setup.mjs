// Provisioning shared by the launcher scripts (build, start, test): npm dependencies, the compiled
// TypeScript and workflow bundle, the Temporal CLI, Redis and a Temporal dev server.
// Node built-ins only: this module runs before node_modules exists.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_DIR = path.join(REPO_ROOT, 'dist');
export const WORKFLOW_BUNDLE = path.join(DIST_DIR, 'workflow-bundle.js');

// The one place the Temporal CLI version is pinned; the cache directory name carries it, so a bump
// builds a fresh binary beside the old one instead of reusing it.
export const TEMPORAL_CLI_VERSION = '1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const GO_FALLBACK = '/usr/local/go/bin/go';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

// The CLI dev server opens its gRPC port within a few seconds; a minute covers a cold, busy 2-core box.
export const TEMPORAL_READY_TIMEOUT_MS = 60_000;
// Without a CLI the SDK downloads one before starting it; give that download its own allowance.
const SDK_DOWNLOAD_ALLOWANCE_MS = 180_000;
const TEMPORAL_STOP_GRACE_MS = 10_000;
const REDIS_STOP_GRACE_MS = 5_000;
const REDIS_READY_TIMEOUT_MS = 10_000;
const REDIS_PROBE_TIMEOUT_MS = 2_000;
const PROGRESS_INTERVAL_MS = 15_000;

// Build inputs: these directories plus whatever tsconfig.build.json includes, so a directory added
// to the build is also added to the up-to-date check.
const SOURCE_DIRS = ['domain', 'store', 'workflows', 'activities', 'worker', 'api', 'cli', 'web'];
const BUILD_CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/bundle-workflows.cjs'];

// ---------------------------------------------------------------------------------------------
// Small utilities

export function log(step, msg) {
  console.log(`[tollgate] ${step.padEnd(8)} ${msg}`);
}

/** Seconds since `t0` (a Date.now() value), for progress lines. */
export function since(t0) {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An expected failure whose message says everything (a port in use, a failed compile): the scripts
 * print it without a stack. Recognised by `code`, not by class.
 */
export function fail(message) {
  const err = new Error(message);
  err.code = 'TollgateSetup';
  throw err;
}

export function reportFailure(err) {
  if (err && err.code === 'TollgateSetup') log('error', err.message);
  else log('error', err && err.stack ? err.stack : String(err));
}

/**
 * Streams a child's stdout and stderr line by line, each line prefixed with `[name]`. The returned
 * `mute()` drops further lines, for a server whose shutdown chatter is only noise.
 */
export function prefixLines(child, name) {
  let muted = false;
  const pipe = (stream, out) => {
    if (!stream) return;
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      if (!muted) out.write(`[${name}] ${line}\n`);
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  return {
    mute: () => {
      muted = true;
    },
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tryConnect(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves once `host:port` accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForTcp(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tryConnect(host, port, 1_000)) return;
    if (Date.now() >= deadline) {
      throw new Error(`${host}:${port} did not accept connections within ${Math.round(timeoutMs / 1000)}s`);
    }
    await sleep(250);
  }
}

/**
 * True when `port` is free on loopback. Connecting catches any listener reachable there (including
 * one on 0.0.0.0); binding also catches a socket that holds the port without listening yet.
 */
export async function isPortFree(port) {
  if (await tryConnect('127.0.0.1', port, 1_000)) return false;
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes
//
// Long-running services are started in their own process group (`detached`), so that a Ctrl-C in
// the terminal reaches only the launcher, which then stops them in order (API before worker before
// Temporal), and so that stopping one also stops anything it started (the SDK's server download).
// Whatever is still alive when the launcher exits (normally, through a handled signal or on an
// uncaught error) is killed here.

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

function hasExited(child) {
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

function run(command, args, options = {}) {
  const child = spawnTracked(command, args, { cwd: REPO_ROOT, stdio: 'inherit', ...options });
  return exitCode(child).catch((err) => fail(`could not run ${command}: ${err.message}`));
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function which(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, command))) return path.join(dir, command);
  }
  return null;
}

function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Dependencies and build

/** sha256 over each file's repo-relative path and contents; a missing file counts as a distinct value. */
function hashFiles(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(REPO_ROOT, file).split(path.sep).join('/'));
    hash.update('\0');
    try {
      hash.update(fs.readFileSync(file));
      hash.update('\0');
    } catch {
      hash.update('\0missing\0');
    }
  }
  return hash.digest('hex');
}

/** Every file under `dir` (or `dir` itself if it is a file), skipping installed packages and generated output. */
function listFiles(dir) {
  const out = [];
  const walk = (current) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(full);
      } else if (entry.isFile()) out.push(full);
    }
  };
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat?.isDirectory()) walk(dir);
  else if (stat?.isFile()) out.push(dir);
  return out;
}

export async function ensureDeps() {
  const nodeModules = path.join(REPO_ROOT, 'node_modules');
  const stamp = path.join(nodeModules, '.tollgate-deps');
  const want = hashFiles(['package.json', 'package-lock.json'].map((f) => path.join(REPO_ROOT, f)));
  if (readIfExists(stamp) === want) {
    log('deps', 'up to date');
    return;
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'package-lock.json'))) {
    fail('package-lock.json is missing: npm ci needs it (run `npm install` once and commit the lock file)');
  }
  log('deps', fs.existsSync(nodeModules) ? 'package files changed: running npm ci…' : 'installing: running npm ci…');
  const t0 = Date.now();
  const code = await run('npm', ['ci', '--no-audit', '--no-fund']);
  if (code !== 0) fail(`npm ci failed (exit code ${code}); see its output above`);
  fs.writeFileSync(stamp, `${want}\n`);
  log('deps', `installed in ${since(t0)}`);
}

function buildSourceDirs() {
  let include = [];
  try {
    include = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')).include ?? [];
  } catch {
    // Not plain JSON (comments) or missing: tsc reports the latter; the fixed list still applies.
  }
  const dirs = include.map((entry) => entry.split(/[/*]/)[0]).filter((entry) => entry && !entry.startsWith('.'));
  return [...new Set([...SOURCE_DIRS, ...dirs])];
}

function buildInputsHash() {
  const files = buildSourceDirs()
    .flatMap((dir) => listFiles(path.join(REPO_ROOT, dir)))
    .sort();
  return hashFiles([...files, ...BUILD_CONFIG_FILES.map((f) => path.join(REPO_ROOT, f))]);
}

export async function ensureBuild() {
  const stamp = path.join(DIST_DIR, '.tollgate-build');
  // Hashed before compiling: a source edited mid-build then differs from the stamp and rebuilds next time.
  const want = buildInputsHash();
  if (readIfExists(stamp) === want && fs.existsSync(WORKFLOW_BUNDLE)) {
    log('build', 'up to date');
    return;
  }
  const tsc = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  if (!isExecutable(tsc)) fail('node_modules/.bin/tsc not found: install the dependencies first (ensureDeps)');

  // From scratch, so output of deleted or renamed sources cannot linger and be loaded.
  fs.rmSync(DIST_DIR, { recursive: true, force: true });

  log('build', 'compiling… (tsc -p tsconfig.build.json)');
  let t0 = Date.now();
  const tscCode = await run(tsc, ['-p', 'tsconfig.build.json']);
  if (tscCode !== 0) fail(`TypeScript compile failed (tsc exit code ${tscCode}) after ${since(t0)}; see the errors above`);
  log('build', `compiled in ${since(t0)}`);

  const workflowsEntry = path.join(DIST_DIR, 'workflows', 'index.js');
  if (!fs.existsSync(workflowsEntry)) {
    fail('dist/workflows/index.js was not produced: workflows/index.ts must exist and export every workflow');
  }
  log('build', 'bundling workflows…');
  t0 = Date.now();
  const bundleCode = await run(process.execPath, [
    path.join(REPO_ROOT, 'scripts', 'bundle-workflows.cjs'),
    workflowsEntry,
    WORKFLOW_BUNDLE,
  ]);
  if (bundleCode !== 0) fail(`bundling workflows failed (exit code ${bundleCode}) after ${since(t0)}; see the errors above`);
  log('build', `bundled workflows in ${since(t0)}`);

  log('build', 'building the dashboard… (web/build.mjs)');
  t0 = Date.now();
  const webCode = await run(process.execPath, [path.join(REPO_ROOT, 'web', 'build.mjs')]);
  if (webCode !== 0) fail(`building the dashboard failed (exit code ${webCode}) after ${since(t0)}; see the errors above`);
  log('build', `built the dashboard in ${since(t0)}`);

  fs.writeFileSync(stamp, `${want}\n`);
}

// ---------------------------------------------------------------------------------------------
// Temporal CLI

export function temporalCliCachePath() {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'tollgate', `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/**
 * Absolute path of a Temporal CLI, or null when there is none and Go is not there to build one (the
 * caller then lets the SDK download a server). Order: $TEMPORAL_CLI, `temporal` on PATH, the pinned
 * build in the cache, a fresh build of the pinned version with Go.
 */
export async function ensureTemporalCli({ allowBuild = true } = {}) {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const cli = path.resolve(fromEnv);
    if (!isExecutable(cli)) fail(`TEMPORAL_CLI=${fromEnv}: no executable file there`);
    log('temporal', `CLI ${cli} (from TEMPORAL_CLI)`);
    return cli;
  }
  const onPath = which('temporal');
  if (onPath) {
    log('temporal', `CLI ${onPath} (on PATH)`);
    return onPath;
  }
  const cached = temporalCliCachePath();
  if (isExecutable(cached)) {
    log('temporal', `CLI ${cached}`);
    return cached;
  }
  const go = which('go') ?? (isExecutable(GO_FALLBACK) ? GO_FALLBACK : null);
  if (!go || !allowBuild) {
    log('temporal', `no Temporal CLI found${go ? '' : ' and no Go to build one'}: the Temporal SDK will download a dev server`);
    return null;
  }
  return buildTemporalCli(go, cached);
}

async function buildTemporalCli(go, target) {
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  const release = await acquireLock(path.join(dir, '.build.lock'));
  let removeGobin = null;
  try {
    if (isExecutable(target)) {
      log('temporal', `CLI ${target} (built by another process meanwhile)`);
      return target;
    }
    // We hold the lock, so any build directory left here belongs to an interrupted build.
    for (const entry of fs.readdirSync(dir)) {
      if (entry.startsWith('.build-')) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    const gobin = fs.mkdtempSync(path.join(dir, '.build-'));
    removeGobin = () => fs.rmSync(gobin, { recursive: true, force: true });
    process.on('exit', removeGobin);
    log(
      'temporal',
      `no Temporal CLI found: building v${TEMPORAL_CLI_VERSION} with Go (${go}). ` +
        `This is a one-time build of about 3 minutes that leaves ~250 MB in ${dir}.`,
    );
    const t0 = Date.now();
    // Go's work directory (a few hundred MB) goes inside ours too, so an interrupted build leaves
    // nothing in /tmp: the cleanup on exit, or the next build, removes it with the rest.
    const gotmp = path.join(gobin, 'tmp');
    fs.mkdirSync(gotmp);
    const child = spawnTracked(go, ['install', `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`], {
      cwd: dir,
      env: { ...process.env, GOBIN: gobin, GOTMPDIR: gotmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(child, 'go');
    const progress = setInterval(() => log('temporal', `still building… ${Math.round((Date.now() - t0) / 1000)}s`), PROGRESS_INTERVAL_MS);
    let code;
    try {
      code = await exitCode(child);
    } catch (err) {
      fail(`could not run ${go}: ${err.message}`);
    } finally {
      clearInterval(progress);
    }
    const built = path.join(gobin, 'temporal');
    if (code !== 0 || !isExecutable(built)) {
      fail(
        `building the Temporal CLI failed (go install exit code ${code}); see the [go] lines above. ` +
          'Set TEMPORAL_CLI to an existing temporal binary to skip the build.',
      );
    }
    // Same directory, so the rename is atomic: nobody ever sees a partial binary at `target`.
    fs.renameSync(built, target);
    log('temporal', `built in ${since(t0)}: ${target}`);
    return target;
  } finally {
    if (removeGobin) {
      removeGobin();
      process.off('exit', removeGobin);
    }
    release();
  }
}

/**
 * A directory lock (mkdir is atomic) holding the owner's pid. A lock whose owner is dead is
 * taken over, since a Ctrl-C during a build ends the process without running cleanup.
 */
export async function acquireLock(lockDir, what = 'the Temporal CLI') {
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

// ---------------------------------------------------------------------------------------------
// Redis

function parseRedisUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    fail(`REDIS_URL=${url} is not a URL (expected redis://[:password@]host:port[/db])`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    fail(`REDIS_URL=${redactUrl(url)}: expected a redis:// or rediss:// URL`);
  }
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: Number(u.port || 6379),
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    tls: u.protocol === 'rediss:',
    db: u.pathname,
  };
}

/** The URL with its password masked, for logs. */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function respCommand(...args) {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * One raw exchange with whatever listens at the target. Resolves 'ok' when it is a Redis we can use,
 * 'auth-failed' when it is Redis but refuses the URL's credentials, or 'unreachable' with a reason.
 */
function probeRedis(target) {
  return new Promise((resolve) => {
    const commands = [];
    if (target.password) {
      commands.push(target.username ? respCommand('AUTH', target.username, target.password) : respCommand('AUTH', target.password));
    }
    commands.push('PING\r\n');
    const expectedLines = commands.length;
    let buffer = '';
    let settled = false;
    const socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect({ host: target.host, port: target.port });
    const finish = (state, detail) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ state, detail });
    };
    socket.setTimeout(REDIS_PROBE_TIMEOUT_MS, () => finish('unreachable', 'no answer'));
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(commands.join('')));
    socket.once('error', (err) => finish('unreachable', err.code ?? err.message));
    socket.once('close', () => finish('unreachable', 'connection closed'));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const lines = buffer.split('\r\n');
      if (lines.length <= expectedLines) return;
      const ping = lines[expectedLines - 1];
      if (ping === '+PONG') finish('ok');
      else if (ping.startsWith('-NOAUTH')) {
        // Redis asks for a password: one we sent was wrong, or the URL has none and the app will say so.
        if (target.password) finish('auth-failed', lines[0].slice(1));
        else finish('ok');
      } else if (ping.startsWith('-LOADING')) finish('ok');
      else if (ping.startsWith('-WRONGPASS') || ping.startsWith('-ERR invalid')) finish('auth-failed', ping.slice(1));
      else finish('unreachable', `not Redis? it answered ${JSON.stringify(ping.slice(0, 60))}`);
    });
  });
}

/**
 * A Redis the app can use: the one at `url` when it answers, else a private throwaway redis-server
 * on a free port (no persistence, own temp dir) that `stop()` ends. `started` says which.
 */
export async function ensureRedis({ url = process.env.REDIS_URL || DEFAULT_REDIS_URL } = {}) {
  const target = parseRedisUrl(url);
  const probe = await probeRedis(target);
  if (probe.state === 'ok') {
    log('redis', `using ${redactUrl(url)}`);
    return { url, started: false, stop: async () => {} };
  }
  if (probe.state === 'auth-failed') {
    fail(`Redis at ${target.host}:${target.port} refuses the credentials in REDIS_URL (${probe.detail})`);
  }
  const server = which('redis-server');
  if (!server) {
    fail(
      `no Redis answers at ${redactUrl(url)} (${probe.detail}) and redis-server is not installed: ` +
        'start Redis there, or set REDIS_URL to one that runs (e.g. REDIS_URL=redis://127.0.0.1:6379)',
    );
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-redis-'));
  log('redis', `nothing answers at ${redactUrl(url)} (${probe.detail}): starting a private redis-server on port ${port}`);
  // Its start-up banner and kernel-tuning warnings are noise here; the log is shown if it fails to start.
  const logFile = path.join(dir, 'redis.log');
  const child = spawnTracked(
    server,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', logFile],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  prefixLines(child, 'redis');
  const failStart = async (why) => {
    const tail = tailOf(logFile, 20);
    await stop();
    fail(`the private redis-server ${why}${tail ? `; its log ends with:\n${tail}` : ''}`);
  };
  const stop = async () => {
    await stopProcess(child, REDIS_STOP_GRACE_MS, 'redis-server');
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const privateTarget = { host: '127.0.0.1', port, username: '', password: '', tls: false };
  const deadline = Date.now() + REDIS_READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited(child)) await failStart(`exited at start (${describeExit(child.exitCode, child.signalCode)})`);
    if ((await probeRedis(privateTarget)).state === 'ok') break;
    if (Date.now() >= deadline) await failStart(`did not answer PING within ${REDIS_READY_TIMEOUT_MS / 1000}s`);
    await sleep(100);
  }
  const privateUrl = `redis://127.0.0.1:${port}${target.db && target.db !== '/' ? target.db : ''}`;
  log('redis', `private redis-server ready at ${privateUrl} (pid ${child.pid}, stopped on exit)`);
  return { url: privateUrl, started: true, stop };
}

// ---------------------------------------------------------------------------------------------
// Temporal dev server

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

function tailOf(file, lines) {
  const text = readIfExists(file);
  return text ? text.split('\n').slice(-lines).join('\n') : '';
}

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
