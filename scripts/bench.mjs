// `npm run bench`: builds, starts a Temporal dev server (in memory) and uses or starts a Redis,
// then runs bench/index.ts (fleet sizes: BENCH_SIZES=100,1000,10000), bench/sse-latency.ts and
// bench/notification-latency.ts.

import path from 'node:path';

import {
  DIST_DIR,
  WORKFLOW_BUNDLE,
  ensureBuild,
  ensureDeps,
  ensureRedis,
  ensureTemporalCli,
  exitCode,
  log,
  reportFailure,
  spawnTracked,
  startTemporalDevServer,
} from './setup/setup.mjs';

async function main() {
  await ensureDeps();
  await ensureBuild();
  const cli = await ensureTemporalCli();
  const redis = await ensureRedis();
  const temporal = await startTemporalDevServer({ cli, headless: true });
  try {
    log('bench', `Temporal ${temporal.address}, Redis ${redis.url}`);
    const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, REDIS_URL: redis.url, TOLLGATE_WORKFLOW_BUNDLE: WORKFLOW_BUNDLE };
    for (const [script, args] of [
      ['index.js', []],
      ['sse-latency.js', ['--rollouts', '24', '--parallel', '4']],
      ['notification-latency.js', ['--rollouts', '20', '--parallel', '1']],
    ]) {
      const child = spawnTracked(process.execPath, [path.join(DIST_DIR, 'bench', script), ...args], { stdio: 'inherit', env });
      const code = await exitCode(child);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    await temporal.stop();
    await redis.stop();
  }
}

main().then(
  (code) => process.exit(code ?? 1),
  (err) => {
    reportFailure(err);
    process.exit(1);
  },
);
