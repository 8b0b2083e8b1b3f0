// npm dependencies and the build (compiled TypeScript, workflow bundle, dashboard), each redone
// only when its inputs changed.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { run } from './processes.mjs';
import { DIST_DIR, REPO_ROOT, WORKFLOW_BUNDLE, fail, isExecutable, log, readIfExists, since } from './util.mjs';

// Build inputs: these directories plus whatever tsconfig.build.json includes, so a directory added
// to the build is also added to the up-to-date check.
const SOURCE_DIRS = ['domain', 'store', 'workflows', 'activities', 'worker', 'api', 'cli', 'web'];
const BUILD_CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/bundle-workflows.cjs'];

/** sha256 over each file's repo-relative path and contents; a missing file counts as a distinct value. */
function hashFiles(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(REPO_ROOT, file).split(path.sep).join('/'));
    hash.update('\0');
    try {
      hash.update(fs.readFileSync(file));
      hash.update('\0');
    } catch {
      hash.update('\0missing\0');
    }
  }
  return hash.digest('hex');
}

/** Every file under `dir` (or `dir` itself if it is a file), skipping installed packages and generated output. */
function listFiles(dir) {
  const out = [];
  const walk = (current) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(full);
      } else if (entry.isFile()) out.push(full);
    }
  };
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat?.isDirectory()) walk(dir);
  else if (stat?.isFile()) out.push(dir);
  return out;
}

export async function ensureDeps() {
  const nodeModules = path.join(REPO_ROOT, 'node_modules');
  const stamp = path.join(nodeModules, '.tollgate-deps');
  const want = hashFiles(['package.json', 'package-lock.json'].map((f) => path.join(REPO_ROOT, f)));
  if (readIfExists(stamp) === want) {
    log('deps', 'up to date');
    return;
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'package-lock.json'))) {
    fail('package-lock.json is missing: npm ci needs it (run `npm install` once and commit the lock file)');
  }
  log('deps', fs.existsSync(nodeModules) ? 'package files changed: running npm ci…' : 'installing: running npm ci…');
  const t0 = Date.now();
  const code = await run('npm', ['ci', '--no-audit', '--no-fund']);
  if (code !== 0) fail(`npm ci failed (exit code ${code}); see its output above`);
  fs.writeFileSync(stamp, `${want}\n`);
  log('deps', `installed in ${since(t0)}`);
}

function buildSourceDirs() {
  let include = [];
  try {
    include = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')).include ?? [];
  } catch {
    // Not plain JSON (comments) or missing: tsc reports the latter; the fixed list still applies.
  }
  const dirs = include.map((entry) => entry.split(/[/*]/)[0]).filter((entry) => entry && !entry.startsWith('.'));
  return [...new Set([...SOURCE_DIRS, ...dirs])];
}

function buildInputsHash() {
  const files = buildSourceDirs()
    .flatMap((dir) => listFiles(path.join(REPO_ROOT, dir)))
    .sort();
  return hashFiles([...files, ...BUILD_CONFIG_FILES.map((f) => path.join(REPO_ROOT, f))]);
}

export async function ensureBuild() {
  const stamp = path.join(DIST_DIR, '.tollgate-build');
  // Hashed before compiling: a source edited mid-build then differs from the stamp and rebuilds next time.
  const want = buildInputsHash();
  if (readIfExists(stamp) === want && fs.existsSync(WORKFLOW_BUNDLE)) {
    log('build', 'up to date');
    return;
  }
  const tsc = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  if (!isExecutable(tsc)) fail('node_modules/.bin/tsc not found: install the dependencies first (ensureDeps)');

  // From scratch, so output of deleted or renamed sources cannot linger and be loaded.
  fs.rmSync(DIST_DIR, { recursive: true, force: true });

  log('build', 'compiling… (tsc -p tsconfig.build.json)');
  let t0 = Date.now();
  const tscCode = await run(tsc, ['-p', 'tsconfig.build.json']);
  if (tscCode !== 0) fail(`TypeScript compile failed (tsc exit code ${tscCode}) after ${since(t0)}; see the errors above`);
  log('build', `compiled in ${since(t0)}`);

  const workflowsEntry = path.join(DIST_DIR, 'workflows', 'index.js');
  if (!fs.existsSync(workflowsEntry)) {
    fail('dist/workflows/index.js was not produced: workflows/index.ts must exist and export every workflow');
  }
  log('build', 'bundling workflows…');
  t0 = Date.now();
  const bundleCode = await run(process.execPath, [
    path.join(REPO_ROOT, 'scripts', 'bundle-workflows.cjs'),
    workflowsEntry,
    WORKFLOW_BUNDLE,
  ]);
  if (bundleCode !== 0) fail(`bundling workflows failed (exit code ${bundleCode}) after ${since(t0)}; see the errors above`);
  log('build', `bundled workflows in ${since(t0)}`);

  log('build', 'building the dashboard… (web/build.mjs)');
  t0 = Date.now();
  const webCode = await run(process.execPath, [path.join(REPO_ROOT, 'web', 'build.mjs')]);
  if (webCode !== 0) fail(`building the dashboard failed (exit code ${webCode}) after ${since(t0)}; see the errors above`);
  log('build', `built the dashboard in ${since(t0)}`);

  fs.writeFileSync(stamp, `${want}\n`);
}
