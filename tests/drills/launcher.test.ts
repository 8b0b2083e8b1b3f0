/**
 * Drill 8: a launcher killed outright (SIGKILL: the OOM killer, a container runtime past its stop
 * timeout, an operator) leaves no Tollgate process behind. `npm run worker`, `npm run api` and
 * `npm start` each start their processes in groups of their own; the reaper they start with their
 * first child stops what they leave when they die.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnv, uniqueName, waitFor } from '../helpers/env';
import { freePort, Proc, report } from '../helpers/processes';

const REPO_ROOT = join(__dirname, '..', '..');
const env = testEnv();

/** pid → parent pid, for every process on the machine (from /proc). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the fields after it are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function descendants(pid: number): number[] {
  const all = parents();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [child, parent] of all) {
      if (parent === p && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead: it only waits for its parent to read its status.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
});

async function launch(args: string[], extraEnv: Record<string, string>, ready: string | RegExp): Promise<Proc> {
  const name = uniqueName('launcher');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'start.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.temporalAddress,
      REDIS_URL: env.redisUrl,
      TOLLGATE_TASK_QUEUE: name,
      TOLLGATE_REDIS_PREFIX: `${name}:`,
      TOLLGATE_REAPER_GRACE_MS: '5000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  const proc = new Proc(args.join(' ') || 'npm start', child);
  await proc.until(ready, 90_000);
  return proc;
}

/** SIGKILLs the launcher, then waits until every process it had started is gone. */
async function killAndCount(proc: Proc, what: string): Promise<{ count: number; ms: number }> {
  const before = descendants(proc.pid).filter(alive);
  const named = before.map(commandOf).filter((c) => c.includes('dist/') || c.includes('temporal') || c.includes('redis-server'));
  expect(named.length).toBeGreaterThan(0);
  const t0 = Date.now();
  process.kill(proc.pid, 'SIGKILL');
  await waitFor(`every process ${what} started to end`, async () => before.every((pid) => !alive(pid)), 30_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}; still running: ${before.filter(alive).map(commandOf).join(' | ')}`);
  });
  return { count: before.length, ms: Date.now() - t0 };
}

describe('drill 8: a launcher killed with SIGKILL leaves nothing running', () => {
  it('npm run worker', async () => {
    const proc = await launch(['--only', 'worker'], {}, 'worker polling');
    const r = await killAndCount(proc, 'npm run worker');
    report(8, `npm run worker: ${r.count} processes gone ${r.ms} ms after the launcher's SIGKILL`);
  }, 120_000);

  it('npm run api (its port is free again)', async () => {
    const port = await freePort();
    const proc = await launch(['--only', 'api'], { PORT: String(port), HOST: '127.0.0.1' }, 'api listening');
    const r = await killAndCount(proc, 'npm run api');
    await waitFor('the port to be free', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null)) === null, 10_000);
    report(8, `npm run api: ${r.count} processes gone ${r.ms} ms after the launcher's SIGKILL`);
  }, 120_000);

  it('npm start (worker, API, Temporal dev server and a private Redis)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-launcher-'));
    try {
      const [port, temporalPort, uiPort, redisPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const proc = await launch(
        [],
        {
          PORT: String(port),
          TEMPORAL_PORT: String(temporalPort),
          TEMPORAL_UI_PORT: String(uiPort),
          // Nothing answers there: npm start starts a private redis-server, which must go too.
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          TOLLGATE_DATA_DIR: dataDir,
          TEMPORAL_ADDRESS: '',
        },
        'Tollgate is running',
      );
      const r = await killAndCount(proc, 'npm start');
      report(8, `npm start: ${r.count} processes gone ${r.ms} ms after the launcher's SIGKILL`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
