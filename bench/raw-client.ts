/**
 * The raw limits Tollgate is compared with, measured from a process of their own (as the worker
 * is one) on the same fleet and Redis in the same run:
 *  - `http`: plain keep-alive POSTs of the same body to the same target URLs, `inFlight` at once
 *    (Tollgate's delivery concurrency), through a bare http.Agent.
 *  - `redis`: the same assignment keys written with one pipeline of HSETs.
 */
import http from 'node:http';
import { createRedis } from '../runtime/redis';
import { serveIpc } from './ipc';

interface HttpArgs {
  urls: string[];
  body: unknown;
  inFlight: number;
}
interface RedisArgs {
  redisUrl: string;
  keys: string[];
  field: string;
  value: string;
}

function post(agent: http.Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.end(body);
  });
}

serveIpc({
  async http({ urls, body, inFlight }: HttpArgs): Promise<{ ms: number; failed: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
    const text = JSON.stringify(body);
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(inFlight, urls.length) }, async () => {
        while (next < urls.length) {
          const status = await post(agent, urls[next++]!, text);
          if (status !== 200) failed++;
        }
      }),
    );
    const ms = performance.now() - t0;
    agent.destroy();
    return { ms, failed };
  },
  async redis({ redisUrl, keys, field, value }: RedisArgs): Promise<{ ms: number }> {
    const redis = createRedis(redisUrl);
    await redis.ping();
    const t0 = performance.now();
    const pipe = redis.pipeline();
    for (const k of keys) pipe.hset(k, field, value);
    await pipe.exec();
    const ms = performance.now() - t0;
    const clean = redis.pipeline();
    for (const k of keys) clean.hdel(k, field);
    await clean.exec();
    redis.disconnect();
    return { ms };
  },
});
