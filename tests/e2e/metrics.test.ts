/**
 * Metrics and logs of the real processes: a worker and an API (as `npm start` runs them) carry one
 * rollout to completion and roll another back; then both /metrics endpoints are scraped and the
 * values must have moved, the Temporal SDK's own metrics must be there, and the logs must be JSON
 * lines naming the rollout and the request.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { parse } from 'yaml';
import { dashboardQueries, metricNamesIn, type Dashboard } from '../helpers/monitoring';
import { Drill, type Proc } from '../helpers/processes';

const drill = new Drill('metrics');
const key = `${drill.name}-db`;
const DOCS = join(__dirname, '..', '..', 'docs');
const METRICS_TOKEN = 'metrics-scrape-secret-0123456789';
let fleet: Fleet;
let worker: Proc;
let api: Proc;

/** `name{labels} value` lines of a text exposition, as name+labels → value (summed when labels are filtered out). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) {
      total += Number(m[3]);
      found = true;
    }
  }
  return found ? total : NaN;
}

async function scrape(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

function workerMetricsUrl(): string {
  const m = /worker metrics on (http:\/\/\S+?\/metrics)/.exec(worker.text());
  if (!m) throw new Error(`no metrics URL in the worker's log:\n${worker.text().slice(-2000)}`);
  return m[1]!;
}

beforeAll(async () => {
  worker = await drill.worker({ TOLLGATE_METRICS_HOST: '127.0.0.1', TOLLGATE_METRICS_PORT: '0', TOLLGATE_METRICS_TOKEN: METRICS_TOKEN });
  api = await drill.api({ TOLLGATE_METRICS_TOKEN: METRICS_TOKEN, LOG_LEVEL: 'debug' });
  fleet = await drill.fleet({ push: 4, pull: 0, labels: { app: 'portal' }, configKeys: [key], pollMs: 100 });
}, 60_000);

afterAll(async () => {
  await drill.stop();
  await drill.dropKeys();
});

describe('metrics and logs of a real worker and API', () => {
  it('count a completed and a rolled-back rollout, their probes and applies, and the Temporal SDK', async () => {
    // Given one good change and one that makes every target unhealthy
    const good = await drill.create(makeRolloutRequest({ configKey: key, content: { pool: 1, healthy: true }, stages: fastStages(0.3) }));
    expect((await drill.untilTerminal(good.id)).state).toBe('completed');
    const bad = await drill.create(makeRolloutRequest({ configKey: key, content: { pool: 2, healthy: false }, stages: fastStages(0.3) }));
    expect((await drill.untilTerminal(bad.id)).state).toBe('rolled_back');
    await waitFor('every target back on v1', async () => fleet.targets.every((t) => t.version(key) === 1));

    // When the worker's /metrics is scraped
    const url = workerMetricsUrl();
    expect((await scrape(url)).status).toBe(401);
    const w = (await scrape(url, METRICS_TOKEN)).text;
    writeArtifact('metrics-worker.txt', w);

    // Then the rollouts, their events, applies, probes and timings are counted
    expect(sample(w, 'tollgate_rollouts_started_total')).toBe(2);
    expect(sample(w, 'tollgate_rollouts_finished_total', { outcome: 'completed' })).toBe(1);
    expect(sample(w, 'tollgate_rollouts_finished_total', { outcome: 'rolled_back' })).toBe(1);
    expect(sample(w, 'tollgate_regressions_total', { source: 'health' })).toBe(1);
    expect(sample(w, 'tollgate_rollout_events_total', { type: 'stage_completed' })).toBeGreaterThanOrEqual(3);
    // All 4 targets took the good version; the bad one reached the canary (1 target) at least.
    expect(sample(w, 'tollgate_apply_outcomes_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(5);
    expect(sample(w, 'tollgate_probe_outcomes_total', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(sample(w, 'tollgate_probe_outcomes_total', { outcome: 'http_status' })).toBeGreaterThan(0);
    expect(sample(w, 'tollgate_rollback_outcomes_total', { outcome: 'restored' })).toBeGreaterThan(0);
    expect(sample(w, 'tollgate_stage_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(sample(w, 'tollgate_time_to_detect_seconds_count', { source: 'health' })).toBe(1);
    expect(sample(w, 'tollgate_time_to_safety_seconds_count', { trigger: 'regression' })).toBe(1);
    const safety = sample(w, 'tollgate_time_to_safety_seconds_sum', { trigger: 'regression' });
    expect(safety).toBeGreaterThan(0);
    expect(safety).toBeLessThan(30);
    expect(w).toContain('# TYPE tollgate_notification_latency_seconds histogram');
    // And the Temporal SDK's own metrics come through the same scrape
    expect(sample(w, 'tollgate_temporal_sdk_metrics_up')).toBe(1);
    // A workflow completes just after its last record reaches the read model: its counter may lag.
    const sdk = await waitFor(
      'the SDK to count both workflows completed',
      async () => {
        const text = (await scrape(url, METRICS_TOKEN)).text;
        return sample(text, 'temporal_workflow_completed') >= 2 ? text : undefined;
      },
      15_000,
      200,
    );
    expect(sample(sdk, 'temporal_num_pollers', { poller_type: 'workflow_task' })).toBeGreaterThan(0);
    expect(sample(w, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    // When the API's /metrics is scraped: without a token, with the admin token, with the scrape secret
    const apiMetrics = `${drill.apiUrl}/metrics`;
    expect((await scrape(apiMetrics)).status).toBe(401);
    expect((await scrape(apiMetrics, 'not-the-secret-at-all-000000000')).status).toBe(401);
    expect((await scrape(apiMetrics, drill.adminToken)).status).toBe(200);
    const a = (await scrape(apiMetrics, METRICS_TOKEN)).text;
    writeArtifact('metrics-api.txt', a);

    // Then requests are counted by route name and status, and rollouts in flight by state (none now)
    expect(sample(a, 'tollgate_http_requests_total', { route: 'createRollout', status: '201' })).toBe(2);
    expect(sample(a, 'tollgate_http_requests_total', { route: 'getRollout', status: '200' })).toBeGreaterThan(0);
    expect(sample(a, 'tollgate_http_requests_total', { route: 'metrics', status: '401' })).toBe(2);
    expect(sample(a, 'tollgate_http_request_duration_seconds_count', { route: 'createRollout' })).toBe(2);
    expect(sample(a, 'tollgate_rollouts', { state: 'running' })).toBe(0);
    expect(a).not.toContain(good.id);

    // And every metric the dashboard and the alert rules name is in these scrapes (`up` is Prometheus's own)
    const exported = new Set(
      [...`${w}\n${a}`.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
      ),
    );
    const dashboard = dashboardQueries(JSON.parse(readFileSync(join(DOCS, 'grafana', 'tollgate.json'), 'utf8')) as Dashboard);
    const rules = parse(readFileSync(join(DOCS, 'prometheus', 'alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const named = [...dashboard.map((q) => q.expr), ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr))].flatMap(metricNamesIn);
    expect([...new Set(named)].filter((n) => n !== 'up' && !exported.has(n))).toEqual([]);

    // And the logs are JSON lines naming the rollout (worker) and the request and actor (API)
    const workerLines = jsonLines(worker.text());
    expect(workerLines.some((l) => l.rolloutId === bad.id && l.event === 'regression_detected' && l.level === 'warn')).toBe(true);
    const apiLines = jsonLines(api.text());
    const created = apiLines.find((l) => l.route === 'createRollout' && l.status === 201);
    expect(created).toMatchObject({ process: 'api', actor: expect.any(String), requestId: expect.any(String), level: 'info' });
    expect(apiLines.some((l) => l.route === 'getRollout' && l.rolloutId === good.id)).toBe(true);
  }, 120_000);
});

/** Kept in test-artifacts/ to read after the run (what a real scrape looks like). */
function writeArtifact(name: string, text: string): void {
  const dir = join(__dirname, '..', '..', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
