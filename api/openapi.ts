/** The OpenAPI 3.1 document, generated from the contract's zod schemas; never written by hand. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { NotificationPayload } from '../domain/notifications';
import { z } from 'zod';
import { contract, type Route } from './contract';

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}');
}

export function openApiDocument(): object {
  const registry = new OpenAPIRegistry();
  for (const [operationId, route] of Object.entries(contract) as [string, Route][]) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      const type =
        status !== '200' ? 'application/json' : route.eventStream ? 'text/event-stream' : (route.contentType ?? 'application/json');
      const content: Record<string, { schema: z.ZodType }> = schema ? { [type]: { schema } } : {};
      if (route.markdown && status === '200') content['text/markdown'] = { schema: z.string() };
      responses[status] = schema ? { description: `HTTP ${status}`, content } : { description: `HTTP ${status}` };
    }
    registry.registerPath({
      operationId,
      method: route.method,
      path: openApiPath(route.path),
      summary: route.summary,
      request: {
        ...(route.params ? { params: route.params as z.ZodObject } : {}),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(route.headers ? { headers: route.headers as z.ZodObject } : {}),
        ...(route.body ? { body: { content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses,
    });
  }
  // What Tollgate POSTs to a subscription (format json): an OpenAPI 3.1 webhook, so receivers get its schema too.
  registry.registerWebhook({
    method: 'post',
    path: 'notification',
    summary: 'One rollout event, POSTed to each subscription that receives it (docs/notifications.md)',
    request: { body: { content: { 'application/json': { schema: NotificationPayload } } } },
    responses: { 200: { description: 'Any 2xx is a delivery; anything else is retried (10 attempts over about 2 min)' } },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Tollgate',
      version: '1',
      description: 'Staged configuration rollouts: canary, partial, full, each baked under health checks, with automatic rollback.',
    },
  });
}
