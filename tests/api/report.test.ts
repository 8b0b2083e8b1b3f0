/**
 * The incident report against the seed's outage, replayed on the real stack: a database schema
 * change that makes every request fail, rolled out to a fleet of simulated targets whose health
 * fails as soon as they load it. The report's numbers are checked against what this test saw
 * itself: when each target received the bad version and its restore, and when it first failed a
 * probe. Then the config diff route's answers and refusals, and the CLI's report and diff.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { ConfigDiff } from '../../domain/diff';
import type { IncidentReport } from '../../domain/report-schemas';
import type { Fleet } from '../../sim/fleet';
import { testEnv } from '../helpers/env';
import { startStack, type Stack } from '../helpers/stack';

/**
 * How far a recorded time may sit from what the test saw: Tollgate records an assignment just
 * before it delivers, and a restore just after; both sides run on a loaded two-core machine.
 */
const TOLERANCE_MS = 500;

let stack: Stack;
let fleet: Fleet;
let key = '';
let goodId = '';
let badId = '';

const STABLE = { db: { schemaVersion: 41, orders: { customer: 'customer_id', total: 'numeric(12,2)' } }, pool: 20 };
// The seed's outage: the schema change renames a column every query uses, so every request fails.
const BAD = { db: { schemaVersion: 42, orders: { customer: 'client_ref', total: 'numeric(12,2)' } }, pool: 20, healthy: false };

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(testEnv().dist, 'cli', 'main.js'), ...args],
      { env: { PATH: process.env.PATH, TOLLGATE_URL: stack.apiUrl, TOLLGATE_TOKEN: stack.adminToken }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startStack('report');
  key = `orders-db-${stack.taskQueue.slice(-8)}`;
  const app = `${stack.taskQueue}-orders`;
  fleet = await stack.fleet({ push: 8, pull: 0, idPrefix: stack.taskQueue, labels: { app } });
  const base = { configKey: key, targets: { selector: { app } }, onRegression: 'rollback' };

  // Given version 1 running everywhere (stable)
  goodId = (
    await stack.createRollout({
      ...base,
      content: STABLE,
      stages: [
        { name: 'half', percent: 50, bakeSeconds: 0.2 },
        { name: 'all', percent: 100, bakeSeconds: 0 },
      ],
      health: { intervalSeconds: 0.2, timeoutMs: 1000, failureThreshold: 1 },
    })
  ).id;
  await stack.untilRollout(goodId, 'completed', (r) => r.state === 'completed', 30_000);

  // When the schema change rolls out: a quarter of the fleet first, baked under probes
  badId = (
    await stack.createRollout({
      ...base,
      content: BAD,
      description: 'orders: rename customer_id to client_ref',
      stages: [
        { name: 'canary', percent: 25, bakeSeconds: 2 },
        { name: 'full', percent: 100, bakeSeconds: 2 },
      ],
      health: { intervalSeconds: 0.2, timeoutMs: 1000, maxErrorRate: 0, failureThreshold: 2 },
    })
  ).id;
  await stack.untilRollout(badId, 'rolled back', (r) => r.state === 'rolled_back', 30_000);
});

afterAll(async () => {
  await stack?.stop();
});

describe('the incident report of the seed’s outage', () => {
  it('counts, times and restores what the fleet itself saw', async () => {
    const res = await stack.api<IncidentReport>('GET', `/v1/rollouts/${badId}/report?format=json`);
    expect(res.status).toBe(200);
    const report = res.body;

    // What the test saw: when each target received version 2, when it was given version 1 back, and its first failed probe.
    const seen = fleet.targets.flatMap((t) => {
      const got = t.applied.find((a) => a.configKey === key && a.version === 2 && !a.rollback);
      if (!got) return [];
      const back = t.applied.find((a) => a.configKey === key && a.rollback && a.at >= got.at);
      const failed = t.probes.find((p) => p.status === 500 && p.at >= got.at);
      return [{ id: t.id, got: got.at, back: back?.at ?? null, firstFailure: failed?.at ?? null }];
    });
    expect(seen.length).toBeGreaterThan(0);
    const firstExposure = Math.min(...seen.map((s) => s.got));
    const lastRestore = Math.max(...seen.map((s) => s.back!));
    const firstFailure = Math.min(...seen.flatMap((s) => (s.firstFailure === null ? [] : [s.firstFailure])));
    const firstRestore = Math.min(...seen.map((s) => s.back!));

    // Then the impact is what reached the fleet
    expect(report.status).toBe('safe');
    expect(report.impact).toMatchObject({ fleetTargets: 8, exposedTargets: seen.length, stillExposed: 0, stagesReached: ['canary'] });
    expect(report.impact.blastRadius).toBeCloseTo(seen.length / 8, 10);
    expect(seen.every((s) => s.back !== null)).toBe(true);
    expect(report.detection.restoredCount).toBe(seen.length);
    expect(report.detection.unrestored).toEqual([]);
    expect(report.detection.restored.map((r) => r.version)).toEqual(seen.map(() => 1));

    // And each target's exposure matches what it saw, within the tolerance
    for (const s of seen) {
      const row = report.impact.targets.find((t) => t.targetId === s.id)!;
      expect(Math.abs(Date.parse(row.appliedAt!) - s.got)).toBeLessThanOrEqual(TOLERANCE_MS);
      expect(Math.abs(Date.parse(row.restoredAt!) - s.back!)).toBeLessThanOrEqual(TOLERANCE_MS);
      expect(Math.abs(row.exposureMs! - (s.back! - s.got))).toBeLessThanOrEqual(TOLERANCE_MS);
    }

    // And the decision came after the first failure the fleet served and before the first restore
    const d = report.detection;
    const decision = Date.parse(d.decisionAt!);
    expect(decision).toBeGreaterThanOrEqual(firstFailure - TOLERANCE_MS);
    expect(decision).toBeLessThanOrEqual(firstRestore + TOLERANCE_MS);
    expect(Date.parse(d.firstFailingEvidenceAt!)).toBeGreaterThanOrEqual(firstFailure - TOLERANCE_MS);
    expect(Date.parse(d.firstFailingEvidenceAt!)).toBeLessThanOrEqual(decision);
    // Time to detect and time to safety add up to the exposure the fleet saw, first delivery to last restore
    expect(Math.abs(d.timeToDetectMs! - (decision - firstExposure))).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(d.timeToSafetyMs! - (lastRestore - decision))).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(d.timeToDetectMs! + d.timeToSafetyMs! - (lastRestore - firstExposure))).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(report.impact.exposureWindowMs).toBe(d.timeToDetectMs! + d.timeToSafetyMs!);

    // And the evidence names the failing checks and the change
    expect(report.evidence.decision).toMatchObject({ by: 'tollgate', source: 'health' });
    expect(report.evidence.checksTotal).toBeGreaterThanOrEqual(2);
    expect(report.evidence.checks[0]).toMatchObject({ source: 'health', numbers: { maxErrorRate: 0, errorRate: 1 } });
    expect(report.evidence.checks[0]!.failures[0]).toMatchObject({ reason: 'http_status', status: 500 });
    expect(report.evidence.diff).toMatchObject({ from: 1, to: 2 });
    expect(report.evidence.diff!.patch).toEqual([
      { op: 'replace', path: '/db/schemaVersion', value: 42 },
      { op: 'replace', path: '/db/orders/customer', value: 'client_ref' },
      { op: 'add', path: '/healthy', value: false },
    ]);
    expect(report.summary).toMatchObject({ submittedBy: 'admin', trigger: 'regression', fromVersion: 1, toVersion: 2 });
    expect(report.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['regression_detected', 'rollback_started', 'rolled_back']));
    expect(report.correctiveMeasures).toEqual([]);
  });

  it('answers Markdown by default, and the CLI prints the same report', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/rollouts/${badId}/report`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/markdown/);
    const md = await res.text();
    expect(md).toMatch(/^# Incident: orders-db-\S+ v1 → v2 rolled back/);
    expect(md).toContain('## Corrective measures');
    expect(md).toContain('~ /db/orders/customer: "customer_id" → "client_ref"');

    const printed = await cli(['report', badId]);
    expect(printed.code).toBe(0);
    const withoutTime = (text: string) => text.replace(/generated \S+/, 'generated …');
    expect(withoutTime(printed.stdout)).toBe(withoutTime(md));
  });

  it('refuses a rollout without an incident (409 NoIncident) and an unknown one (404)', async () => {
    const none = await stack.api<{ error: { code: string; field: string } }>('GET', `/v1/rollouts/${goodId}/report`);
    expect(none).toMatchObject({ status: 409, body: { error: { code: 'NoIncident', field: 'rolloutId' } } });
    expect((await stack.api('GET', '/v1/rollouts/r-unknown/report')).status).toBe(404);
    const bad = await stack.api<{ error: { field: string } }>('GET', `/v1/rollouts/${badId}/report?format=pdf`);
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'format' } } });
  });
});

describe('GET /v1/configs/:configKey/diff', () => {
  it('answers the JSON Patch, its readable lines and the changed lines', async () => {
    const res = await stack.api<ConfigDiff>('GET', `/v1/configs/${key}/diff?from=1&to=2`);
    expect(res.status).toBe(200);
    expect(res.body.changes).toEqual([
      '~ /db/schemaVersion: 41 → 42',
      '~ /db/orders/customer: "customer_id" → "client_ref"',
      '+ /healthy: false',
    ]);
    expect(res.body.stats).toEqual({ operations: 3, added: 3, removed: 2 });
    const none = await stack.api<ConfigDiff>('GET', `/v1/configs/${key}/diff?from=0&to=1`);
    expect(none.body.patch).toEqual([{ op: 'add', path: '', value: STABLE }]);
  });

  it.each<[string, string, number, string]>([
    ['a missing from', 'to=2', 400, 'from'],
    ['a from that is no number', 'from=abc&to=2', 400, 'from'],
    ['a to of 0', 'from=1&to=0', 400, 'to'],
    ['an unknown parameter', 'from=1&to=2&context=9', 400, 'query'],
    ['an unknown to version', 'from=1&to=99', 404, 'to'],
    ['an unknown from version', 'from=77&to=2', 404, 'from'],
  ])('refuses %s, naming the field', async (_name, query, status, field) => {
    const res = await stack.api<{ error: { field: string } }>('GET', `/v1/configs/${key}/diff?${query}`);
    expect(res.status).toBe(status);
    expect(res.body.error.field).toBe(field);
  });

  it('is what `tollgate diff` prints, and the CLI names a missing flag', async () => {
    const printed = await cli(['diff', key, '--from', '1', '--to', '2', '--no-color']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('~ /db/schemaVersion: 41 → 42');
    expect(printed.stdout).toContain('+    "schemaVersion": 42');
    const missing = await cli(['diff', key, '--to', '2']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from N: the old version is required');
  });
});
