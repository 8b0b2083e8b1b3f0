/**
 * A real Redis Cluster on this machine: three masters (`redis-server --cluster-enabled yes`) on free
 * ports in a temporary directory, joined by `redis-cli --cluster create`, without replicas and
 * without persistence. Stopping it removes everything it wrote.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createRedis } from '../../runtime/redis';
import { waitFor } from './env';
import { freePort } from './processes';

const run = promisify(execFile);
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';
/** Joining three empty masters takes a second or two; a loaded machine gets ten times that. */
const READY_TIMEOUT_MS = 30_000;

interface Node {
  port: number;
  proc: ChildProcess;
}

export class LocalRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  private nodes: Node[] = [];

  constructor(private readonly masters = 3) {}

  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  get nodeList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.masters; i++) {
      // The cluster bus gets a port of its own (cluster-port), not the default port + 10000.
      const [port, busPort] = [await freePort(), await freePort()];
      const dir = join(this.dir, String(port));
      mkdirSync(dir);
      const args = ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000');
      args.push('--save', '', '--appendonly', 'no');
      const proc = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
      process.once('exit', () => proc.kill('SIGKILL'));
      this.nodes.push({ port, proc });
    }
    for (const n of this.nodes) await this.untilNode(n.port, async (r) => (await r.ping()) === 'PONG');
    await run(REDIS_CLI, ['--cluster', 'create', ...this.nodeList.split(','), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: READY_TIMEOUT_MS,
    });
    for (const n of this.nodes) {
      await this.untilNode(n.port, async (r) => String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
  }

  private untilNode(port: number, ok: (r: ReturnType<typeof createRedis>) => Promise<boolean>): Promise<boolean> {
    return waitFor(
      `redis cluster node on ${port}`,
      async () => {
        const r = createRedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0 });
        r.on('error', () => undefined);
        try {
          return await ok(r);
        } finally {
          r.disconnect();
        }
      },
      READY_TIMEOUT_MS,
      100,
    );
  }

  /** A cluster client, for the test's own reads. */
  client(): Cluster {
    return new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.proc.exitCode !== null || n.proc.signalCode !== null) return resolve();
            n.proc.once('exit', () => resolve());
            n.proc.kill('SIGTERM');
          }),
      ),
    );
    this.nodes = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}
