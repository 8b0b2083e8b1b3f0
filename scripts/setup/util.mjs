// Paths, logging, failures and small network and file helpers shared by every setup step.
// Node built-ins only: these modules run before node_modules exists.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_DIR = path.join(REPO_ROOT, 'dist');
export const WORKFLOW_BUNDLE = path.join(DIST_DIR, 'workflow-bundle.js');

/** How often a long step (a build, a wait for a lock) says it is still at it. */
export const PROGRESS_INTERVAL_MS = 15_000;

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

export function isExecutable(file) {
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

export function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The last `lines` lines of a log file, or an empty string. */
export function tailOf(file, lines) {
  const text = readIfExists(file);
  return text ? text.split('\n').slice(-lines).join('\n') : '';
}
