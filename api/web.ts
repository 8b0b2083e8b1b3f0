/**
 * Serves the dashboard built by `node web/build.mjs`: hashed assets cached for a year, the page
 * itself revalidated each time, and the client's own routes answered with the page.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';

/** Paths the dashboard routes in the browser; each is answered with index.html. */
export const CLIENT_ROUTES = ['/', '/rollouts/:rolloutId', '/rollouts/:rolloutId/report', '/audit'];

export function webRoutes(webDir: string): Router {
  const r = Router();
  const index = path.join(webDir, 'index.html');

  r.use(
    '/assets',
    express.static(path.join(webDir, 'assets'), {
      index: false,
      fallthrough: true,
      setHeaders: (res: Response) => res.setHeader('Cache-Control', 'public, max-age=31536000, immutable'),
    }),
  );

  r.get(CLIENT_ROUTES, (_req, res) => {
    // Checked per request: the dashboard may be built after the API has started.
    if (!existsSync(index)) {
      res
        .status(404)
        .type('text/plain')
        .send(`The dashboard is not built: run \`node web/build.mjs\` (looked in ${webDir}).\nThe API is at /v1 and /openapi.json.\n`);
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });

  return r;
}
