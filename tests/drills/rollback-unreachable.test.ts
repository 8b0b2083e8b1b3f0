/**
 * Drill 4: a target that stays unreachable while its rollout rolls back. Tollgate retries within
 * the rollout's bound, then reports `failed` naming the target, alerts (webhook and timeline), and
 * never reports success.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fleet } from '../../sim/fleet';
import { waitFor } from '../helpers/env';
import { fastStages, makeRolloutRequest } from '../helpers/factories';
import { Drill, report } from '../helpers/processes';

interface Alert {
  idempotencyKey: string;
  rolloutId: string;
  state: string;
  reason: string;
  unrestored: { targetId: string; reason: string }[];
}

const alerts: { at: number; key: string | undefined; body: Alert }[] = [];
let receiver: Server;
let drill: Drill;
let fleet: Fleet;
const key = () => `${drill.name}-db`;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      alerts.push({
        at: Date.now(),
        key: typeof key === 'string' ? key : undefined,
        body: JSON.parse(Buffer.concat(chunks).toString()) as Alert,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
  drill = new Drill('drill-unreachable', { workerEnv: { TOLLGATE_ALERT_WEBHOOK: webhook } });
  await drill.worker();
  await drill.api();
  fleet = await drill.fleet({ push: 5, pull: 0, labels: { app: 'portal' }, configKeys: [key()] });
}, 60_000);

afterAll(async () => {
  await drill?.stop();
  await drill?.dropKeys();
  await new Promise((r) => receiver?.close(r));
});

describe('drill 4: a target unreachable during rollback', () => {
  it('is retried within the bound, then the rollout is failed, names the target, and alerts', async () => {
    // Given a canary target that goes dark right after it loads the new version
    let darkAt = 0;
    let dark = '';
    for (const t of fleet.targets) {
      t.onApply = (req, target) => {
        if (req.rollback || dark) return;
        dark = target.id;
        setTimeout(() => {
          target.unreachable = true;
          darkAt = Date.now();
        }, 0);
      };
    }

    // When its rollout sees the canary fail and rolls back, within a bound of 3 passes
    const r = await drill.create(
      makeRolloutRequest({ configKey: key(), stages: fastStages(2), rollback: { attempts: 3, maxBackoffSeconds: 0.5 } }),
    );
    await drill.untilTerminal(r.id, 60_000);
    const failedAt = Date.now();
    await waitFor('the alert', async () => alerts.length > 0, 30_000);
    const done = await waitFor('the alert in the timeline', async () => {
      const d = await drill.rollout(r.id);
      return d.events.some((e) => e.type === 'alert') ? d : undefined;
    });

    // Then it is failed, naming the unreachable target, and never reports success
    expect(done.state).toBe('failed');
    expect(done.reason).toContain(dark);
    const types = done.events.map((e) => e.type);
    expect(types).not.toContain('completed');
    expect(types).not.toContain('rolled_back');
    expect(types.filter((t) => t === 'rollback_attempt')).toHaveLength(2);
    const failed = done.events.find((e) => e.type === 'failed');
    expect(failed?.detail).toMatchObject({ remaining: 1, attempts: 3, unrestored: [expect.objectContaining({ targetId: dark })] });

    // And the webhook got the alert (once per idempotency key), recorded in the timeline too
    const alert = alerts[0]!;
    expect(alert.body).toMatchObject({ rolloutId: r.id, state: 'failed', unrestored: [expect.objectContaining({ targetId: dark })] });
    expect(alert.key).toBe(`${r.id}:failed`);
    expect(new Set(alerts.map((a) => a.key)).size).toBe(1);
    expect(types.at(-1)).toBe('alert');
    expect(done.events.at(-1)?.detail).toMatchObject({ channel: 'webhook', unrestored: [dark] });

    // And the other targets never left version 0 (the canary was the only one touched)
    for (const t of fleet.targets.filter((x) => x.id !== dark)) expect(t.applied).toEqual([]);
    const dbTarget = done.targets[dark];
    expect(dbTarget?.assignedVersion ?? 0).toBe(0);

    const rollbackStarted = Date.parse(done.events.find((e) => e.type === 'rollback_started')!.at);
    report(
      4,
      `target dark → rollback started ${rollbackStarted - darkAt} ms, → failed reported ${failedAt - darkAt} ms, → alert received ${alert.at - darkAt} ms (bound: 3 passes, ≤0.5 s apart)`,
    );
  }, 90_000);
});
