// `npm run bench [-- --quick]`: builds, starts a Temporal dev server (in memory) and uses or starts
// a Redis, then runs bench/index.ts (every scenario of BENCHMARKS.md, each beside the raw limit
// measured in the same run), in a full run bench/sse-latency.ts, and last the fault soak
// (tests/soak/soak.scenario.ts under Jest: 100 config keys, or 20 with `--quick`). `--quick` is the
// CI smoke run: small sizes, no timed assertions (the soak's invariants are asserted at any size).

import path from 'node:path';

import {
  DIST_DIR,
  REPO_ROOT,
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

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--quick');
if (unknown.length > 0) {
  console.error(`usage: npm run bench [-- --quick] (unknown: ${unknown.join(' ')})`);
  process.exit(2);
}
const quick = args.includes('--quick');

async function main() {
  await ensureDeps();
  await ensureBuild();
  const cli = await ensureTemporalCli();
  const redis = await ensureRedis();
  const temporal = await startTemporalDevServer({ cli, headless: true });
  try {
    log('bench', `Temporal ${temporal.address}, Redis ${redis.url}`);
    const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, REDIS_URL: redis.url, TOLLGATE_WORKFLOW_BUNDLE: WORKFLOW_BUNDLE };
    const runs = [['index.js', quick ? ['--quick'] : []]];
    if (!quick) runs.push(['sse-latency.js', ['--rollouts', '24', '--parallel', '4']]);
    for (const [script, scriptArgs] of runs) {
      const child = spawnTracked(process.execPath, [path.join(DIST_DIR, 'bench', script), ...scriptArgs], { stdio: 'inherit', env });
      const code = await exitCode(child);
      if (code !== 0) return code;
    }
    log('bench', `fault soak (${quick ? 20 : 100} config keys, two rounds): tests/soak/soak.scenario.ts`);
    const soak = spawnTracked(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'jest'),
      ['--testMatch', '**/tests/soak/*.scenario.ts', '--runInBand'],
      {
        cwd: REPO_ROOT,
        stdio: 'inherit',
        env: {
          ...env,
          TOLLGATE_DIST: DIST_DIR,
          TOLLGATE_METRICS_PORT: '0',
          TOLLGATE_SOAK_KEYS: process.env.TOLLGATE_SOAK_KEYS ?? (quick ? '20' : '100'),
        },
      },
    );
    return await exitCode(soak);
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
