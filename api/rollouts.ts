/**
 * Starting and steering rollouts: the API's side of the workflow. Validation happens here, before
 * anything starts; a refused request leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { canFastRollback, isTerminal, type RolloutAction } from '../domain/lifecycle';
import { Reason } from '../domain/reasons';
import {
  encodeRolloutCursor,
  MAX_TARGETS_PER_ROLLOUT,
  type CreateRolloutRequest,
  type ListRolloutsQuery,
  type RolloutDetail,
  type RolloutSummary,
} from '../domain/schemas';
import { initialSummary } from '../domain/summary';
import { stableOrder } from '../domain/ordering';
import { checkRolloutAgainstPolicy } from '../domain/policy-check';
import { describeHolds, freezeHolds } from '../domain/freeze-holds';
import type { DryRunResult, FreezeHold, RolloutPolicy } from '../domain/policy';
import { planRollout, type RolloutPlan, type WaveTarget } from '../domain/waves';
import type { FreezeStore } from '../store/freeze';
import type { Store } from '../store/store';
import type { PolicyStore } from '../store/policies';
import { failureMessage, failureType, workflowCallRefusal } from '../runtime/temporal-errors';
import { controlUpdate, preparedUpdate, reviewUpdate, workflowIdFor, type RolloutInput } from '../workflows/definitions';
import type { ConfigSchemas } from './config-schemas';
import type { ReviewBody } from './contract';
import { HttpError } from './http';

/** How long staged input waits for its workflow before it expires (the workflow reads it at once). */
export const STAGED_TTL_SECONDS = 24 * 3600;
/** How long `POST /v1/rollouts` waits for the version number before answering without it. */
export const PREPARE_WAIT_MS = 5_000;
/** How long a control action waits for the workflow to accept it. */
export const CONTROL_WAIT_MS = 10_000;
/**
 * A rollout records its end a moment before its workflow closes. A start that collides with a
 * workflow in that moment waits this long for it to close, then tries once more.
 */
export const CLOSING_WAIT_MS = 5_000;

/** Time-ordered and unique: `r` + 10 chars of time + 8 of randomness, sortable as text. */
export function newRolloutId(now = Date.now()): string {
  return `r${now.toString(36).padStart(10, '0')}${randomBytes(4).toString('hex')}`;
}

export interface RolloutServiceDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  schemas: ConfigSchemas;
  policies: PolicyStore;
  freezes: FreezeStore;
}

/** A request that passed every check: the policy it is held to, its plan, and the freezes that hold its key now. */
interface Admitted {
  policy: RolloutPolicy;
  plan: RolloutPlan;
  holds: FreezeHold[];
}

/** Who acts on a rollout, as the API authenticated them, and why. */
export interface Actor {
  actor: string;
  reason?: string | undefined;
}

function fourEyes(message: string): HttpError {
  return new HttpError(Reason.FourEyes, message, 'rolloutId');
}

/**
 * A start refused because the key's workflow id is taken: by the active rollout named, or (null)
 * by one that is starting or closing.
 */
function rolloutActive(configKey: string, activeRolloutId: string | null): HttpError {
  return new HttpError(
    Reason.RolloutActive,
    activeRolloutId
      ? `configKey: rollout ${activeRolloutId} of ${configKey} is still active`
      : `configKey: a rollout or rollback of ${configKey} is starting or finishing; try again in a few seconds`,
    'configKey',
    { activeRolloutId },
  );
}

export class RolloutService {
  constructor(private readonly d: RolloutServiceDeps) {}

  /**
   * Every check a rollout must pass before anything starts: content against the key's schema,
   * the targets, and every rule of the key's policy (all broken rules at once, 422). Freezes are
   * reported, not refused: a dry run shows them, a start refuses them unless overridden.
   */
  private async admit(req: CreateRolloutRequest): Promise<Admitted> {
    const { store, schemas } = this.d;
    const schema = await store.getConfigSchema(req.configKey);
    if (schema) schemas.check(req.configKey, schema, req.content);
    const policy = await this.d.policies.effective(req.configKey);
    const targets = await this.resolveTargets(req);
    // The order the rollout would update them in; waves keep it within each wave.
    const byId = new Map(targets.map((target) => [target.id, target]));
    const ordered = stableOrder(
      req.configKey,
      targets.map((target) => target.id),
    ).map((id) => byId.get(id)!);
    const violations = checkRolloutAgainstPolicy(req, policy, { emergency: req.emergency !== undefined, targets: ordered });
    const planned = violations.length === 0 ? planRollout(ordered, policy.waves, req.stages) : null;
    if (!planned?.ok) {
      const all = planned && !planned.ok ? planned.violations : violations;
      throw new HttpError(
        Reason.PolicyViolation,
        `the rollout breaks ${all.length === 1 ? 'a rule' : `${all.length} rules`} of the policy of ${req.configKey}: ${all.map((v) => v.message).join('; ')}`,
        undefined,
        all,
      );
    }
    const stops = await this.d.freezes.forKey(req.configKey);
    return { policy, plan: planned.plan, holds: freezeHolds(req.configKey, stops, policy.freeze, new Date()).holds };
  }

  /** `POST /v1/rollouts?dryRun=true`: every check of a start, and the plan; nothing is stored or started. */
  async dryRun(req: CreateRolloutRequest): Promise<DryRunResult> {
    const { policy, plan, holds } = await this.admit(req);
    return {
      dryRun: true,
      configKey: req.configKey,
      totalTargets: plan.order.length,
      policy,
      stages: plan.stages.map((stage, i) => ({
        name: stage.name,
        wave: stage.wave,
        percent: req.stages[i]!.percent,
        bakeSeconds: req.stages[i]!.bakeSeconds,
        targets: stage.targets,
        cumulative: plan.stageTargets[i] ?? 0,
      })),
      holds,
    };
  }

  async create(req: CreateRolloutRequest, submittedBy: string): Promise<RolloutSummary> {
    const { store } = this.d;
    const { policy, plan, holds } = await this.admit(req);
    if (holds.length > 0 && !req.override) {
      const ends = holds.some((hold) => hold.endsAt === null)
        ? 'until it is lifted'
        : `until ${holds
            .map((hold) => hold.endsAt!)
            .sort()
            .at(-1)}`;
      throw new HttpError(
        Reason.Frozen,
        `configKey: ${req.configKey} is frozen ${ends}: ${describeHolds(holds)}; an admin may start through it with an override`,
        'configKey',
        { holds },
      );
    }
    // The rollout keeps the policy it starts under; an emergency skips review (never validation).
    const requiredApprovals = req.emergency ? 0 : policy.approvals;
    const rolloutId = newRolloutId();
    const workflowId = workflowIdFor(req.configKey);
    const input: RolloutInput = {
      rolloutId,
      configKey: req.configKey,
      stages: req.stages,
      health: req.health,
      ...(req.analysis !== undefined ? { analysis: req.analysis } : {}),
      onRegression: req.onRegression,
      rollback: req.rollback,
      description: req.description,
      createdAt: new Date().toISOString(),
      submittedBy,
      ...(requiredApprovals > 0 ? { requiredApprovals } : {}),
      ...(req.emergency ? { emergency: { reason: req.emergency.reason } } : {}),
      ...(req.override ? { override: { reason: req.override.reason, by: submittedBy, freezes: holds.map((hold) => hold.id) } } : {}),
      policy,
    };

    // Under waves the plan is the API's (every wave before the next); otherwise the workflow orders the targets.
    const staged =
      policy.waves.length > 0
        ? { content: req.content, targetIds: plan.order, stageTargets: plan.stageTargets }
        : { content: req.content, targetIds: plan.order };
    await store.stageRollout(rolloutId, staged, STAGED_TTL_SECONDS);
    let handle: WorkflowHandle;
    try {
      handle = await this.startExclusive(req.configKey, () =>
        this.d.client.workflow.start('rolloutWorkflow', {
          taskQueue: this.d.taskQueue,
          workflowId,
          args: [input],
          // A running workflow with this id means another rollout of the key is active: refuse.
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        }),
      );
    } catch (err) {
      await store.dropStaged(rolloutId).catch(() => undefined);
      throw err;
    }
    const initial = initialSummary(input, workflowId);
    // The workflow writes the read model too; this write (revision 0) only makes the rollout
    // visible at once, and never overwrites what the workflow wrote.
    await store.recordProgress(initial, 0, []);
    try {
      return await this.d.client.connection.withDeadline(Date.now() + PREPARE_WAIT_MS, () => handle.executeUpdate(preparedUpdate));
    } catch {
      return (await store.rolloutSummary(rolloutId)) ?? initial;
    }
  }

  /**
   * Starts a workflow under a config's id: a rollout, or a fast rollback. When the id is taken but
   * the read model shows no active rollout of the key, the workflow holding it has recorded its end
   * and is closing: wait for it (bounded) and try once more. Deciding from the read model needs no
   * free worker, unlike a query. A start still refused is a 409 naming the active rollout.
   */
  private async startExclusive<T>(configKey: string, start: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start();
      } catch (err) {
        if (workflowCallRefusal(err) !== 'id_taken') throw err;
        const active = await this.activeRolloutOf(configKey);
        if (active !== null || attempt > 1) throw rolloutActive(configKey, active);
      }
      const holder = this.d.client.workflow.getHandle(workflowIdFor(configKey));
      await this.d.client.connection.withDeadline(Date.now() + CLOSING_WAIT_MS, () => holder.result()).catch(() => undefined);
    }
  }

  private async resolveTargets(req: CreateRolloutRequest): Promise<WaveTarget[]> {
    const { store } = this.d;
    if ('ids' in req.targets) {
      const ids = req.targets.ids;
      const docs = await store.getTargets(ids);
      const unknown = ids.filter((_, i) => docs[i] === null);
      if (unknown.length > 0) {
        throw new HttpError(
          Reason.UnknownTargets,
          `targets.ids: unknown target ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}`,
          'targets.ids',
          {
            unknown: unknown.slice(0, 100),
            count: unknown.length,
          },
        );
      }
      return docs.map((doc) => ({ id: doc!.id, labels: doc!.labels }));
    }
    const found = await store.listTargets(req.targets.selector);
    const ids = found.map((t) => t.id);
    if (ids.length === 0) {
      throw new HttpError(Reason.NoTargets, 'targets.selector: no registered target matches', 'targets.selector');
    }
    if (ids.length > MAX_TARGETS_PER_ROLLOUT) {
      throw HttpError.withStatus(
        Reason.InvalidRequest,
        422,
        `targets.selector: matches ${ids.length} targets, more than ${MAX_TARGETS_PER_ROLLOUT}`,
        'targets.selector',
      );
    }
    return found.map((t) => ({ id: t.id, labels: t.labels }));
  }

  /** The key's active rollout, from the (small) set of active rollouts. */
  private async activeRolloutOf(configKey: string): Promise<string | null> {
    const active = await this.d.store.activeRolloutSummaries();
    return active.find((s) => s.configKey === configKey)?.id ?? null;
  }

  /** The rollout with its timeline, and its per-target rows unless `targets` is false (O(targets) to read). */
  async get(rolloutId: string, include: { targets: boolean } = { targets: true }): Promise<RolloutDetail> {
    const summary = await this.summary(rolloutId);
    const [targets, events] = await Promise.all([
      include.targets ? this.d.store.rolloutTargets(rolloutId, summary.configKey) : {},
      this.d.store.rolloutEvents(rolloutId),
    ]);
    return { ...summary, targets, events };
  }

  /** The stored summary, with the fast-track rollback offered while its version is the newest. */
  async summary(rolloutId: string): Promise<RolloutSummary> {
    const s = await this.d.store.rolloutSummary(rolloutId);
    if (!s) throw new HttpError(Reason.NotFound, `rolloutId: no rollout ${rolloutId}`, 'rolloutId');
    return this.withActions(s);
  }

  async page(q: ListRolloutsQuery): Promise<{ items: RolloutSummary[]; nextCursor: string | null }> {
    const { items, next } = await this.d.store.pageRollouts({ ...q, since: q.since ? new Date(q.since) : undefined });
    return { items: await Promise.all(items.map((s) => this.withActions(s))), nextCursor: next ? encodeRolloutCursor(next) : null };
  }

  private async withActions(s: RolloutSummary): Promise<RolloutSummary> {
    if (s.state !== 'completed') return s;
    const latest = await this.d.store.latestVersion(s.configKey);
    return canFastRollback(s.state, s.version, latest) ? { ...s, allowedActions: ['rollback'] } : s;
  }

  async act(rolloutId: string, action: RolloutAction, who: Actor & { override?: { reason: string } | undefined }): Promise<RolloutSummary> {
    const s = await this.summary(rolloutId);
    if (s.state === 'completed' && action === 'rollback') return this.fastRollback(s, who);
    if (isTerminal(s.state)) {
      throw new HttpError(Reason.InvalidState, `cannot ${action} a rollout that is ${s.state}`, 'action', { state: s.state });
    }
    try {
      return await this.update(s, () =>
        this.d.client.workflow.getHandle(s.workflowId).executeUpdate(controlUpdate, { args: [{ rolloutId, action, ...who }] }),
      );
    } catch (err) {
      // The workflow ended between the read and the update: a completed rollout still takes the fast track.
      if (err instanceof HttpError && err.code === Reason.InvalidState && action === 'rollback') {
        const now = await this.summary(rolloutId);
        if (now.state === 'completed') return this.fastRollback(now, who);
      }
      throw err;
    }
  }

  /** Records a reviewer's decision on a rollout pending review. Never the submitter's own. */
  async review(rolloutId: string, by: string, body: ReviewBody): Promise<RolloutSummary> {
    const s = await this.summary(rolloutId);
    if (s.state !== 'pending_review') {
      throw new HttpError(Reason.InvalidState, `rollout ${rolloutId} is ${s.state}, not pending review`, 'rolloutId', {
        state: s.state,
      });
    }
    if (s.submittedBy === by) throw fourEyes(`${by} submitted rollout ${rolloutId} and may not review it`);
    return this.update(s, () =>
      this.d.client.workflow
        .getHandle(s.workflowId)
        .executeUpdate(reviewUpdate, { args: [{ rolloutId, by, decision: body.decision, comment: body.comment }] }),
    );
  }

  /**
   * Sends an update to a rollout's workflow within CONTROL_WAIT_MS and maps the workflow's
   * refusals (by reason code) to API errors; the state named is the one read after the refusal.
   */
  private async update(s: RolloutSummary, send: () => Promise<RolloutSummary>): Promise<RolloutSummary> {
    try {
      return await this.d.client.connection.withDeadline(Date.now() + CONTROL_WAIT_MS, send);
    } catch (err) {
      const type = failureType(err);
      if (type === Reason.FourEyes) throw fourEyes(failureMessage(err));
      if (type === Reason.Frozen) {
        const now = await this.summary(s.id);
        throw new HttpError(Reason.Frozen, failureMessage(err), 'override', { state: now.state });
      }
      if (type === Reason.InvalidState || type === Reason.NotFound || workflowCallRefusal(err) === 'not_found') {
        const now = await this.summary(s.id);
        throw new HttpError(Reason.InvalidState, failureMessage(err), 'action', { state: now.state });
      }
      throw err;
    }
  }

  /** Rolls a completed rollout back at once, while its version is still the config's newest. */
  private async fastRollback(s: RolloutSummary, who: Actor): Promise<RolloutSummary> {
    const latest = await this.d.store.latestVersion(s.configKey);
    if (!canFastRollback(s.state, s.version, latest)) {
      throw new HttpError(
        Reason.NotNewest,
        `rollout ${s.id} (version ${s.version}) is not the newest of ${s.configKey} (version ${latest})`,
        'rolloutId',
        {
          version: s.version,
          latestVersion: latest,
        },
      );
    }
    await this.startExclusive(s.configKey, () =>
      this.d.client.workflow.start('fastRollbackWorkflow', {
        taskQueue: this.d.taskQueue,
        workflowId: s.workflowId,
        args: [{ rolloutId: s.id, ...who }],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      }),
    );
    return { ...s, state: 'rolling_back', reason: 'fast-track rollback requested', allowedActions: [] };
  }
}
