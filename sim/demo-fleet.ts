/**
 * `npm run demo:fleet`: starts a small simulated fleet and registers it with a running Tollgate,
 * for trying rollouts by hand. Stops on Ctrl-C.
 *
 * Each target serves FLEET_TRAFFIC simulated requests a second (default 50), counted in its
 * /metrics; with FLEET_NOISE=1 it is a noisy fleet (random latency, about 1% errors on /health and
 * in that traffic, as canary analysis expects of a real one); with FLEET_PROMETHEUS_CONFIG it writes a Prometheus config that scrapes
 * them every second, for trying canary analysis's `prometheus` check.
 */
import { writeFileSync } from 'node:fs';
import { Fleet } from './fleet';

async function main(): Promise<void> {
  const apiUrl = process.env.TOLLGATE_URL ?? 'http://localhost:3000';
  const fleet = new Fleet({
    apiUrl,
    token: process.env.TOLLGATE_TOKEN,
    push: Number(process.env.FLEET_PUSH ?? 6),
    pull: Number(process.env.FLEET_PULL ?? 4),
    idPrefix: process.env.FLEET_PREFIX ?? 'web',
    labels: { app: 'portal' },
    configKeys: (process.env.FLEET_CONFIG_KEYS ?? 'portal-db').split(','),
    pollMs: 500,
    ...(process.env.FLEET_NOISE === '1'
      ? { noise: { medianMs: 20, sigma: 0.3, errorRate: 0.01, seed: Number(process.env.FLEET_SEED ?? 1) } }
      : {}),
    trafficPerSecond: Number(process.env.FLEET_TRAFFIC ?? 50),
  });
  await fleet.start();
  const promConfig = process.env.FLEET_PROMETHEUS_CONFIG;
  if (promConfig) {
    const targets = fleet.targets.map((t) => `'127.0.0.1:${t.port}'`).join(', ');
    writeFileSync(
      promConfig,
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: fleet\n    static_configs: [{ targets: [${targets}] }]\n`,
    );
    console.log(`Prometheus config scraping the fleet's /metrics: ${promConfig}`);
  }
  console.log(`fleet of ${fleet.targets.length} targets registered with ${apiUrl} (label app=portal):`);
  for (const t of fleet.targets) console.log(`  ${t.id.padEnd(16)} ${t.delivery.padEnd(5)} ${t.url}`);
  console.log('content with "healthy": false makes a target answer 500 on /health. Ctrl-C to stop.');
  const stop = () => void fleet.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
