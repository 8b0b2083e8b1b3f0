'use strict';
// Bundles the compiled workflows once at build time, so the worker and the tests load a prebuilt
// bundle instead of running webpack on every start. Kept apart from scripts/setup/setup.mjs because it
// needs @temporalio/worker, which exists only after the dependencies are installed.
//
//   node scripts/bundle-workflows.cjs <dist/workflows/index.js> <dist/workflow-bundle.js>

const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode, DefaultLogger } = require('@temporalio/worker');

async function main() {
  const [workflowsPath, outFile] = process.argv.slice(2);
  if (!workflowsPath || !outFile) {
    console.error('usage: node scripts/bundle-workflows.cjs <workflows entry .js> <output .js>');
    process.exit(2);
  }
  // webpack's INFO output is a page of module statistics per build; warnings and errors still show.
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.resolve(workflowsPath),
    logger: new DefaultLogger('WARN'),
  });
  // Readers (a worker starting in parallel) must never see a half-written bundle.
  const tmp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, outFile);
  console.log(`workflow bundle: ${path.relative(process.cwd(), outFile)} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err) => {
  // The bundler's message names the offending module; its stack is webpack internals.
  console.error(err && err.message ? err.message : err);
  process.exit(1);
});
