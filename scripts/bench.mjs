// `npm run bench`: builds, starts a Temporal dev server (in memory) and uses or starts a Redis,
// then runs bench/index.ts on them. BENCH_SIZES=100,1000,10000 chooses the fleet sizes.

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
} from './lib/setup.mjs';

async function main() {
  await ensureDeps();
  await ensureBuild();
  const cli = await ensureTemporalCli();
  const redis = await ensureRedis();
  const temporal = await startTemporalDevServer({ cli, headless: true });
  try {
    log('bench', `Temporal ${temporal.address}, Redis ${redis.url}`);
    const child = spawnTracked(process.execPath, [path.join(DIST_DIR, 'bench', 'index.js')], {
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, REDIS_URL: redis.url, TOLLGATE_WORKFLOW_BUNDLE: WORKFLOW_BUNDLE },
    });
    return await exitCode(child);
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
