// The Temporal CLI (its dev server runs Tollgate locally and in tests): $TEMPORAL_CLI, `temporal`
// on PATH, or the pinned version built once with Go into the cache.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { findGo, goInstall } from './go.mjs';
import { fail, isExecutable, log, which } from './util.mjs';

// The one place the Temporal CLI version is pinned; the cache directory name carries it, so a bump
// builds a fresh binary beside the old one instead of reusing it.
export const TEMPORAL_CLI_VERSION = '1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export function temporalCliCachePath() {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'tollgate', `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/**
 * Absolute path of a Temporal CLI, or null when there is none and Go is not there to build one (the
 * caller then lets the SDK download a server). Order: $TEMPORAL_CLI, `temporal` on PATH, the pinned
 * build in the cache, a fresh build of the pinned version with Go.
 */
export async function ensureTemporalCli({ allowBuild = true } = {}) {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const cli = path.resolve(fromEnv);
    if (!isExecutable(cli)) fail(`TEMPORAL_CLI=${fromEnv}: no executable file there`);
    log('temporal', `CLI ${cli} (from TEMPORAL_CLI)`);
    return cli;
  }
  const onPath = which('temporal');
  if (onPath) {
    log('temporal', `CLI ${onPath} (on PATH)`);
    return onPath;
  }
  const cached = temporalCliCachePath();
  if (isExecutable(cached)) {
    log('temporal', `CLI ${cached}`);
    return cached;
  }
  const go = findGo();
  if (!go || !allowBuild) {
    log('temporal', `no Temporal CLI found${go ? '' : ' and no Go to build one'}: the Temporal SDK will download a dev server`);
    return null;
  }
  return buildTemporalCli(go, cached);
}

async function buildTemporalCli(go, target) {
  const dir = path.dirname(target);
  await goInstall({
    go,
    dir,
    label: 'temporal',
    what: 'the Temporal CLI',
    packages: [`${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
    announce:
      `no Temporal CLI found: building v${TEMPORAL_CLI_VERSION} with Go (${go}). ` +
      `This is a one-time build of about 3 minutes that leaves ~250 MB in ${dir}.`,
    isDone: () => isExecutable(target),
    install: (work, code) => {
      const built = path.join(work, 'temporal');
      if (code !== 0 || !isExecutable(built)) {
        fail(
          `building the Temporal CLI failed (go install exit code ${code}); see the [go] lines above. ` +
            'Set TEMPORAL_CLI to an existing temporal binary to skip the build.',
        );
      }
      // Same directory, so the rename is atomic: nobody ever sees a partial binary at `target`.
      fs.renameSync(built, target);
    },
  });
  return target;
}
