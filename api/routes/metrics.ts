/** The API's /metrics: its own registry (runtime/metrics.ts), with rollouts in flight counted at scrape time. */
import { Router } from 'express';
import { isTerminal, ROLLOUT_STATES } from '../../domain/lifecycle';
import { apiRegistry, rolloutsInState } from '../../runtime/metrics';
import type { Store } from '../../store/store';
import { contract } from '../contract';
import { bind } from '../http';

export function metricsRoutes(store: Store): Router {
  const r = Router();
  bind(r, contract.metrics, async (_input, _req, res) => {
    const counts = await store.activeRolloutStates();
    // Every in-flight state, 0 included: an alert on `tollgate_rollouts{state="rolling_back"} > 0` needs the series.
    for (const state of ROLLOUT_STATES) if (!isTerminal(state)) rolloutsInState.set({ state }, counts[state] ?? 0);
    res.type(apiRegistry.contentType).send(await apiRegistry.metrics());
  });
  return r;
}
