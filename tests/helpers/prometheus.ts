/**
 * A private Prometheus server for a test: Debian's binary (PROMETHEUS_PATH, which `npm test`
 * installs when missing), on a free loopback port, with its own data directory, scraping the given
 * targets' /metrics every second. Stopped (and its directory removed) by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './env';

export interface PrometheusServer {
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); safe to call twice. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function prometheusPath(): string {
  const path = process.env.PROMETHEUS_PATH;
  if (!path) throw new Error('PROMETHEUS_PATH is empty: run the tests with `npm test`, which installs Debian’s prometheus when missing');
  return path;
}

/** Starts Prometheus scraping `hosts` (`127.0.0.1:port`) and waits until it is ready and has scraped each once. */
export async function startPrometheus(hosts: readonly string[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: fleet',
    '    scrape_interval: 1s',
    '    scrape_timeout: 900ms',
    '    static_configs:',
    `      - targets: [${hosts.map((host) => `'${host}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    prometheusPath(),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await waitFor(
      'prometheus to scrape every target',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${stderr}`);
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('up')}`).catch(() => null);
        if (!res?.ok) return false;
        const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
        return body.data.result.length === hosts.length && body.data.result.every((series) => series.value[1] === '1');
      },
      30_000,
      200,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
