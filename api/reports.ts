/**
 * Reading what went wrong: the structural diff of two config versions and the incident report of
 * a rollout. Both are built by pure functions in domain/ (diff.ts, report.ts); this module only
 * reads their inputs from the read model and maps what is missing to 404 and 409.
 */
import { configDiff, type ConfigDiff } from '../domain/diff';
import { Reason } from '../domain/reasons';
import { buildIncidentReport } from '../domain/report';
import type { IncidentReport } from '../domain/report-schemas';
import type { Store } from '../store/store';
import { HttpError } from './errors';
import type { RolloutService } from './rollouts';

/** The diff of two versions of a key; version 0 stands for none. 404 names the version that is missing. */
export async function versionsDiff(store: Store, configKey: string, from: number, to: number): Promise<ConfigDiff> {
  const [a, b] = await Promise.all([
    from === 0 ? Promise.resolve({ found: true, content: undefined }) : store.configContent(configKey, from),
    store.configContent(configKey, to),
  ]);
  for (const [field, version, side] of [
    ['from', from, a],
    ['to', to, b],
  ] as const) {
    if (!side.found) throw new HttpError(Reason.NotFound, `${field}: ${configKey} has no version ${version}`, field, { version });
  }
  return configDiff(configKey, { version: from, content: a.content }, { version: to, content: b.content });
}

export async function incidentReport(rollouts: RolloutService, store: Store, rolloutId: string, now = new Date()): Promise<IncidentReport> {
  const rollout = await rollouts.get(rolloutId);
  const [samples, diff] = await Promise.all([
    store.healthSamples(rolloutId),
    rollout.version === null
      ? Promise.resolve(null)
      : versionsDiff(store, rollout.configKey, rollout.previousStableVersion ?? 0, rollout.version).catch((err: unknown) => {
          // A version whose content is gone leaves the report without its diff, not without the report.
          if (err instanceof HttpError && err.status === 404) return null;
          throw err;
        }),
  ]);
  const report = buildIncidentReport({ rollout, samples, diff, now: now.toISOString() });
  if (!report) {
    throw new HttpError(
      Reason.NoIncident,
      `rolloutId: rollout ${rolloutId} is ${rollout.state} and recorded no regression, rollback or failure: it has no incident report`,
      'rolloutId',
      { state: rollout.state },
    );
  }
  return report;
}
