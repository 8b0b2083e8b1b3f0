/**
 * `npm run demo:fleet`: starts a small simulated fleet and registers it with a running Tollgate,
 * for trying rollouts by hand. Stops on Ctrl-C.
 */
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
  });
  await fleet.start();
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
