/**
 * Notification subscriptions and their delivery records in Redis. The secret is stored for the
 * delivery activity to sign with; nothing here hands it to the API (`publicView` drops it).
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient as Redis } from '../runtime/redis';
import { DELIVERIES_KEPT, MAX_SUBSCRIPTIONS, type Delivery, type StoredSubscription } from '../domain/notifications';
import { ALERT_SUBSCRIPTION_ID } from '../domain/notify-delivery';
import { keys, type Keys } from './keys';

/** Adds a subscription unless the set is full; a replaced id (the alert webhook at start) never counts twice. */
const PUT_SUBSCRIPTION = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** Writes one delivery record; a new one goes to the front of the order, and the oldest past the cap are dropped. */
const RECORD_DELIVERY = `
local fresh = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if fresh == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  local cap = tonumber(ARGV[3])
  while redis.call('LLEN', KEYS[2]) > cap do
    local old = redis.call('RPOP', KEYS[2])
    redis.call('HDEL', KEYS[1], old)
  end
end
return fresh`;

export class SubscriptionStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  static newId(): string {
    return `sub_${randomBytes(8).toString('hex')}`;
  }

  /** False when MAX_SUBSCRIPTIONS are stored already. */
  async put(sub: StoredSubscription): Promise<boolean> {
    const added = await this.redis.eval(PUT_SUBSCRIPTION, 1, this.k.subscriptions, sub.id, JSON.stringify(sub), MAX_SUBSCRIPTIONS);
    return added === 1;
  }

  async get(id: string): Promise<StoredSubscription | null> {
    const raw = await this.redis.hget(this.k.subscriptions, id);
    return raw ? (JSON.parse(raw) as StoredSubscription) : null;
  }

  /** Oldest first. */
  async list(): Promise<StoredSubscription[]> {
    const all = Object.values(await this.redis.hgetall(this.k.subscriptions)).map((raw) => JSON.parse(raw) as StoredSubscription);
    return all.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1));
  }

  /**
   * TOLLGATE_ALERT_WEBHOOK as a subscription with a fixed id: `failed` events, JSON, no secret.
   * Every worker writes it at start; the same URL leaves it as it was, a new URL replaces it.
   */
  async ensureAlertSubscription(url: string, now = new Date()): Promise<StoredSubscription> {
    const existing = await this.get(ALERT_SUBSCRIPTION_ID);
    if (existing && existing.url === url) return existing;
    const sub: StoredSubscription = {
      id: ALERT_SUBSCRIPTION_ID,
      url,
      events: ['failed'],
      format: 'json',
      createdAt: now.toISOString(),
      createdBy: 'TOLLGATE_ALERT_WEBHOOK',
    };
    // Replacing an existing id never counts against MAX_SUBSCRIPTIONS; a new one past it is refused loudly.
    if (!(await this.put(sub))) throw new Error(`TOLLGATE_ALERT_WEBHOOK: ${MAX_SUBSCRIPTIONS} subscriptions exist already; delete one`);
    return sub;
  }

  /** Removes the subscription and its delivery records. False when there was none. */
  async delete(id: string): Promise<boolean> {
    const [[, removed] = []] =
      (await this.redis
        .multi()
        .hdel(this.k.subscriptions, id)
        .del(this.k.subscriptionDeliveries(id), this.k.subscriptionDeliveryOrder(id))
        .exec()) ?? [];
    return removed === 1;
  }

  async recordDelivery(subscriptionId: string, delivery: Delivery): Promise<void> {
    await this.redis.eval(
      RECORD_DELIVERY,
      2,
      this.k.subscriptionDeliveries(subscriptionId),
      this.k.subscriptionDeliveryOrder(subscriptionId),
      delivery.idempotencyKey,
      JSON.stringify(delivery),
      DELIVERIES_KEPT,
    );
  }

  async delivery(subscriptionId: string, idempotencyKey: string): Promise<Delivery | null> {
    const raw = await this.redis.hget(this.k.subscriptionDeliveries(subscriptionId), idempotencyKey);
    return raw ? (JSON.parse(raw) as Delivery) : null;
  }

  /** Newest first. */
  async deliveries(subscriptionId: string, limit = DELIVERIES_KEPT): Promise<Delivery[]> {
    const order = await this.redis.lrange(this.k.subscriptionDeliveryOrder(subscriptionId), 0, limit - 1);
    if (order.length === 0) return [];
    const raws = await this.redis.hmget(this.k.subscriptionDeliveries(subscriptionId), ...order);
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as Delivery] : []));
  }
}
