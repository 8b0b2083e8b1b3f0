/** Redis connection settings: one server, cluster, sentinel, TLS, and the hash-tagged prefix a cluster needs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv, redisConnection, redisKeyPrefix } from '../../runtime/config';
import { redisClientOptions } from '../../runtime/redis';

const connect = (env: Record<string, string>) => redisConnection(loadEnv(env));

describe('redisConnection', () => {
  it('is one server by default, TLS by its rediss:// scheme', () => {
    expect(connect({})).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
    expect(connect({ REDIS_URL: 'rediss://u:p@cache:6380' })).toEqual({ mode: 'single', url: 'rediss://u:p@cache:6380' });
  });

  it('is a cluster with REDIS_CLUSTER_NODES, with credentials and TLS', () => {
    expect(connect({ REDIS_CLUSTER_NODES: 'a:7000, b:7001', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' })).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      auth: { password: 'pw' },
      tls: true,
    });
  });

  it('is a sentinel master with REDIS_SENTINELS and REDIS_SENTINEL_NAME', () => {
    expect(connect({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'main', REDIS_SENTINEL_PASSWORD: 'sp' })).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'main',
      sentinelPassword: 'sp',
      auth: {},
      tls: false,
    });
  });

  it.each([
    [{ REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'a:1' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_TLS: 'true' }, 'REDIS_TLS'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(() => connect(env)).toThrow(variable);
  });

  it.each([['a'], ['a:b'], ['a:70000'], ['a:1,,b']])('refuses the node list %s', (nodes) => {
    expect(() => loadEnv({ REDIS_CLUSTER_NODES: nodes })).toThrow('REDIS_CLUSTER_NODES');
  });
});

describe('redisKeyPrefix', () => {
  it.each([
    [{}, 'tollgate:'],
    [{ REDIS_CLUSTER_NODES: 'a:1' }, '{tollgate}:'],
    [{ REDIS_CLUSTER_NODES: 'a:1', TOLLGATE_REDIS_PREFIX: 'eu:{tg}:' }, 'eu:{tg}:'],
    [{ TOLLGATE_REDIS_PREFIX: 'plain:' }, 'plain:'],
  ])('%j → %s', (env, prefix) => {
    expect(redisKeyPrefix(loadEnv(env))).toBe(prefix);
  });

  it('refuses a prefix without a hash tag on a cluster, suggesting one', () => {
    expect(() => redisKeyPrefix(loadEnv({ REDIS_CLUSTER_NODES: 'a:1', TOLLGATE_REDIS_PREFIX: 'tollgate:' }))).toThrow(
      /TOLLGATE_REDIS_PREFIX: .*hash tag, like \{tollgate\}:/,
    );
  });
});

describe('redisClientOptions', () => {
  const ca = join(mkdtempSync(join(tmpdir(), 'tollgate-ca-')), 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('gives a cluster its nodes, master reads, and TLS with the CA file for each node', () => {
    const o = redisClientOptions(connect({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS_CA_FILE: ca, REDIS_USERNAME: 'u' }));
    if (o.mode !== 'cluster') throw new Error(o.mode);
    expect(o.nodes).toEqual([{ host: 'a', port: 7000 }]);
    expect(o.options.scaleReads).toBe('master');
    expect(o.options.redisOptions?.username).toBe('u');
    expect(String(o.options.redisOptions?.tls?.ca)).toContain('BEGIN CERTIFICATE');
  });

  it('gives sentinels their list, the master name and TLS to the sentinels too', () => {
    const o = redisClientOptions(
      connect({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'main', REDIS_TLS: 'true', REDIS_PASSWORD: 'pw' }),
    );
    if (o.mode !== 'sentinel') throw new Error(o.mode);
    expect(o.options).toMatchObject({
      sentinels: [{ host: 's', port: 26379 }],
      name: 'main',
      password: 'pw',
      enableTLSForSentinelMode: true,
    });
    expect(o.options.tls).toEqual({});
  });

  it('adds the CA file to a rediss:// server and nothing to a plain one', () => {
    const tls = redisClientOptions(connect({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: ca }));
    expect(tls.mode === 'single' && String(tls.options.tls?.ca)).toContain('BEGIN CERTIFICATE');
    const plain = redisClientOptions(connect({}));
    expect(plain.mode === 'single' && plain.options.tls).toBeUndefined();
    expect(plain.mode === 'single' && plain.options.maxRetriesPerRequest).toBe(3);
  });
});
