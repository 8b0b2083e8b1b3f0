// `npm run build`: installs the dependencies when package files changed, then compiles the
// TypeScript into dist/ and bundles the workflows, each step skipped when its inputs are unchanged.
//
//   node scripts/build.mjs              dependencies and build
//   node scripts/build.mjs --deps-only  dependencies only (the Dockerfile's cached layer)

import { ensureBuild, ensureDeps, onSignals, reportFailure } from './setup/setup.mjs';

// Exiting through process.exit runs the cleanup that stops npm or tsc mid-way.
onSignals((signal) => process.exit(signal === 'SIGINT' ? 130 : 143));

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--deps-only');
if (unknown.length > 0) {
  console.error(`usage: node scripts/build.mjs [--deps-only] (unknown: ${unknown.join(' ')})`);
  process.exit(2);
}

try {
  await ensureDeps();
  if (!args.includes('--deps-only')) await ensureBuild();
} catch (err) {
  reportFailure(err);
  process.exit(1);
}
