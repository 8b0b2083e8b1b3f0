/**
 * The full Temporal server (frontend, history, matching and worker services) on this machine's
 * PostgreSQL, for the drill that runs Tollgate past the dev server. Each instance gets databases of
 * its own (created and given the schema with Temporal's SQL tool, dropped by `dispose`), a config
 * written here with free ports, and the `default` namespace. npm test builds the binaries once
 * (scripts/setup/temporal-server.mjs) and passes their paths in the environment.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { msToTs } from '@temporalio/common/lib/time';
import { waitFor } from './env';
import { createServer } from 'node:net';

const run = promisify(execFile);

/** PostgreSQL as this machine has it: local, trust authentication. */
const PG = { host: process.env.PGHOST ?? '127.0.0.1', port: process.env.PGPORT ?? '5432', user: process.env.PGUSER ?? 'postgres' };
/** A cold server on a busy 2-core machine takes 10-20 s to serve its frontend; a loaded one much longer. */
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
/** Kept short so a namespace registered here is served within a second (the default is 10 s). */
const NAMESPACE_REFRESH = '1s';

interface Binaries {
  server: string;
  sqlTool: string;
  schemaDir: string;
}

function binariesFromEnv(): Binaries {
  const server = process.env.TEMPORAL_SERVER_BIN;
  const sqlTool = process.env.TEMPORAL_SQL_TOOL;
  const schemaDir = process.env.TEMPORAL_SERVER_SCHEMA;
  if (!server || !sqlTool || !schemaDir) {
    throw new Error(
      'TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL and TEMPORAL_SERVER_SCHEMA are not set: run this drill with `npm test`, which builds the Temporal server with Go',
    );
  }
  return { server, sqlTool, schemaDir };
}

/**
 * Free ports below 32768: the server stores its membership ports in a PostgreSQL smallint, and the
 * kernel's ephemeral ports (what port 0 gives) start at 32768.
 */
async function lowFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (ports.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) ports.add(port);
  }
  return [...ports];
}

export class TemporalOnPostgres {
  readonly database = `tollgate_temporal_${randomBytes(4).toString('hex')}`;
  readonly visibilityDatabase = `${this.database}_visibility`;
  readonly dir = mkdtempSync(join(tmpdir(), 'tollgate-temporal-server-'));
  readonly output: string[] = [];
  frontendPort = 0;
  private proc?: ChildProcess;
  private created: string[] = [];
  private readonly bin = binariesFromEnv();

  get address(): string {
    return `127.0.0.1:${this.frontendPort}`;
  }

  private sql(database: string, ...args: string[]) {
    return run(this.bin.sqlTool, ['--plugin', 'postgres12', '--ep', PG.host, '-p', PG.port, '-u', PG.user, '--db', database, ...args], {
      timeout: 120_000,
    });
  }

  /** Creates both databases and brings each to the newest schema version the server ships. */
  async setupDatabases(): Promise<void> {
    for (const [database, schema] of [
      [this.database, 'temporal'],
      [this.visibilityDatabase, 'visibility'],
    ] as const) {
      await this.sql(database, 'create-database');
      this.created.push(database);
      await this.sql(database, 'setup-schema', '-v', '0.0');
      await this.sql(database, 'update-schema', '-d', join(this.bin.schemaDir, schema, 'versioned'));
    }
  }

  private async writeConfig(): Promise<void> {
    const [frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership] =
      await lowFreePorts(9);
    this.frontendPort = frontend!;
    const datastore = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${PG.host}:${PG.port}"
        connectProtocol: tcp
        user: ${PG.user}
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
    const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
    const config = `# Written by tests/helpers/temporal-server.ts for one drill run.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${datastore(this.database, 20)}
    visibility:${datastore(this.visibilityDatabase, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${service(frontend!, frontendMembership!, frontendHttp)}
  history:${service(history!, historyMembership!)}
  matching:${service(matching!, matchingMembership!)}
  worker:${service(worker!, workerMembership!)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${frontend}
dcRedirectionPolicy:
  policy: noop
publicClient:
  hostPort: 127.0.0.1:${frontend}
dynamicConfigClient:
  filepath: ${join(this.dir, 'config', 'dynamic.yaml')}
  pollInterval: 10s
`;
    const dynamic = `system.namespaceCacheRefreshInterval:
  - value: ${NAMESPACE_REFRESH}
`;
    mkdirSync(join(this.dir, 'config'), { recursive: true });
    writeFileSync(join(this.dir, 'config', 'development.yaml'), config);
    writeFileSync(join(this.dir, 'config', 'dynamic.yaml'), dynamic);
  }

  /** Databases, config, the server process, then the `default` namespace; resolves once a client can use it. */
  async start(): Promise<void> {
    await this.setupDatabases();
    await this.writeConfig();
    const args = ['--root', this.dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'];
    this.proc = spawn(this.bin.server, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    process.once('exit', () => this.proc?.kill('SIGKILL'));
    this.proc.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    const { Connection } = await import('@temporalio/client');
    const connection = await waitFor(
      `the Temporal server's frontend on ${this.address}`,
      async () => {
        if (this.proc?.exitCode !== null) throw new Error(`temporal-server exited: ${this.tail()}`);
        const c = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
        try {
          await c.workflowService.getSystemInfo({});
          return c;
        } catch (err) {
          await c.close();
          throw err;
        }
      },
      READY_TIMEOUT_MS,
      250,
    );
    try {
      await waitFor(
        'the default namespace to be registered',
        async () => {
          try {
            await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('1 day') });
          } catch (err) {
            if (!/already exists/i.test((err as Error).message)) throw err;
          }
          return true;
        },
        READY_TIMEOUT_MS,
        250,
      );
      // Registered is not yet served: the frontend's namespace cache picks it up on its next refresh.
      await waitFor(
        'the default namespace to be served',
        async () => {
          await connection.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 1 });
          return true;
        },
        READY_TIMEOUT_MS,
        250,
      );
    } finally {
      await connection.close();
    }
  }

  tail(chars = 3_000): string {
    return this.output.join('').slice(-chars);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(killer);
  }

  /** Stops the server and drops both databases. */
  async dispose(): Promise<void> {
    await this.stop();
    for (const database of this.created.reverse()) await this.sql(database, 'drop-database', '-f');
    this.created = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}
