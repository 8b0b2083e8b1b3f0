/**
 * Tollgate's state in Redis: targets, config versions, assignments, and the rollout read model.
 * The API and the activities share this one data layer; the workflow is the source of truth for a
 * running rollout, and writes its progress here through the `recordProgress` activity.
 */
import { createHash } from 'node:crypto';
import type { RedisClient as Redis } from '../runtime/redis';
import type {
  Assignment,
  ConfigSchemaDocument,
  ConfigSummary,
  ConfigVersion,
  Labels,
  RolloutCursor,
  RolloutEvent,
  RolloutSummary,
  StageHealthSample,
  Target,
  TargetInput,
  TargetRolloutStatus,
} from '../domain/schemas';
import { isTerminal } from '../domain/lifecycle';
import type { ProbeSummary } from '../domain/health';
import { AuditLog } from './audit';
import { EventStreams, restoreSummary } from './events';
import { FreezeStore } from './freeze';
import { keys, type Keys } from './keys';
import { PolicyStore } from './policies';
import {
  allocateVersion,
  appendHealthSample as appendHealthSampleLua,
  assignBatch,
  recordProgress,
  restoreBatch,
  runScript,
} from './scripts';
import { SubscriptionStore } from './subscriptions';
import { TokenStore } from './tokens';

/** Redis calls are chunked so one command never carries an unbounded argument list. */
export const REDIS_CHUNK = 500;
/** Bound of the global event stream (XADD MAXLEN ~): what a reconnecting client can catch up on. */
export const EVENT_STREAM_MAX = 20_000;
/** Bound of each rollout's own stream. */
export const ROLLOUT_STREAM_MAX = 5_000;
/** Bound of each rollout's health sample history. */
export const HEALTH_HISTORY_MAX = 2_000;

export interface StagedRollout {
  content: unknown;
  targetIds: string[];
  /**
   * Set when the key's policy has waves: `targetIds` is then the plan order the API resolved
   * (domain/waves.ts), stored as it is, and these are its cumulative stage counts.
   */
  stageTargets?: number[];
}

export interface RolloutPageQuery {
  configKey?: string | undefined;
  state?: string | undefined;
  since?: Date | undefined;
  cursor?: RolloutCursor | undefined;
  limit: number;
}

export interface RolloutPageResult {
  items: RolloutSummary[];
  /** Where the next page starts; null on the last page. */
  next: RolloutCursor | null;
}

export interface Confirmation {
  version: number;
  at: number;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function chunks<T>(items: readonly T[], size = REDIS_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function parseJson<T>(raw: string | null | undefined): T | null {
  return raw == null ? null : (JSON.parse(raw) as T);
}

export function matchesSelector(labels: Labels, selector: Labels): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * The one way into Tollgate's Redis. The connection and the key layout stay inside store/: callers
 * ask for what they need by name, so a key's shape (and its Redis Cluster hash tag) and the Lua
 * scripts that must see keys of one slot are decided here alone.
 */
export class Store {
  private readonly keys: Keys;
  /** API tokens (store/tokens.ts). */
  readonly tokens: TokenStore;
  /** Rollout policies (store/policies.ts). */
  readonly policies: PolicyStore;
  /** Stop-the-line (store/freeze.ts). */
  readonly freezes: FreezeStore;
  /** Notification subscriptions and their deliveries (store/subscriptions.ts). */
  readonly subscriptions: SubscriptionStore;
  /** The live event streams, for Server-Sent Events (store/events.ts). */
  readonly streams: EventStreams;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = keys(prefix);
    this.tokens = new TokenStore(redis, prefix);
    this.policies = new PolicyStore(redis, prefix);
    this.freezes = new FreezeStore(redis, prefix);
    this.subscriptions = new SubscriptionStore(redis, prefix);
    this.streams = new EventStreams(redis, this.keys);
  }

  /** The audit log, keeping at most `maxEntries` (store/audit.ts for the default). */
  auditLog(maxEntries?: number): AuditLog {
    return new AuditLog(this.redis, this.prefix, maxEntries);
  }

  /** Resolves once Redis answers; rejects with why it did not. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /* ---------- targets ---------- */

  async putTarget(id: string, input: TargetInput, now = new Date()): Promise<Target> {
    const existing = await this.getTarget(id);
    const target: Target = {
      id,
      labels: input.labels,
      ...(input.healthUrl ? { healthUrl: input.healthUrl } : {}),
      ...(input.applyUrl ? { applyUrl: input.applyUrl } : {}),
      createdAt: existing?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const tx = this.redis.multi().set(this.keys.target(id), JSON.stringify(target)).sadd(this.keys.targetIds, id);
    for (const [name, value] of Object.entries(existing?.labels ?? {})) {
      if (target.labels[name] !== value) tx.srem(this.keys.targetsLabelled(name, value), id);
    }
    for (const [name, value] of Object.entries(target.labels)) tx.sadd(this.keys.targetsLabelled(name, value), id);
    await tx.exec();
    return target;
  }

  async getTarget(id: string): Promise<Target | null> {
    return parseJson<Target>(await this.redis.get(this.keys.target(id)));
  }

  /** In the order asked; null where a target does not exist. */
  async getTargets(ids: readonly string[]): Promise<(Target | null)[]> {
    const out: (Target | null)[] = [];
    for (const part of chunks(ids)) {
      if (part.length === 0) continue;
      const raws = await this.redis.mget(...part.map((id) => this.keys.target(id)));
      for (const raw of raws) out.push(parseJson<Target>(raw));
    }
    return out;
  }

  /**
   * The targets a selector selects (all without one), by id. A selector reads the intersection of
   * its labels' index sets, not every registered target; the labels are checked again on the
   * documents read, so an index entry a concurrent relabel left behind selects nothing.
   */
  async listTargets(selector?: Labels): Promise<Target[]> {
    const labels = Object.entries(selector ?? {});
    let ids: string[];
    if (labels.length === 0) ids = await this.redis.smembers(this.keys.targetIds);
    else {
      await this.ensureLabelIndex();
      const sets = labels.map(([name, value]) => this.keys.targetsLabelled(name, value));
      ids = sets.length === 1 ? await this.redis.smembers(sets[0]!) : await this.redis.sinter(...sets);
    }
    const found = (await this.getTargets(ids.sort())).filter((t): t is Target => t !== null);
    return selector ? found.filter((t) => matchesSelector(t.labels, selector)) : found;
  }

  private labelIndex: Promise<void> | undefined;

  /**
   * Targets registered before the label index existed are indexed once (idempotent: two processes
   * doing it at once add the same members); retried on the next call if it failed.
   */
  private ensureLabelIndex(): Promise<void> {
    this.labelIndex ??= (async () => {
      if ((await this.redis.exists(this.keys.labelIndexReady)) === 1) return;
      const ids = await this.redis.smembers(this.keys.targetIds);
      for (const part of chunks(ids)) {
        const docs = await this.getTargets(part);
        const pipe = this.redis.pipeline();
        docs.forEach((t, i) => {
          for (const [name, value] of Object.entries(t?.labels ?? {})) pipe.sadd(this.keys.targetsLabelled(name, value), part[i]!);
        });
        await pipe.exec();
      }
      await this.redis.set(this.keys.labelIndexReady, '1');
    })().catch((err: unknown) => {
      this.labelIndex = undefined;
      throw err;
    });
    return this.labelIndex;
  }

  /** The id of an active rollout that includes the target, if any. */
  async activeRolloutWithTarget(targetId: string): Promise<string | null> {
    const active = await this.redis.smembers(this.keys.activeRollouts);
    if (active.length === 0) return null;
    const pipe = this.redis.pipeline();
    for (const id of active) pipe.sismember(this.keys.rolloutMembers(id), targetId);
    const res = (await pipe.exec()) ?? [];
    const hit = res.findIndex(([, v]) => v === 1);
    return hit >= 0 ? (active[hit] ?? null) : null;
  }

  async deleteTarget(id: string): Promise<boolean> {
    const existing = await this.getTarget(id);
    const tx = this.redis.multi().del(this.keys.target(id)).srem(this.keys.targetIds, id);
    for (const [name, value] of Object.entries(existing?.labels ?? {})) tx.srem(this.keys.targetsLabelled(name, value), id);
    const [[, removed] = []] = (await tx.exec()) ?? [];
    return removed === 1;
  }

  /* ---------- configs ---------- */

  async configSummary(configKey: string): Promise<ConfigSummary | null> {
    const [m, v, hasSchema] = await Promise.all([
      this.redis.hgetall(this.keys.config(configKey)),
      this.redis.hgetall(this.keys.configVersions(configKey)),
      this.redis.exists(this.keys.configSchema(configKey)),
    ]);
    if (!m.latest && hasSchema !== 1) return null;
    return {
      configKey,
      latestVersion: m.latest ? Number(m.latest) : null,
      stableVersion: m.stable && m.stable !== '0' ? Number(m.stable) : null,
      hasSchema: hasSchema === 1,
      versions: Object.values(v)
        .map((raw) => JSON.parse(raw) as ConfigVersion)
        .sort((a, b) => a.version - b.version),
    };
  }

  /** Every config key with a version or a schema, sorted. */
  async configKeys(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.configKeys)).sort();
  }

  async latestVersion(configKey: string): Promise<number | null> {
    const v = await this.redis.hget(this.keys.config(configKey), 'latest');
    return v ? Number(v) : null;
  }

  async stableVersion(configKey: string): Promise<number | null> {
    const v = await this.redis.hget(this.keys.config(configKey), 'stable');
    return v && v !== '0' ? Number(v) : null;
  }

  async setStableVersion(configKey: string, version: number | null): Promise<void> {
    await this.redis.hset(this.keys.config(configKey), 'stable', String(version ?? 0));
  }

  /** `found: false` when the version does not exist; content may legitimately be null. */
  async configContent(configKey: string, version: number): Promise<{ found: boolean; content: unknown }> {
    const raw = await this.redis.get(this.keys.configContent(configKey, version));
    return raw === null ? { found: false, content: undefined } : { found: true, content: JSON.parse(raw) };
  }

  async putConfigSchema(configKey: string, schema: object): Promise<void> {
    await this.redis.multi().set(this.keys.configSchema(configKey), JSON.stringify(schema)).sadd(this.keys.configKeys, configKey).exec();
  }

  async getConfigSchema(configKey: string): Promise<ConfigSchemaDocument | null> {
    return parseJson<ConfigSchemaDocument>(await this.redis.get(this.keys.configSchema(configKey)));
  }

  async assignedVersion(targetId: string, configKey: string): Promise<number | null> {
    const v = await this.redis.hget(this.keys.assign(targetId), configKey);
    return v ? Number(v) : null;
  }

  async assignment(targetId: string, configKey: string): Promise<Assignment | null> {
    const version = await this.assignedVersion(targetId, configKey);
    if (version === null) return null;
    const { found, content } = await this.configContent(configKey, version);
    return found ? { configKey, version, content } : null;
  }

  async confirm(targetId: string, configKey: string, version: number, at = Date.now()): Promise<void> {
    await this.redis.hset(this.keys.confirmed(targetId), configKey, JSON.stringify({ version, at } satisfies Confirmation));
  }

  /** Many confirmations in one pipeline per REDIS_CHUNK: [targetId, version, at]. */
  async confirmMany(configKey: string, entries: readonly (readonly [string, number, number])[]): Promise<void> {
    for (const part of chunks(entries)) {
      if (part.length === 0) continue;
      const pipe = this.redis.pipeline();
      for (const [id, version, at] of part)
        pipe.hset(this.keys.confirmed(id), configKey, JSON.stringify({ version, at } satisfies Confirmation));
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    }
  }

  async confirmations(targetIds: readonly string[], configKey: string): Promise<(Confirmation | null)[]> {
    const out: (Confirmation | null)[] = [];
    for (const part of chunks(targetIds)) {
      const pipe = this.redis.pipeline();
      for (const id of part) pipe.hget(this.keys.confirmed(id), configKey);
      for (const [, raw] of (await pipe.exec()) ?? []) out.push(parseJson<Confirmation>(raw as string | null));
    }
    return out;
  }

  /* ---------- rollouts: creation (API) ---------- */

  /** Holds a rollout's input until its workflow has read it; expires if the workflow never starts. */
  async stageRollout(rolloutId: string, staged: StagedRollout, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.rolloutStaged(rolloutId), JSON.stringify(staged), 'EX', ttlSeconds);
  }

  async dropStaged(rolloutId: string): Promise<void> {
    await this.redis.del(this.keys.rolloutStaged(rolloutId));
  }

  async readStaged(rolloutId: string): Promise<StagedRollout | null> {
    return parseJson<StagedRollout>(await this.redis.get(this.keys.rolloutStaged(rolloutId)));
  }

  /* ---------- rollouts: the workflow's writes (activities) ---------- */

  async allocateVersion(rolloutId: string, configKey: string, content: unknown, createdAt: string): Promise<number> {
    const json = JSON.stringify(content);
    const meta = JSON.stringify({ sha256: sha256(json), createdAt, rolloutId });
    const v = await runScript(
      this.redis,
      allocateVersion,
      [this.keys.rolloutVersion(rolloutId), this.keys.config(configKey), this.keys.configVersions(configKey), this.keys.configKeys],
      [this.keys.configContent(configKey, 0).slice(0, -1), json, meta, configKey],
    );
    return Number(v);
  }

  /** The version allocated to the rollout, once `allocateVersion` has run. */
  async rolloutVersion(rolloutId: string): Promise<number | null> {
    const v = await this.redis.get(this.keys.rolloutVersion(rolloutId));
    return v === null ? null : Number(v);
  }

  /** How many targets the stored plan holds (0 before `storePlan`). */
  async planLength(rolloutId: string): Promise<number> {
    return this.redis.llen(this.keys.rolloutPlan(rolloutId));
  }

  /** Stores the ordered plan once; a retry finds it and changes nothing. */
  async storePlan(rolloutId: string, orderedIds: readonly string[]): Promise<number> {
    const planKey = this.keys.rolloutPlan(rolloutId);
    const existing = await this.redis.llen(planKey);
    if (existing > 0) return existing;
    const tx = this.redis.multi().del(planKey, this.keys.rolloutMembers(rolloutId));
    for (const part of chunks(orderedIds)) tx.rpush(planKey, ...part).sadd(this.keys.rolloutMembers(rolloutId), ...part);
    await tx.exec();
    return orderedIds.length;
  }

  /** The stage counts of a plan made under waves; written once, before the staged input is dropped. */
  async storeStageTargets(rolloutId: string, stageTargets: readonly number[]): Promise<void> {
    await this.redis.set(this.keys.rolloutStageTargets(rolloutId), JSON.stringify(stageTargets));
  }

  async stageTargets(rolloutId: string): Promise<number[] | null> {
    return parseJson<number[]>(await this.redis.get(this.keys.rolloutStageTargets(rolloutId)));
  }

  async planSlice(rolloutId: string, from: number, to: number): Promise<string[]> {
    if (to <= from) return [];
    return this.redis.lrange(this.keys.rolloutPlan(rolloutId), from, to - 1);
  }

  async assignBatch(rolloutId: string, configKey: string, version: number, targetIds: readonly string[], nowMs: number): Promise<void> {
    for (const part of chunks(targetIds)) {
      await runScript(
        this.redis,
        assignBatch,
        [this.keys.rolloutPrevious(rolloutId), this.keys.rolloutApplied(rolloutId)],
        [configKey, version, nowMs, this.keys.assign(''), ...part],
      );
    }
  }

  /** Previous versions for the given targets, in order (null: not touched by this rollout). */
  async restoreBatch(rolloutId: string, configKey: string, targetIds: readonly string[]): Promise<(number | null)[]> {
    const out: (number | null)[] = [];
    for (const part of chunks(targetIds)) {
      const res = (await runScript(
        this.redis,
        restoreBatch,
        [this.keys.rolloutPrevious(rolloutId)],
        [configKey, this.keys.assign(''), ...part],
      )) as (string | null)[];
      for (const p of res) out.push(p === null || p === undefined ? null : Number(p));
    }
    return out;
  }

  async touchedTargets(rolloutId: string): Promise<string[]> {
    return this.redis.hkeys(this.keys.rolloutPrevious(rolloutId));
  }

  async restoredTargets(rolloutId: string): Promise<Set<string>> {
    return new Set(await this.redis.hkeys(this.keys.rolloutRestored(rolloutId)));
  }

  /** Records restored targets as `version|ms` (older entries hold the version alone). */
  async markRestored(rolloutId: string, entries: readonly [string, number, number][]): Promise<void> {
    for (const part of chunks(entries)) {
      if (part.length === 0) continue;
      await this.redis.hset(this.keys.rolloutRestored(rolloutId), Object.fromEntries(part.map(([id, v, at]) => [id, `${v}|${at}`])));
    }
  }

  /** When each target was assigned this rollout's version (ms), or null. */
  async appliedAt(rolloutId: string, targetIds: readonly string[]): Promise<(number | null)[]> {
    const out: (number | null)[] = [];
    for (const part of chunks(targetIds)) {
      const raws = await this.redis.hmget(this.keys.rolloutApplied(rolloutId), ...part);
      for (const raw of raws) out.push(raw ? Number(raw.split('|')[1]) : null);
    }
    return out;
  }

  /** Returns the events Redis did not have yet: a retry (or a second writer) gets none back. */
  async recordProgress(summary: RolloutSummary, rev: number, events: readonly RolloutEvent[]): Promise<RolloutEvent[]> {
    const id = summary.id;
    const args: (string | number)[] = [
      JSON.stringify(summary),
      rev,
      id,
      Date.parse(summary.createdAt),
      isTerminal(summary.state) ? '1' : '0',
      EVENT_STREAM_MAX,
      ROLLOUT_STREAM_MAX,
    ];
    for (const e of events) args.push(e.seq, JSON.stringify(e));
    const before = await runScript(
      this.redis,
      recordProgress,
      [
        this.keys.rollout(id),
        `${this.keys.rollout(id)}:rev`,
        this.keys.rolloutEventSeq(id),
        this.keys.rolloutEvents(id),
        this.keys.events,
        this.keys.rolloutIndex,
        this.keys.activeRollouts,
        this.keys.rolloutStream(id),
      ],
      args,
    );
    // The script appends an event only past the highest sequence number stored so far.
    let last = Number(before);
    return events.filter((e) => (e.seq > last ? ((last = e.seq), true) : false));
  }

  /** Keeps a health sample for charts and publishes it to live clients. */
  async appendHealthSample(rolloutId: string, stage: string, sample: ProbeSummary): Promise<void> {
    const key = this.keys.rolloutHealth(rolloutId);
    const json = JSON.stringify({ stage, ...sample, failures: sample.failures.slice(0, 5) });
    const fields = ['kind', 'health', 'rolloutId', rolloutId, 'stage', stage, 'sample', json];
    await runScript(
      this.redis,
      appendHealthSampleLua,
      [key, this.keys.events, this.keys.rolloutStream(rolloutId)],
      [json, HEALTH_HISTORY_MAX, EVENT_STREAM_MAX, ROLLOUT_STREAM_MAX, ...fields],
    );
  }

  /**
   * Keeps one interval's analysis samples of the canary set [0, upto). Written by interval index,
   * so an activity that runs the interval again replaces its samples instead of adding a second copy.
   */
  async putAnalysisInterval(rolloutId: string, upto: number, interval: number, samples: unknown): Promise<void> {
    await this.redis.hset(this.keys.rolloutAnalysis(rolloutId, upto), String(interval), JSON.stringify(samples));
  }

  /** The latest `max` intervals up to and including `last`, oldest first. */
  async analysisIntervals(rolloutId: string, upto: number, last: number, max: number): Promise<unknown[]> {
    const indexes = Array.from({ length: Math.min(max, last + 1) }, (_, i) => String(last - Math.min(max, last + 1) + 1 + i));
    if (indexes.length === 0) return [];
    const raw = await this.redis.hmget(this.keys.rolloutAnalysis(rolloutId, upto), ...indexes);
    return raw.flatMap((json) => (json === null ? [] : [JSON.parse(json) as unknown]));
  }

  /* ---------- rollouts: reads (API) ---------- */

  async rolloutSummary(rolloutId: string): Promise<RolloutSummary | null> {
    return parseJson<RolloutSummary>(await this.redis.get(this.keys.rollout(rolloutId)));
  }

  async lastEventSeq(rolloutId: string): Promise<number> {
    return Number((await this.redis.get(this.keys.rolloutEventSeq(rolloutId))) ?? 0);
  }

  async lastRev(rolloutId: string): Promise<number> {
    return Number((await this.redis.get(`${this.keys.rollout(rolloutId)}:rev`)) ?? -1);
  }

  async hasRollout(rolloutId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.rollout(rolloutId))) === 1;
  }

  /** The summaries of the rollouts in flight (the active set, small by nature). */
  async activeRolloutSummaries(): Promise<RolloutSummary[]> {
    const out: RolloutSummary[] = [];
    const ids = await this.redis.smembers(this.keys.activeRollouts);
    for (const part of chunks(ids)) {
      for (const raw of await this.redis.mget(...part.map((id) => this.keys.rollout(id)))) {
        const summary = parseJson<RolloutSummary>(raw);
        if (summary) out.push(summary);
      }
    }
    return out;
  }

  /** Rollouts in flight by state: what /metrics reports. */
  async activeRolloutStates(): Promise<Partial<Record<RolloutSummary['state'], number>>> {
    const counts: Partial<Record<RolloutSummary['state'], number>> = {};
    for (const summary of await this.activeRolloutSummaries()) counts[summary.state] = (counts[summary.state] ?? 0) + 1;
    return counts;
  }

  /**
   * Puts a summary queried from its workflow back into the read model (the rebuild), unless the
   * stored one is newer. True when it was written.
   */
  async restoreSummary(summary: RolloutSummary): Promise<boolean> {
    const keys = { summary: this.keys.rollout(summary.id), index: this.keys.rolloutIndex, active: this.keys.activeRollouts };
    return restoreSummary(this.redis, keys, summary, isTerminal(summary.state));
  }

  async rolloutEvents(rolloutId: string): Promise<RolloutEvent[]> {
    return (await this.redis.lrange(this.keys.rolloutEvents(rolloutId), 0, -1)).map((raw) => JSON.parse(raw) as RolloutEvent);
  }

  async healthSamples(rolloutId: string): Promise<StageHealthSample[]> {
    return (await this.redis.lrange(this.keys.rolloutHealth(rolloutId), 0, -1)).map((raw) => JSON.parse(raw) as StageHealthSample);
  }

  /**
   * One page of rollouts, newest first, filtered on the read model. The index is scanned in
   * batches from the cursor down to `since`, so a page costs a few round trips however the
   * filters thin it out. Rollouts created in the same millisecond are ordered by id.
   */
  async pageRollouts(q: RolloutPageQuery): Promise<RolloutPageResult> {
    const batch = Math.max(50, Math.min(REDIS_CHUNK, q.limit * 2));
    const max = q.cursor ? String(q.cursor.score) : '+inf';
    const min = q.since ? String(q.since.getTime()) : '-inf';
    const out: { summary: RolloutSummary; score: number }[] = [];
    for (let offset = 0; out.length <= q.limit; offset += batch) {
      const flat = await this.redis.zrevrangebyscore(this.keys.rolloutIndex, max, min, 'WITHSCORES', 'LIMIT', offset, batch);
      if (flat.length === 0) break;
      const entries: { id: string; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const id = flat[i]!;
        const score = Number(flat[i + 1]);
        // Same score as the cursor: ZREVRANGEBYSCORE orders those by id, descending.
        if (q.cursor && score === q.cursor.score && id >= q.cursor.id) continue;
        entries.push({ id, score });
      }
      if (entries.length > 0) {
        const raws = await this.redis.mget(...entries.map((e) => this.keys.rollout(e.id)));
        raws.forEach((raw, i) => {
          const s = parseJson<RolloutSummary>(raw);
          if (!s || out.length > q.limit) return;
          if (q.configKey && s.configKey !== q.configKey) return;
          if (q.state && s.state !== q.state) return;
          out.push({ summary: s, score: entries[i]!.score });
        });
      }
      if (flat.length < batch * 2) break;
    }
    const items = out.slice(0, q.limit);
    const last = items.at(-1);
    const more = out.length > q.limit && last !== undefined;
    return { items: items.map((i) => i.summary), next: more ? { score: last.score, id: last.summary.id } : null };
  }

  /** Per-target view of one rollout: what it assigned, what each had before, has now, and runs. */
  async rolloutTargets(rolloutId: string, configKey: string): Promise<Record<string, TargetRolloutStatus>> {
    const [members, prev, applied, restored] = await Promise.all([
      this.redis.lrange(this.keys.rolloutPlan(rolloutId), 0, -1),
      this.redis.hgetall(this.keys.rolloutPrevious(rolloutId)),
      this.redis.hgetall(this.keys.rolloutApplied(rolloutId)),
      this.redis.hgetall(this.keys.rolloutRestored(rolloutId)),
    ]);
    const timeOf = (raw: string | undefined): string | null => {
      const at = raw?.split('|')[1];
      return at ? new Date(Number(at)).toISOString() : null;
    };
    const rows: Record<string, TargetRolloutStatus> = {};
    for (const part of chunks(members)) {
      const pipe = this.redis.pipeline();
      for (const id of part) pipe.hget(this.keys.assign(id), configKey).hget(this.keys.confirmed(id), configKey);
      const res = (await pipe.exec()) ?? [];
      part.forEach((id, i) => {
        const assigned = res[2 * i]?.[1] as string | null;
        const confirmed = parseJson<Confirmation>(res[2 * i + 1]?.[1] as string | null);
        const a = applied[id];
        const p = prev[id];
        rows[id] = {
          version: a ? Number(a.split('|')[0]) : null,
          previousVersion: p !== undefined ? Number(p) : null,
          assignedVersion: assigned ? Number(assigned) : null,
          confirmedVersion: confirmed ? confirmed.version : null,
          appliedAt: timeOf(a),
          restoredAt: timeOf(restored[id]),
        };
      });
    }
    return rows;
  }
}
