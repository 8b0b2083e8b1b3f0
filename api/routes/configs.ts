/** Config keys: their versions, which is stable, and the JSON Schema their content must meet. */
import { Router } from 'express';
import { Reason } from '../../domain/reasons';
import type { ConfigSummary } from '../../domain/schemas';
import type { Store } from '../../store/store';
import type { ConfigSchemas } from '../config-schemas';
import { contract } from '../contract';
import { bind, HttpError } from '../http';
import { versionsDiff } from '../reports';

export function configRoutes(store: Store, schemas: ConfigSchemas): Router {
  const r = Router();

  bind(r, contract.listConfigs, async () => {
    const keys = await store.configKeys();
    const items = (await Promise.all(keys.map((configKey) => store.configSummary(configKey)))).filter(
      (c): c is ConfigSummary => c !== null,
    );
    return { status: 200, body: { items } };
  });

  bind(r, contract.getConfig, async ({ params }) => {
    const c = await store.configSummary(params.configKey);
    if (!c) throw new HttpError(Reason.NotFound, `configKey: no config ${params.configKey}`, 'configKey');
    return { status: 200, body: c };
  });

  bind(r, contract.getConfigVersion, async ({ params }) => {
    const { configKey, version } = params;
    const [c, content] = await Promise.all([store.configSummary(configKey), store.configContent(configKey, version)]);
    const meta = c?.versions.find((v) => v.version === version);
    if (!meta || !content.found) throw new HttpError(Reason.NotFound, `version: ${configKey} has no version ${version}`, 'version');
    return { status: 200, body: { configKey, ...meta, content: content.content } };
  });

  bind(r, contract.getConfigDiff, async ({ params, query }) => ({
    status: 200,
    body: await versionsDiff(store, params.configKey, query.from, query.to),
  }));

  bind(r, contract.putConfigSchema, async ({ params, body }) => {
    schemas.compile(body);
    await store.putConfigSchema(params.configKey, body);
    return { status: 200, body };
  });

  bind(r, contract.getConfigSchema, async ({ params }) => {
    const s = await store.getConfigSchema(params.configKey);
    if (!s) throw new HttpError(Reason.NotFound, `configKey: ${params.configKey} has no schema`, 'configKey');
    return { status: 200, body: s };
  });

  return r;
}
