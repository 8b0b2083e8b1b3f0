/**
 * The REST contract (v1): every route with the zod schemas of its path, query, body and
 * responses. The same table validates requests, types the handlers and generates /openapi.json.
 */
import { z } from 'zod';
import {
  Assignment,
  ConfigSchemaDocument,
  ConfigSummary,
  ConfigVersion,
  CreateRolloutRequest,
  ErrorBody,
  HealthStreamMessage,
  Id,
  ListRolloutsQuery,
  RolloutDetail,
  RolloutPage,
  RolloutStreamMessage,
  RolloutSummary,
  SelectorQuery,
  StageHealthSample,
  StatusReport,
  Target,
  TargetInput,
} from '../domain/schemas';
import { ROLLOUT_ACTIONS } from '../domain/lifecycle';

export interface Route {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Request headers the route reads (names in lower case, as Node gives them). */
  headers?: z.ZodType;
  /** Status → body schema (null: no body). */
  responses: Record<number, z.ZodType | null>;
  /** The 200 response is a stream of Server-Sent Events whose `data` lines match its schema. */
  eventStream?: true;
  /** Never rate-limited (api/limits.ts): load balancers and orchestrators must always get an answer. */
  unlimited?: true;
}

const TargetParams = z.object({ targetId: Id });
const ConfigParams = z.object({ configKey: Id });
const RolloutParams = z.object({ rolloutId: Id });
const Items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const ControlBody = z
  .object({
    actor: z.string().max(200).optional().describe('Who acts; recorded in the timeline.'),
    reason: z.string().max(1000).optional(),
  })
  .strict()
  .meta({ id: 'ControlRequest' });

/** A Redis stream id, `<ms>-<seq>`: what the `id:` line of each event carries. */
const StreamId = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be an event id as sent in the stream, like 1764057600000-0');
const ResumeHeaders = z.object({
  'last-event-id': StreamId.optional().describe('Sent by EventSource on reconnect: resume after this event.'),
});
const ResumeQuery = {
  lastEventId: StreamId.optional().describe('Same as the Last-Event-ID header, for clients that cannot set headers.'),
};
const StreamMessage = z
  .union([RolloutStreamMessage, HealthStreamMessage])
  .describe(
    'text/event-stream: each message has `id:` (monotonic), `event: rollout` (RolloutStreamMessage) or `event: health` ' +
      '(HealthStreamMessage), and one `data:` line of JSON. Comment lines (`: heartbeat`) come every 15 s.',
  );

export const RebuildReport = z
  .object({
    scanned: z.number().int().describe('Running rollout workflows found.'),
    restored: z.number().int().describe('Summaries written from the workflow.'),
    skipped: z.number().int().describe('Left alone: the stored summary was already newer.'),
    failed: z.array(z.object({ workflowId: z.string(), error: z.string() })),
  })
  .meta({ id: 'RebuildReport' });
export type RebuildReport = z.infer<typeof RebuildReport>;

export const VersionContent = ConfigVersion.extend({ configKey: Id, content: z.unknown() }).meta({ id: 'VersionContent' });
export const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()) }).meta({ id: 'Health' });

export const contract = {
  health: {
    method: 'get',
    path: '/healthz',
    summary: 'Ready when Temporal and Redis answer',
    responses: { 200: Health, 503: Health, 400: ErrorBody },
    unlimited: true,
  },
  putTarget: {
    method: 'put',
    path: '/v1/targets/:targetId',
    summary: 'Register or update a target',
    params: TargetParams,
    body: TargetInput,
    responses: { 200: Target, 400: ErrorBody, 422: ErrorBody },
  },
  listTargets: {
    method: 'get',
    path: '/v1/targets',
    summary: 'List targets, optionally by label selector (k=v,k2=v2)',
    query: z.object({ selector: SelectorQuery.optional() }).strict(),
    responses: { 200: Items(Target), 400: ErrorBody },
  },
  getTarget: {
    method: 'get',
    path: '/v1/targets/:targetId',
    summary: 'One target',
    params: TargetParams,
    responses: { 200: Target, 404: ErrorBody },
  },
  deleteTarget: {
    method: 'delete',
    path: '/v1/targets/:targetId',
    summary: 'Remove a target (refused while an active rollout includes it)',
    params: TargetParams,
    responses: { 204: null, 404: ErrorBody, 409: ErrorBody },
  },
  getAssignment: {
    method: 'get',
    path: '/v1/targets/:targetId/configs/:configKey',
    summary: 'What this target should run now (pull delivery)',
    params: TargetParams.merge(ConfigParams),
    responses: { 200: Assignment, 404: ErrorBody },
  },
  reportStatus: {
    method: 'put',
    path: '/v1/targets/:targetId/configs/:configKey/status',
    summary: 'A target reports the version it runs',
    params: TargetParams.merge(ConfigParams),
    body: StatusReport,
    responses: { 204: null, 400: ErrorBody, 404: ErrorBody },
  },
  listConfigs: {
    method: 'get',
    path: '/v1/configs',
    summary: 'Config keys with their versions',
    responses: { 200: Items(ConfigSummary) },
  },
  getConfig: {
    method: 'get',
    path: '/v1/configs/:configKey',
    summary: "A config's versions and which is stable",
    params: ConfigParams,
    responses: { 200: ConfigSummary, 404: ErrorBody },
  },
  getConfigVersion: {
    method: 'get',
    path: '/v1/configs/:configKey/versions/:version',
    summary: 'The content of one version',
    params: ConfigParams.extend({ version: z.coerce.number().int().positive() }),
    responses: { 200: VersionContent, 404: ErrorBody },
  },
  putConfigSchema: {
    method: 'put',
    path: '/v1/configs/:configKey/schema',
    summary: 'Set the JSON Schema (draft 2020-12) every later rollout of this key must satisfy',
    params: ConfigParams,
    body: ConfigSchemaDocument,
    responses: { 200: ConfigSchemaDocument, 400: ErrorBody },
  },
  getConfigSchema: {
    method: 'get',
    path: '/v1/configs/:configKey/schema',
    summary: "The config key's JSON Schema",
    params: ConfigParams,
    responses: { 200: ConfigSchemaDocument, 404: ErrorBody },
  },
  createRollout: {
    method: 'post',
    path: '/v1/rollouts',
    summary: 'Start a staged rollout of a config change',
    body: CreateRolloutRequest,
    responses: { 201: RolloutSummary, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody },
  },
  listRollouts: {
    method: 'get',
    path: '/v1/rollouts',
    summary: 'Rollouts, newest first',
    query: ListRolloutsQuery,
    responses: { 200: RolloutPage, 400: ErrorBody },
  },
  getRollout: {
    method: 'get',
    path: '/v1/rollouts/:rolloutId',
    summary: 'A rollout with its stages, per-target versions and timeline',
    params: RolloutParams,
    responses: { 200: RolloutDetail, 404: ErrorBody },
  },
  controlRollout: {
    method: 'post',
    path: '/v1/rollouts/:rolloutId/:action',
    summary: 'pause | resume | approve | rollback',
    params: RolloutParams.extend({ action: z.enum(ROLLOUT_ACTIONS) }),
    body: ControlBody.optional(),
    responses: { 202: RolloutSummary, 404: ErrorBody, 409: ErrorBody },
  },
  rolloutHealth: {
    method: 'get',
    path: '/v1/rollouts/:rolloutId/health',
    summary: "A rollout's health samples per stage, oldest first (bounded history)",
    params: RolloutParams,
    responses: { 200: Items(StageHealthSample), 404: ErrorBody },
  },
  streamEvents: {
    method: 'get',
    path: '/v1/events',
    summary: "Every rollout's events and health samples, live (Server-Sent Events)",
    headers: ResumeHeaders,
    query: z.object(ResumeQuery).strict(),
    responses: { 200: StreamMessage, 400: ErrorBody, 503: ErrorBody },
    eventStream: true,
  },
  streamRolloutEvents: {
    method: 'get',
    path: '/v1/rollouts/:rolloutId/events',
    summary: "One rollout's events and health samples, live (Server-Sent Events)",
    params: RolloutParams,
    headers: ResumeHeaders,
    query: z
      .object({
        ...ResumeQuery,
        replay: z
          .enum(['0', '1', 'true', 'false'])
          .optional()
          .transform((v) => v === '1' || v === 'true')
          .describe("Without a resume id, start from the rollout's whole retained history instead of new events."),
      })
      .strict(),
    responses: { 200: StreamMessage, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
    eventStream: true,
  },
  rebuildReadModel: {
    method: 'post',
    path: '/v1/admin/read-model/rebuild',
    summary: 'Rewrite the read model of every running rollout from its workflow',
    responses: { 202: RebuildReport },
  },
} as const satisfies Record<string, Route>;

export type Contract = typeof contract;
