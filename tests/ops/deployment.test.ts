/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: `docker-compose config`
 * (Debian's docker-compose) parses and validates the file, and the resolved services must be the
 * stack docs/observability.md describes; the image runs as non-root with the workflow bundle prebuilt.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
const COMPOSE = process.env.DOCKER_COMPOSE_PATH || '/usr/bin/docker-compose';
const ROOT = join(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: (string | { source?: string; target?: string })[];
  depends_on?: Record<string, { condition?: string }> | string[];
}

async function compose(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const { TOLLGATE_METRICS_TOKEN: _drop, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(COMPOSE, ['-f', join(ROOT, 'docker-compose.yml'), ...args], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error(`docker-compose not found at ${COMPOSE}: apt-get install docker-compose, or set DOCKER_COMPOSE_PATH`, { cause: err });
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

const TOKEN = { TOLLGATE_METRICS_TOKEN: 'compose-check-token-0123456789' };

describe('docker-compose.yml', () => {
  // Read as written (anchors and merge keys resolved); `docker-compose config -q` below validates it.
  const services = (parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> })
    .services;

  it('passes docker-compose config -q', async () => {
    expect(await compose(['config', '-q'], TOKEN)).toEqual({ code: 0, out: '' });
  }, 60_000);

  it('refuses to start without the scrape token, naming it', async () => {
    const r = await compose(['config', '-q'], {});
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('TOLLGATE_METRICS_TOKEN');
  }, 60_000);

  it('runs the Temporal server 1.29 on PostgreSQL, with its UI and schema set up first', () => {
    expect(services.temporal?.image).toMatch(/^temporalio\/server:1\.29\.\d+$/);
    expect(services.temporal?.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(services.postgresql?.image).toMatch(/^postgres:\d+/);
    expect(services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:1\.29\.\d+/);
    expect(services.temporal?.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
  });

  it('keeps Redis in an append-only file', () => {
    const command = ([] as string[]).concat(services.redis?.command ?? []).map(String);
    expect(command.join(' ')).toContain('--appendonly yes');
  });

  it('builds the API and the worker from the Dockerfile, and Prometheus scrapes both with the alert rules', () => {
    expect(services.api?.build).toBeDefined();
    expect(services.worker?.build).toBeDefined();
    expect(services.prometheus?.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    const mounted = (services.prometheus?.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(mounted.some((v) => v.includes('docs/prometheus') && v.includes('/etc/prometheus'))).toBe(true);

    // The scrape targets are these services on the ports they listen on.
    const config = parse(readFileSync(join(ROOT, 'docs', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s.static_configs[0]?.targets[0]]));
    expect(targets['tollgate-api']).toBe(`api:${services.api?.environment?.PORT}`);
    expect(targets['tollgate-worker']).toBe(`worker:${services.worker?.environment?.TOLLGATE_METRICS_PORT}`);
    expect(config.rule_files).toContain('alerts.yml');
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const finalStage = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));

  it('runs as a user other than root', () => {
    const user = finalStage.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
  });

  it('ships the workflow bundle built in the build stage, and points the worker at it', () => {
    expect(finalStage).toContain('COPY --from=build /app/dist ./dist');
    // scripts/build.mjs writes the bundle to dist/workflow-bundle.js (scripts/setup/util.mjs WORKFLOW_BUNDLE).
    expect(readFileSync(join(ROOT, 'scripts', 'setup', 'util.mjs'), 'utf8')).toContain("path.join(DIST_DIR, 'workflow-bundle.js')");
    expect(finalStage).toContain('ENV TOLLGATE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js');
  });
});
