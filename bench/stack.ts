/**
 * The processes a bench run measures: Tollgate's API and worker(s) as `npm run api` / `npm run
 * worker` start them (dist/ builds), each its own node process, plus their memory read from /proc.
 * With BENCH_CPU_PROF=<dir> each is started under `node --cpu-prof` and writes its profile on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface StackEnv {
  temporalAddress: string;
  redisUrl: string;
  prefix: string;
  taskQueue: string;
  adminToken: string;
  workflowBundle: string | undefined;
  dist: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Resident set size of a process, MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export class ServiceProc {
  private readonly out: string[] = [];
  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.out.push(d.toString());
      if (this.out.length > 500) this.out.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
  get pid(): number {
    return this.child.pid ?? -1;
  }
  text(): string {
    return this.out.join('');
  }
  async until(marker: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.text().includes(marker)) {
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited: ${this.text().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${this.label} did not print "${marker}" within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** SIGTERM (a graceful stop writes the CPU profile), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  }
}

export function profileArgs(label: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${label}.cpuprofile`] : [];
}

export class BenchStack {
  readonly workers: ServiceProc[] = [];
  api?: ServiceProc;
  apiUrl = '';

  constructor(readonly env: StackEnv) {}

  private spawn(label: string, script: string, extra: Record<string, string>): ServiceProc {
    const e = this.env;
    const child = spawn(process.execPath, [...profileArgs(label), join(e.dist, script)], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: e.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        REDIS_URL: e.redisUrl,
        TOLLGATE_REDIS_PREFIX: e.prefix,
        TOLLGATE_TASK_QUEUE: e.taskQueue,
        ...(e.workflowBundle ? { TOLLGATE_WORKFLOW_BUNDLE: e.workflowBundle } : {}),
        // The load client is one address: the API's per-client limits stay out of the measurement.
        TOLLGATE_RATE_MUTATIONS: '1000000',
        TOLLGATE_RATE_READS: '1000000',
        TOLLGATE_RATE_STREAMS: '1000000',
        TOLLGATE_MAX_STREAMS_PER_CLIENT: '1000',
        // Several workers run on this one host: each /metrics listener takes a free port.
        TOLLGATE_METRICS_PORT: '0',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProc(label, child);
  }

  async startWorker(): Promise<ServiceProc> {
    const p = this.spawn(`worker-${this.workers.length + 1}`, 'worker/main.js', { TOLLGATE_SHUTDOWN_GRACE_MS: '2000' });
    this.workers.push(p);
    await p.until('worker polling');
    return p;
  }

  async startApi(): Promise<ServiceProc> {
    const port = await freePort();
    this.apiUrl = `http://127.0.0.1:${port}`;
    this.api = this.spawn('api', 'api/server.js', { PORT: String(port), HOST: '127.0.0.1', TOLLGATE_ADMIN_TOKEN: this.env.adminToken });
    await this.api.until('api listening');
    return this.api;
  }

  async stopWorkers(keep: number): Promise<void> {
    while (this.workers.length > keep) await this.workers.pop()!.stop();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.stop()), this.api?.stop()]);
  }
}
