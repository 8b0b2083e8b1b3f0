/**
 * API tokens: random secrets shown once, stored only as SHA-256 hashes. Every request looks its
 * token up here, so a revocation holds on every API instance at once (no cache to go stale).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisClient as Redis } from '../runtime/redis';
import type { CreateTokenRequest, CreatedToken, Principal, TokenInfo } from '../domain/access';
import { keys, type Keys } from './keys';

/** 256 random bits, base64url, behind a prefix that secret scanners can recognise. */
export const TOKEN_PREFIX = 'tg_';
const SECRET_BYTES = 32;
/** The bootstrap admin token's name and (fixed) id. */
export const ADMIN_TOKEN_NAME = 'admin';
export const ADMIN_TOKEN_ID = 'tok_0000000000000000';
/** Shortest accepted TOLLGATE_ADMIN_TOKEN. */
export const MIN_ADMIN_TOKEN_LENGTH = 24;
/** Largest number of tokens listed by `GET /v1/tokens`. */
export const MAX_TOKENS = 10_000;

interface TokenRecord extends TokenInfo {
  hash: string;
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): string {
  return TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

function info(r: TokenRecord): TokenInfo {
  const { hash: _hash, ...rest } = r;
  return rest;
}

export type CreateTokenResult = { ok: true; created: CreatedToken } | { ok: false; reason: 'name_taken' };

export class TokenStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async create(req: CreateTokenRequest, createdBy: string, now = new Date()): Promise<CreateTokenResult> {
    const id = `tok_${randomBytes(8).toString('hex')}`;
    // The name is claimed first and atomically: two admins creating the same name cannot both win.
    if ((await this.redis.hsetnx(this.k.tokenNames, req.name, id)) === 0) return { ok: false, reason: 'name_taken' };
    const secret = newSecret();
    const record: TokenRecord = {
      id,
      name: req.name,
      role: req.role,
      ...(req.targets ? { targets: req.targets } : {}),
      createdAt: now.toISOString(),
      createdBy,
      ...(req.expiresAt ? { expiresAt: req.expiresAt } : {}),
      hash: hashOf(secret),
    };
    await this.redis.multi().hset(this.k.tokens, id, JSON.stringify(record)).hset(this.k.tokenHashes, record.hash, id).exec();
    const { createdBy: _by, hash: _hash, ...shown } = record;
    return { ok: true, created: { ...shown, token: secret } };
  }

  async list(): Promise<TokenInfo[]> {
    const all = await this.redis.hvals(this.k.tokens);
    return all
      .slice(0, MAX_TOKENS)
      .map((raw) => info(JSON.parse(raw) as TokenRecord))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  async get(id: string): Promise<TokenInfo | null> {
    const raw = await this.redis.hget(this.k.tokens, id);
    return raw ? info(JSON.parse(raw) as TokenRecord) : null;
  }

  /** Revokes at once: the hash stops resolving. Revoking twice is harmless; null for an unknown id. */
  async revoke(id: string, by: string, now = new Date()): Promise<TokenInfo | null> {
    const raw = await this.redis.hget(this.k.tokens, id);
    if (!raw) return null;
    const record = JSON.parse(raw) as TokenRecord;
    if (record.revokedAt) return info(record);
    const revoked: TokenRecord = { ...record, revokedAt: now.toISOString(), revokedBy: by };
    await this.redis.multi().hdel(this.k.tokenHashes, record.hash).hset(this.k.tokens, id, JSON.stringify(revoked)).exec();
    return info(revoked);
  }

  /** The caller a secret stands for, or null when it is unknown, revoked or expired. */
  async verify(secret: string, now = new Date()): Promise<Principal | null> {
    if (!secret.startsWith(TOKEN_PREFIX) && secret.length < MIN_ADMIN_TOKEN_LENGTH) return null;
    const hash = hashOf(secret);
    const id = await this.redis.hget(this.k.tokenHashes, hash);
    if (!id) return null;
    const raw = await this.redis.hget(this.k.tokens, id);
    if (!raw) return null;
    const record = JSON.parse(raw) as TokenRecord;
    // The lookup was by hash; this comparison in constant time is what admits the caller.
    if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
    if (record.revokedAt) return null;
    if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return null;
    return {
      id: record.id,
      name: record.name,
      role: record.role,
      via: 'token',
      ...(record.targets ? { targets: record.targets } : {}),
      ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
    };
  }

  /** Whether a token still admits its caller (not revoked, not expired): for streams that outlive a request. */
  async isActive(id: string, now = new Date()): Promise<boolean> {
    const raw = await this.redis.hget(this.k.tokens, id);
    if (!raw) return false;
    const record = JSON.parse(raw) as TokenRecord;
    return !record.revokedAt && (!record.expiresAt || Date.parse(record.expiresAt) > now.getTime());
  }

  /**
   * The bootstrap admin token. With a secret from the environment, it becomes (or stays) the
   * `admin` token's secret. Without one, the first start generates a secret and returns it, once:
   * later starts find the token and return null. Safe when several API instances start together.
   */
  async ensureAdmin(fromEnv: string | undefined, now = new Date()): Promise<{ generated: string | null }> {
    const owner = await this.redis.hget(this.k.tokenNames, ADMIN_TOKEN_NAME);
    if (owner !== null && owner !== ADMIN_TOKEN_ID) {
      throw new Error(`a token named "${ADMIN_TOKEN_NAME}" exists that is not the bootstrap admin token (${owner})`);
    }
    if (!fromEnv && owner !== null) return { generated: null };
    if (!fromEnv && (await this.redis.hsetnx(this.k.tokenNames, ADMIN_TOKEN_NAME, ADMIN_TOKEN_ID)) === 0) return { generated: null };
    const secret = fromEnv ?? newSecret();
    const previous = await this.redis.hget(this.k.tokens, ADMIN_TOKEN_ID);
    const old = previous ? (JSON.parse(previous) as TokenRecord) : null;
    const record: TokenRecord = {
      id: ADMIN_TOKEN_ID,
      name: ADMIN_TOKEN_NAME,
      role: 'admin',
      createdAt: old && old.hash === hashOf(secret) ? old.createdAt : now.toISOString(),
      createdBy: fromEnv ? 'TOLLGATE_ADMIN_TOKEN' : 'first start',
      hash: hashOf(secret),
    };
    const tx = this.redis.multi();
    if (old && old.hash !== record.hash) tx.hdel(this.k.tokenHashes, old.hash);
    await tx
      .hset(this.k.tokenNames, ADMIN_TOKEN_NAME, ADMIN_TOKEN_ID)
      .hset(this.k.tokens, ADMIN_TOKEN_ID, JSON.stringify(record))
      .hset(this.k.tokenHashes, record.hash, ADMIN_TOKEN_ID)
      .exec();
    return { generated: fromEnv ? null : secret };
  }
}
