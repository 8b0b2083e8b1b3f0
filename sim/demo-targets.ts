/**
 * `npm run demo:targets`: a few push targets on one fixed port, for the README's curl walk-through.
 * They do not register themselves: the walk-through registers them with Tollgate.
 *   web-1 … web-N at http://127.0.0.1:4100/t/web-i/{health,apply}; GET /t/web-i shows what it runs.
 */
import { VirtualFleet } from './virtual-fleet';

async function main(): Promise<void> {
  const port = Number(process.env.DEMO_PORT ?? 4100);
  const count = Number(process.env.DEMO_TARGETS ?? 4);
  const fleet = new VirtualFleet(Array.from({ length: count }, (_, i) => `web-${i + 1}`));
  await fleet.start(port);
  console.log(`${count} demo targets on http://127.0.0.1:${port}:`);
  for (const id of fleet.ids) console.log(`  ${id}: health ${fleet.url(id)}/health  apply ${fleet.url(id)}/apply`);
  console.log('content with "healthy": false makes a target answer 500 on /health. Ctrl-C to stop.');
  const stop = () => void fleet.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
