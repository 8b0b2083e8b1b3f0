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
  GetRolloutQuery,
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
  Override,
} from '../domain/schemas';
import { AuditPage, AuditQuery, CreatedToken, CreateTokenRequest, Principal, TokenId, TokenInfo, type Access } from '../domain/access';
import { CreateSubscriptionRequest, DELIVERIES_KEPT, Delivery, Subscription } from '../domain/notifications';
import { ConfigDiff } from '../domain/diff';
import { IncidentReport } from '../domain/report-schemas';
import { DryRunResult, EffectivePolicy, FreezeState, RolloutPolicyDocument, StopTheLineRequest, StoredPolicy } from '../domain/policy';

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
  /** Who may call it: checked by `bind` before anything else (domain/access.ts). */
  access: Access;
  /** Never rate-limited (api/limits.ts): load balancers and orchestrators must always get an answer. */
  unlimited?: true;
  /** The 200 response is text/markdown unless `?format=json` asks for its schema as JSON. */
  markdown?: true;
  /** The 200 response is plain text (its schema describes it), not JSON. */
  contentType?: 'text/plain';
}

const TargetParams = z.object({ targetId: Id });
const ConfigParams = z.object({ configKey: Id });
const RolloutParams = z.object({ rolloutId: Id });
const SubscriptionParams = z.object({ subscriptionId: Id });
const Items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const ControlBody = z
  .object({
    reason: z.string().max(1000).optional().describe('Recorded in the timeline beside the actor (the token’s name).'),
  })
  .strict()
  .meta({ id: 'ControlRequest' });

export const ResumeBody = ControlBody.extend({
  override: Override.optional().describe('Admins only: go on through the freeze that holds the rollout now. Flagged and audited.'),
})
  .strict()
  .meta({ id: 'ResumeRequest' });

export const CreateRolloutQuery = z
  .object({
    dryRun: z
      .enum(['true', 'false', '1', '0'])
      .optional()
      .transform((v) => v === 'true' || v === '1')
      .describe('Validate content, schema and policy and answer the resolved plan (200), starting nothing.'),
  })
  .strict();

export const ReviewBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
  })
  .strict()
  .meta({ id: 'ReviewRequest' });
export type ReviewBody = z.infer<typeof ReviewBody>;

const VIEWER: Access = { role: 'viewer' };
const DEPLOYER: Access = { role: 'deployer' };
const APPROVER: Access = { role: 'approver' };
const ADMIN: Access = { role: 'admin' };

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

const VersionParam = (field: 'from' | 'to', min: 0 | 1) =>
  z
    .string({ error: `${field} is required: a version number` })
    .regex(/^\d{1,9}$/, 'must be a version number')
    .transform(Number)
    .refine((v) => v >= min, min === 0 ? 'must be 0 (no version) or more' : 'must be 1 or more');

export const DiffQuery = z
  .object({
    from: VersionParam('from', 0).describe('The old version; 0 for none (the diff adds the whole document).'),
    to: VersionParam('to', 1).describe('The new version.'),
  })
  .strict();

export const ReportQuery = z
  .object({
    format: z.enum(['markdown', 'json']).default('markdown').describe('markdown (text/markdown, the default) or json (the same content).'),
  })
  .strict();

export const VersionContent = ConfigVersion.extend({ configKey: Id, content: z.unknown() }).meta({ id: 'VersionContent' });
export const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()) }).meta({ id: 'Health' });

export const contract = {
  health: {
    method: 'get',
    access: { role: 'public' },
    path: '/healthz',
    summary: 'Ready when Temporal and Redis answer',
    responses: { 200: Health, 503: Health, 400: ErrorBody },
    unlimited: true,
  },
  metrics: {
    method: 'get',
    // Any token: give Prometheus a viewer token of its own (docs/observability.md).
    access: VIEWER,
    path: '/metrics',
    summary: "The API's Prometheus metrics: requests by route and status, rollouts in flight by state (text exposition format)",
    responses: {
      200: z.string().describe('Prometheus text exposition format 0.0.4; metric names in docs/observability.md.'),
      401: ErrorBody,
      403: ErrorBody,
    },
    contentType: 'text/plain',
  },
  putTarget: {
    method: 'put',
    access: DEPLOYER,
    path: '/v1/targets/:targetId',
    summary: 'Register or update a target',
    params: TargetParams,
    body: TargetInput,
    responses: { 200: Target, 400: ErrorBody, 422: ErrorBody },
  },
  listTargets: {
    method: 'get',
    access: VIEWER,
    path: '/v1/targets',
    summary: 'List targets, optionally by label selector (k=v,k2=v2)',
    query: z.object({ selector: SelectorQuery.optional() }).strict(),
    responses: { 200: Items(Target), 400: ErrorBody },
  },
  getTarget: {
    method: 'get',
    access: VIEWER,
    path: '/v1/targets/:targetId',
    summary: 'One target',
    params: TargetParams,
    responses: { 200: Target, 404: ErrorBody },
  },
  deleteTarget: {
    method: 'delete',
    access: ADMIN,
    path: '/v1/targets/:targetId',
    summary: 'Remove a target (refused while an active rollout includes it)',
    params: TargetParams,
    responses: { 204: null, 404: ErrorBody, 409: ErrorBody },
  },
  getAssignment: {
    method: 'get',
    access: { role: 'viewer', agent: 'targetId' },
    path: '/v1/targets/:targetId/configs/:configKey',
    summary: 'What this target should run now (pull delivery)',
    params: TargetParams.merge(ConfigParams),
    responses: { 200: Assignment, 404: ErrorBody },
  },
  reportStatus: {
    method: 'put',
    access: { role: 'deployer', agent: 'targetId' },
    path: '/v1/targets/:targetId/configs/:configKey/status',
    summary: 'A target reports the version it runs',
    params: TargetParams.merge(ConfigParams),
    body: StatusReport,
    responses: { 204: null, 400: ErrorBody, 404: ErrorBody },
  },
  listConfigs: {
    method: 'get',
    access: VIEWER,
    path: '/v1/configs',
    summary: 'Config keys with their versions',
    responses: { 200: Items(ConfigSummary) },
  },
  getConfig: {
    method: 'get',
    access: VIEWER,
    path: '/v1/configs/:configKey',
    summary: "A config's versions and which is stable",
    params: ConfigParams,
    responses: { 200: ConfigSummary, 404: ErrorBody },
  },
  getConfigVersion: {
    method: 'get',
    access: VIEWER,
    path: '/v1/configs/:configKey/versions/:version',
    summary: 'The content of one version',
    params: ConfigParams.extend({ version: z.coerce.number().int().positive() }),
    responses: { 200: VersionContent, 404: ErrorBody },
  },
  getConfigDiff: {
    method: 'get',
    access: VIEWER,
    path: '/v1/configs/:configKey/diff',
    summary: 'What changed between two versions: an RFC 6902 JSON Patch and a readable form (404 for an unknown version)',
    params: ConfigParams,
    query: DiffQuery,
    responses: { 200: ConfigDiff, 400: ErrorBody, 404: ErrorBody },
  },
  putConfigSchema: {
    method: 'put',
    access: ADMIN,
    path: '/v1/configs/:configKey/schema',
    summary: 'Set the JSON Schema (draft 2020-12) every later rollout of this key must satisfy',
    params: ConfigParams,
    body: ConfigSchemaDocument,
    responses: { 200: ConfigSchemaDocument, 400: ErrorBody },
  },
  getConfigSchema: {
    method: 'get',
    access: VIEWER,
    path: '/v1/configs/:configKey/schema',
    summary: "The config key's JSON Schema",
    params: ConfigParams,
    responses: { 200: ConfigSchemaDocument, 404: ErrorBody },
  },
  createRollout: {
    method: 'post',
    access: { role: 'deployer', elevated: { emergency: 'admin', override: 'admin' } },
    path: '/v1/rollouts',
    summary:
      'Start a staged rollout of a config change (422 policy_violation listing every rule broken; 409 frozen during a freeze); with dryRun=true, only check it and answer the plan',
    query: CreateRolloutQuery,
    body: CreateRolloutRequest,
    responses: { 200: DryRunResult, 201: RolloutSummary, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody },
  },
  listRollouts: {
    method: 'get',
    access: VIEWER,
    path: '/v1/rollouts',
    summary: 'Rollouts, newest first',
    query: ListRolloutsQuery,
    responses: { 200: RolloutPage, 400: ErrorBody },
  },
  getRollout: {
    method: 'get',
    access: VIEWER,
    path: '/v1/rollouts/:rolloutId',
    summary: 'A rollout with its stages, per-target versions (unless targets=none) and timeline',
    params: RolloutParams,
    query: GetRolloutQuery,
    responses: { 200: RolloutDetail, 404: ErrorBody },
  },
  pauseRollout: {
    method: 'post',
    path: '/v1/rollouts/:rolloutId/pause',
    access: DEPLOYER,
    summary: 'Hold the rollout before its next batch; health is still watched',
    params: RolloutParams,
    body: ControlBody.optional(),
    responses: { 202: RolloutSummary, 404: ErrorBody, 409: ErrorBody },
  },
  resumeRollout: {
    method: 'post',
    path: '/v1/rollouts/:rolloutId/resume',
    access: { role: 'deployer', elevated: { override: 'admin' } },
    summary: 'Go on after a pause or a hold (an approval gate needs approve; a freeze needs an admin’s override)',
    params: RolloutParams,
    body: ResumeBody.optional(),
    responses: { 202: RolloutSummary, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
  },
  approveRollout: {
    method: 'post',
    path: '/v1/rollouts/:rolloutId/approve',
    access: APPROVER,
    summary: 'Approve a stage gate (four eyes under a policy with approvals), or go on after a hold',
    params: RolloutParams,
    body: ControlBody.optional(),
    responses: { 202: RolloutSummary, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
  },
  rollbackRollout: {
    method: 'post',
    path: '/v1/rollouts/:rolloutId/rollback',
    access: DEPLOYER,
    summary: 'Restore every touched target to its previous version (also a completed rollout, while newest)',
    params: RolloutParams,
    body: ControlBody.optional(),
    responses: { 202: RolloutSummary, 404: ErrorBody, 409: ErrorBody },
  },
  reviewRollout: {
    method: 'post',
    path: '/v1/rollouts/:rolloutId/review',
    access: APPROVER,
    summary: 'Approve or reject a rollout pending review (never your own)',
    params: RolloutParams,
    body: ReviewBody,
    responses: { 202: RolloutSummary, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
  },
  getRolloutReport: {
    method: 'get',
    access: VIEWER,
    path: '/v1/rollouts/:rolloutId/report',
    summary:
      'The incident report of a rollout that rolled back, failed or regressed: a postmortem draft (Markdown, or JSON with format=json); 409 NoIncident otherwise',
    params: RolloutParams,
    query: ReportQuery,
    responses: { 200: IncidentReport, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
    markdown: true,
  },
  rolloutHealth: {
    method: 'get',
    access: VIEWER,
    path: '/v1/rollouts/:rolloutId/health',
    summary: "A rollout's health samples per stage, oldest first (bounded history)",
    params: RolloutParams,
    responses: { 200: Items(StageHealthSample), 404: ErrorBody },
  },
  streamEvents: {
    method: 'get',
    access: VIEWER,
    path: '/v1/events',
    summary: "Every rollout's events and health samples, live (Server-Sent Events)",
    headers: ResumeHeaders,
    query: z.object(ResumeQuery).strict(),
    responses: { 200: StreamMessage, 400: ErrorBody, 503: ErrorBody },
    eventStream: true,
  },
  streamRolloutEvents: {
    method: 'get',
    access: VIEWER,
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
    access: ADMIN,
    path: '/v1/admin/read-model/rebuild',
    summary: 'Rewrite the read model of every running rollout from its workflow',
    responses: { 202: RebuildReport },
  },
  whoami: {
    method: 'get',
    path: '/v1/me',
    access: { role: 'viewer', agent: 'always' },
    summary: 'Who the token in use belongs to',
    responses: { 200: Principal },
  },
  createToken: {
    method: 'post',
    path: '/v1/tokens',
    access: ADMIN,
    summary: 'Create an API token; its secret is in this answer only',
    body: CreateTokenRequest,
    responses: { 201: CreatedToken, 400: ErrorBody, 409: ErrorBody },
  },
  listTokens: {
    method: 'get',
    path: '/v1/tokens',
    access: ADMIN,
    summary: 'Every token, without secrets',
    responses: { 200: Items(TokenInfo) },
  },
  revokeToken: {
    method: 'delete',
    path: '/v1/tokens/:tokenId',
    access: ADMIN,
    summary: 'Revoke a token at once, on every API instance',
    params: z.object({ tokenId: TokenId }),
    responses: { 200: TokenInfo, 404: ErrorBody },
  },
  getDefaultPolicy: {
    method: 'get',
    path: '/v1/policy',
    access: VIEWER,
    summary: 'The rollout policy of config keys without their own',
    responses: { 200: StoredPolicy },
  },
  putDefaultPolicy: {
    method: 'put',
    path: '/v1/policy',
    access: ADMIN,
    summary: 'Set the default rollout policy (a new version; running rollouts keep theirs)',
    body: RolloutPolicyDocument,
    responses: { 200: StoredPolicy, 400: ErrorBody },
  },
  getConfigPolicy: {
    method: 'get',
    path: '/v1/configs/:configKey/policy',
    access: VIEWER,
    summary: "A config key's own rollout policy",
    params: ConfigParams,
    responses: { 200: StoredPolicy, 404: ErrorBody },
  },
  putConfigPolicy: {
    method: 'put',
    path: '/v1/configs/:configKey/policy',
    access: ADMIN,
    summary: "Set a config key's own rollout policy (a new version; running rollouts keep theirs)",
    params: ConfigParams,
    body: RolloutPolicyDocument,
    responses: { 200: StoredPolicy, 400: ErrorBody },
  },
  getEffectivePolicy: {
    method: 'get',
    path: '/v1/configs/:configKey/policy/effective',
    access: VIEWER,
    summary: "What a key's rollouts must respect now: its own policy over the default, and the freezes that hold it",
    params: ConfigParams,
    responses: { 200: EffectivePolicy },
  },
  getFreeze: {
    method: 'get',
    path: '/v1/freeze',
    access: VIEWER,
    summary: 'Stop-the-line in force and the freeze windows that hold now',
    responses: { 200: FreezeState },
  },
  stopTheLine: {
    method: 'post',
    path: '/v1/freeze',
    access: APPROVER,
    summary: 'Stop the line now, for every key or the keys named: new rollouts are refused, running ones hold before their next stage',
    body: StopTheLineRequest,
    responses: { 200: FreezeState, 400: ErrorBody },
  },
  liftFreeze: {
    method: 'delete',
    path: '/v1/freeze',
    access: ADMIN,
    summary: 'Lift stop-the-line: held rollouts go on by themselves (freeze windows still hold)',
    responses: { 200: FreezeState },
  },
  listAudit: {
    method: 'get',
    path: '/v1/audit',
    access: APPROVER,
    summary: 'The audit log, newest first: every change and every refused request',
    query: AuditQuery,
    responses: { 200: AuditPage, 400: ErrorBody },
  },
  createSubscription: {
    method: 'post',
    path: '/v1/subscriptions',
    access: ADMIN,
    summary: 'Subscribe a URL to rollout events (docs/notifications.md); a secret given here is never shown again',
    body: CreateSubscriptionRequest,
    responses: { 201: Subscription, 400: ErrorBody, 409: ErrorBody, 422: ErrorBody },
  },
  listSubscriptions: {
    method: 'get',
    path: '/v1/subscriptions',
    access: ADMIN,
    summary: 'Every subscription, oldest first, without secrets',
    responses: { 200: Items(Subscription) },
  },
  deleteSubscription: {
    method: 'delete',
    path: '/v1/subscriptions/:subscriptionId',
    access: ADMIN,
    summary: 'Remove a subscription and its delivery records; notifications still in flight to it are dropped',
    params: SubscriptionParams,
    responses: { 204: null, 404: ErrorBody },
  },
  listDeliveries: {
    method: 'get',
    path: '/v1/subscriptions/:subscriptionId/deliveries',
    access: ADMIN,
    summary: `A subscription's notifications, newest first (the last ${DELIVERIES_KEPT}): status, attempts, latency`,
    params: SubscriptionParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(DELIVERIES_KEPT).default(50) }).strict(),
    responses: { 200: Items(Delivery), 400: ErrorBody, 404: ErrorBody },
  },
} as const satisfies Record<string, Route>;

export type Contract = typeof contract;
export type RouteName = keyof Contract;

const names = new Map<Route, RouteName>((Object.entries(contract) as [RouteName, Route][]).map(([name, route]) => [route, name]));
/** The operation name of a contract route (also its OpenAPI operationId and its audit action). */
export function routeName(route: Route): RouteName | undefined {
  return names.get(route);
}
