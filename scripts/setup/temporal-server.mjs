// The full Temporal server (not the CLI's dev server) and its SQL schema tool, for the drill that
// runs Tollgate on Temporal backed by PostgreSQL (tests/drills/temporal-cluster.test.ts). Both are
// built once with Go into ~/.cache/tollgate/temporal-server-<version>/, beside a copy of the
// server's PostgreSQL schema files, under a lock so that parallel test runs build it once.
// TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL and TEMPORAL_SERVER_SCHEMA name a build made elsewhere instead.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { findGo, goInstall } from './go.mjs';
import { exitCode, spawnTracked } from './processes.mjs';
import { fail, log } from './util.mjs';

// The one place the server version is pinned; the cache directory name carries it.
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';
const PACKAGES = { 'temporal-server': 'cmd/server', 'temporal-sql-tool': 'cmd/tools/sql' };

export function temporalServerCacheDir() {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'tollgate', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function paths(dir) {
  return {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    // schema/postgresql/v12 of the module: temporal/versioned and visibility/versioned.
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

function isComplete(p) {
  const executable = (f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return executable(p.server) && executable(p.sqlTool) && fs.existsSync(path.join(p.schemaDir, 'temporal', 'versioned'));
}

/**
 * `{server, sqlTool, schemaDir}` of the pinned Temporal server, building it when missing; null
 * (after saying why) when it is missing and there is no Go to build it, so the drill that needs it
 * can say so instead of the whole test run failing.
 */
export async function ensureTemporalServer() {
  const fromEnv = {
    server: process.env.TEMPORAL_SERVER_BIN,
    sqlTool: process.env.TEMPORAL_SQL_TOOL,
    schemaDir: process.env.TEMPORAL_SERVER_SCHEMA,
  };
  if (fromEnv.server || fromEnv.sqlTool || fromEnv.schemaDir) {
    // Built elsewhere: all three must be given, and be there.
    const given = {
      server: path.resolve(fromEnv.server ?? ''),
      sqlTool: path.resolve(fromEnv.sqlTool ?? ''),
      schemaDir: path.resolve(fromEnv.schemaDir ?? ''),
    };
    if (!isComplete(given)) {
      fail(
        'TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL and TEMPORAL_SERVER_SCHEMA go together: two executables and the schema/postgresql/v12 directory',
      );
    }
    log('temporal-server', `${given.server} (from TEMPORAL_SERVER_BIN)`);
    return given;
  }
  const dir = temporalServerCacheDir();
  const want = paths(dir);
  if (isComplete(want)) {
    log('temporal-server', `v${TEMPORAL_SERVER_VERSION} ${dir}`);
    return want;
  }
  const go = findGo();
  if (!go) {
    log('temporal-server', 'no Temporal server built and no Go to build one: the Temporal-on-PostgreSQL drill will fail');
    return null;
  }
  await goInstall({
    go,
    dir,
    label: 'temporal-server',
    what: `the Temporal server v${TEMPORAL_SERVER_VERSION}`,
    packages: Object.values(PACKAGES).map((pkg) => `${SERVER_MODULE}/${pkg}@v${TEMPORAL_SERVER_VERSION}`),
    // A vendor directory or a GOFLAGS from the caller must not change what is built.
    env: { GOFLAGS: '-mod=mod' },
    announce:
      `building the Temporal server v${TEMPORAL_SERVER_VERSION} and its SQL tool with Go (${go}): a one-time build of ` +
      `several minutes (about 14 CPU-minutes: 7 or more on 2 idle cores) that leaves ~250 MB in ${dir}.`,
    isDone: () => isComplete(want),
    install: async (work, code) => {
      const built = { server: path.join(work, 'server'), sqlTool: path.join(work, 'sql') };
      if (code !== 0 || !fs.existsSync(built.server) || !fs.existsSync(built.sqlTool)) {
        fail(`building the Temporal server failed (go install exit code ${code}); see the [go] lines above`);
      }
      // The schema files come from the module cache, copied so that a cleaned module cache cannot take them away.
      const modDir = await goModuleDir(go, work);
      fs.rmSync(want.schemaDir, { recursive: true, force: true });
      fs.cpSync(path.join(modDir, 'schema', 'postgresql', 'v12'), want.schemaDir, { recursive: true });
      makeWritable(want.schemaDir);
      // Renames within one directory are atomic; the server goes last, since isComplete checks it first.
      fs.renameSync(built.sqlTool, want.sqlTool);
      fs.renameSync(built.server, want.server);
    },
  });
  return want;
}

/** The module cache's files are read-only; the copy must be removable by the next build. */
function makeWritable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else fs.chmodSync(p, 0o644);
  }
}

/** Where the module cache holds the server's source (downloaded by the build just before). */
async function goModuleDir(go, cwd) {
  const child = spawnTracked(go, ['mod', 'download', '-json', `${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`], {
    cwd,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await exitCode(child);
  const dir = code === 0 ? JSON.parse(out).Dir : null;
  if (!dir || !fs.existsSync(path.join(dir, 'schema')))
    fail(`go mod download ${SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION} found no schema directory`);
  return dir;
}
