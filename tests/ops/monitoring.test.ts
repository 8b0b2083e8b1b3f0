/**
 * The monitoring files in docs/ against the code: the alert rules pass `promtool check rules` and
 * their own unit tests (`promtool test rules`), the Prometheus config is valid, and every query of
 * the Grafana dashboard parses and names only metrics Tollgate (or prom-client's process metrics)
 * defines. That the Temporal SDK's names exist is checked against a real scrape in
 * tests/e2e/metrics.test.ts.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { tollgateMetricNames } from '../../runtime/metrics';
import { dashboardQueries, metricNamesIn, type Dashboard } from '../helpers/monitoring';

const run = promisify(execFile);
const PROMTOOL = process.env.PROMTOOL_PATH || '/usr/bin/promtool';
const DOCS = join(__dirname, '..', '..', 'docs');

async function promtool(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd, timeout: 30_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error(`promtool not found at ${PROMTOOL}: apt-get install prometheus, or set PROMTOOL_PATH`, { cause: err });
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err });
  }
}

/** Names a query may use: Tollgate's, their histogram series, prom-client's process metrics, `up`. */
function knownNames(): Set<string> {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const names = new Set(['up']);
  for (const name of [...tollgateMetricNames(), ...defaults.getMetricsAsArray().map((m) => m.name)]) {
    for (const suffix of ['', '_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

describe('alert rules (docs/prometheus/alerts.yml)', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool(['check', 'rules', join(DOCS, 'prometheus', 'alerts.yml')])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (alerts.test.yml)', async () => {
    expect(await promtool(['test', 'rules', 'alerts.test.yml'], join(DOCS, 'prometheus'))).toContain('SUCCESS');
  });

  it('name only metrics that exist (Temporal SDK metrics aside)', () => {
    const rules = parse(readFileSync(join(DOCS, 'prometheus', 'alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const known = knownNames();
    const names = rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNamesIn(r.expr)));
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !n.startsWith('temporal_') && !known.has(n))).toEqual([]);
  });
});

describe('Prometheus config (docs/prometheus/prometheus.yml)', () => {
  it('passes promtool check config, with its rule file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-prom-'));
    const token = join(dir, 'metrics-token');
    writeFileSync(token, 'x'.repeat(24));
    // The compose file writes the token to /prometheus; here it is a temporary file.
    const config = readFileSync(join(DOCS, 'prometheus', 'prometheus.yml'), 'utf8').replaceAll('/prometheus/metrics-token', token);
    writeFileSync(join(dir, 'prometheus.yml'), config);
    copyFileSync(join(DOCS, 'prometheus', 'alerts.yml'), join(dir, 'alerts.yml'));
    const out = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(out).toMatch(/SUCCESS/);
    expect(out).not.toMatch(/FAILED/);
  });
});

describe('Grafana dashboard (docs/grafana/tollgate.json)', () => {
  const queries = dashboardQueries(JSON.parse(readFileSync(join(DOCS, 'grafana', 'tollgate.json'), 'utf8')) as Dashboard);

  it('has queries on every part: rollouts, targets, API, worker', () => {
    const names = new Set(queries.flatMap((q) => metricNamesIn(q.expr)));
    for (const name of [
      'tollgate_rollouts',
      'tollgate_time_to_detect_seconds_bucket',
      'tollgate_time_to_safety_seconds_bucket',
      'tollgate_probe_outcomes_total',
      'tollgate_notification_latency_seconds_bucket',
      'tollgate_http_requests_total',
      'temporal_num_pollers',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('names only metrics that exist (Temporal SDK metrics aside)', () => {
    const known = knownNames();
    const unknown = queries.flatMap((q) =>
      metricNamesIn(q.expr)
        .filter((n) => !n.startsWith('temporal_') && !known.has(n))
        .map((n) => `${q.panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it('every query parses as PromQL (promtool, as recording rules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-grafana-'));
    const rules = {
      groups: [
        {
          name: 'grafana',
          rules: queries.map((q, i) => ({
            record: `grafana:query_${i}`,
            // Grafana's own range variables, as Grafana would fill them in.
            expr: q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h'),
          })),
        },
      ],
    };
    writeFileSync(join(dir, 'rules.yml'), stringify(rules));
    expect(await promtool(['check', 'rules', join(dir, 'rules.yml')])).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
