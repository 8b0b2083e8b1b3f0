// Builds the dashboard into dist/web: one minified script and one stylesheet (uPlot and its CSS
// bundled in), both named by content hash, and index.html pointing at them. No CDN, no network.
//
//   node web/build.mjs            build
//   node web/build.mjs --watch    rebuild on change (development)

import { Buffer } from 'node:buffer';
import console from 'node:console';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const WEB = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(WEB, '..', 'dist', 'web');
const ASSETS = path.join(OUT, 'assets');

/**
 * The API client (api/client.ts) needs each route's method and path, which api/route-table.ts
 * derives from the contract. Bundling it as it is would bring zod and every schema into the
 * dashboard; instead it is evaluated here, at build time, and the bundle gets its value.
 * @type {import('esbuild').Plugin}
 */
const inlineRouteTable = {
  name: 'route-table',
  setup(build) {
    build.onLoad({ filter: /[\\/]api[\\/]route-table\.ts$/ }, async (args) => {
      const compiled = await esbuild.build({
        entryPoints: [args.path],
        bundle: true,
        platform: 'node',
        format: 'esm',
        write: false,
        metafile: true,
      });
      const code = compiled.outputFiles[0]?.text ?? '';
      const loaded = /** @type {unknown} */ (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`));
      const { routeTable } = /** @type {{ routeTable: unknown }} */ (loaded);
      return {
        contents: `export const routeTable = ${JSON.stringify(routeTable)};`,
        loader: 'js',
        // Rebuilt in --watch when the contract or a schema it imports changes.
        watchFiles: Object.keys(compiled.metafile.inputs).map((p) => path.resolve(p)),
      };
    });
  },
};

/** @type {import('esbuild').BuildOptions & { metafile: true }} */
const options = {
  plugins: [inlineRouteTable],
  entryPoints: { app: path.join(WEB, 'src', 'main.ts') },
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: ASSETS,
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
};

/** @param {import('esbuild').Metafile} metafile */
function writeIndex(metafile) {
  const outputs = Object.keys(metafile.outputs).map((p) => path.relative(OUT, path.resolve(p)));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !css) throw new Error(`web build: expected a .js and a .css output, got ${outputs.join(', ')}`);
  const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8').replace('{{js}}', `/${js}`).replace('{{css}}', `/${css}`);
  fs.writeFileSync(path.join(OUT, 'index.html'), html);
  // Old hashed files would otherwise pile up with every build.
  const keep = new Set(outputs.map((p) => path.basename(p)));
  for (const f of fs.readdirSync(ASSETS)) if (!keep.has(f)) fs.rmSync(path.join(ASSETS, f));
  return { js, css };
}

const t0 = Date.now();
fs.mkdirSync(ASSETS, { recursive: true });
if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [
      inlineRouteTable,
      { name: 'index', setup: (b) => b.onEnd((r) => r.metafile && (writeIndex(r.metafile), console.log('web: rebuilt'))) },
    ],
  });
  await ctx.watch();
  console.log(`web: watching ${path.relative(process.cwd(), WEB)}`);
} else {
  try {
    const result = await esbuild.build(options);
    const { js, css } = writeIndex(result.metafile);
    const size = (/** @type {string} */ p) => `${Math.round(fs.statSync(path.join(OUT, p)).size / 1024)} KiB`;
    console.log(`web: built ${path.relative(process.cwd(), OUT)} in ${Date.now() - t0} ms (${js} ${size(js)}, ${css} ${size(css)})`);
  } catch (err) {
    console.error(`web: build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
