/**
 * Every Redis key Tollgate writes, in one place. A prefix keeps several deployments (or test runs)
 * apart on one Redis.
 */
export function keys(prefix: string) {
  const k = (s: string) => `${prefix}${s}`;
  return {
    targetIds: k('targets'),
    target: (id: string) => k(`target:${id}`),
    /** The ids of the targets carrying one label (name and value), so a selector reads only what it selects. */
    targetsLabelled: (name: string, value: string) => k(`label:${encodeURIComponent(name)}=${encodeURIComponent(value)}`),
    /** Set once every registered target is in the label index (targets registered before it existed are added then). */
    labelIndexReady: k('label-index-ready'),
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
    /** The cumulative target count per stage (JSON), when the policy's waves planned them. */
    rolloutStageTargets: (id: string) => k(`rollout:${id}:stage-targets`),
    /** targetId → version it had before this rollout touched it (0: none). Its keys are the touched set. */
    rolloutPrevious: (id: string) => k(`rollout:${id}:prev`),
    /** targetId → "version|assignedAtMs" this rollout assigned. */
    rolloutApplied: (id: string) => k(`rollout:${id}:applied`),
    /** targetId → version restored and delivered by rollback. */
    rolloutRestored: (id: string) => k(`rollout:${id}:restored`),
    rolloutEvents: (id: string) => k(`rollout:${id}:events`),
    rolloutEventSeq: (id: string) => k(`rollout:${id}:seq`),
    rolloutHealth: (id: string) => k(`rollout:${id}:health`),
    /** interval index → one interval's canary and baseline samples per metric (JSON), for the targets [0, upto) on the new version. */
    rolloutAnalysis: (id: string, upto: number) => k(`rollout:${id}:analysis:${upto}`),
    /** The rollout's live stream (Redis Stream): its events and health samples. */
    rolloutStream: (id: string) => k(`rollout:${id}:stream`),

    /** tokenId → TokenRecord (JSON). */
    tokens: k('tokens'),
    /** sha256 of a token's secret → tokenId: the only way from a secret to its record. */
    tokenHashes: k('tokens:hashes'),
    /** token name → tokenId: names are unique for good, so the audit log's actors stay unambiguous. */
    tokenNames: k('tokens:names'),
    /** The audit log (Redis Stream), append-only. */
    audit: k('audit'),
    /** Policy documents: `default` or a config key → StoredPolicy (JSON). */
    policies: k('policies'),
    /** scope → the last version number given out. */
    policyVersions: k('policies:versions'),
    /** Every version of one scope's policy, newest first (bounded). */
    policyHistory: (scope: string) => k(`policies:${scope}:history`),
    /** Stop-the-line in force: `*` (every key) or a config key → StopTheLine (JSON). */
    freeze: k('freeze'),
    /** subscriptionId → StoredSubscription (JSON), secret included. */
    subscriptions: k('subscriptions'),
    /** idempotency key → Delivery (JSON): one record per notification, rewritten on each attempt. */
    subscriptionDeliveries: (id: string) => k(`subscription:${id}:deliveries`),
    /** Idempotency keys, newest first, capped at DELIVERIES_KEPT: the order the records are listed in. */
    subscriptionDeliveryOrder: (id: string) => k(`subscription:${id}:delivery-order`),
  };
}
export type Keys = ReturnType<typeof keys>;
