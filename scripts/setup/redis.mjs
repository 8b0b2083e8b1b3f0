// Redis: the one at REDIS_URL when it answers, else a private throwaway redis-server.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

import { describeExit, hasExited, spawnTracked, stopProcess } from './processes.mjs';
import { fail, freePort, log, prefixLines, sleep, tailOf, which } from './util.mjs';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const REDIS_STOP_GRACE_MS = 5_000;
const REDIS_READY_TIMEOUT_MS = 10_000;
const REDIS_PROBE_TIMEOUT_MS = 2_000;

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
