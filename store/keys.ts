/**
 * Every Redis key Tollgate writes, in one place. A prefix keeps several deployments (or test runs)
 * apart on one Redis.
 */
export function keys(prefix: string) {
  const k = (s: string) => `${prefix}${s}`;
  return {
    targetIds: k('targets'),
    target: (id: string) => k(`target:${id}`),
    /** configKey → version this target should run now. */
    assign: (targetId: string) => k(`assign:${targetId}`),
    /** configKey → {version, at} the target last reported running. */
    confirmed: (targetId: string) => k(`confirmed:${targetId}`),

    configKeys: k('configs'),
    config: (configKey: string) => k(`config:${configKey}`),
    configVersions: (configKey: string) => k(`config:${configKey}:versions`),
    configContent: (configKey: string, version: number) => k(`config:${configKey}:content:${version}`),
    configSchema: (configKey: string) => k(`config:${configKey}:schema`),

    rolloutIndex: k('rollouts'),
    activeRollouts: k('rollouts:active'),
    /** Every rollout's events and health samples (Redis Stream), for live clients. */
    events: k('events'),
    rollout: (id: string) => k(`rollout:${id}`),
    rolloutStaged: (id: string) => k(`rollout:${id}:staged`),
    rolloutVersion: (id: string) => k(`rollout:${id}:version`),
    rolloutPlan: (id: string) => k(`rollout:${id}:plan`),
    rolloutMembers: (id: string) => k(`rollout:${id}:members`),
    /** targetId → version it had before this rollout touched it (0: none). Its keys are the touched set. */
    rolloutPrevious: (id: string) => k(`rollout:${id}:prev`),
    /** targetId → "version|assignedAtMs" this rollout assigned. */
    rolloutApplied: (id: string) => k(`rollout:${id}:applied`),
    /** targetId → version restored and delivered by rollback. */
    rolloutRestored: (id: string) => k(`rollout:${id}:restored`),
    rolloutEvents: (id: string) => k(`rollout:${id}:events`),
    rolloutEventSeq: (id: string) => k(`rollout:${id}:seq`),
    rolloutHealth: (id: string) => k(`rollout:${id}:health`),
    /** The rollout's live stream (Redis Stream): its events and health samples. */
    rolloutStream: (id: string) => k(`rollout:${id}:stream`),
  };
}
export type Keys = ReturnType<typeof keys>;
