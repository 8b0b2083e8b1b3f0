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
  Id,
  ListRolloutsQuery,
  RolloutDetail,
  RolloutSummary,
  SelectorQuery,
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
  /** Status → body schema (null: no body). */
  responses: Record<number, z.ZodType | null>;
}

const TargetParams = z.object({ targetId: Id });
const ConfigParams = z.object({ configKey: Id });
const RolloutParams = z.object({ rolloutId: z.string().min(1).max(200) });
const Items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const ControlBody = z
  .object({
    actor: z.string().max(200).optional().describe('Who acts; recorded in the timeline.'),
    reason: z.string().max(1000).optional(),
  })
  .strict()
  .meta({ id: 'ControlRequest' });

export const VersionContent = ConfigVersion.extend({ configKey: Id, content: z.unknown() }).meta({ id: 'VersionContent' });
export const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()) }).meta({ id: 'Health' });

export const contract = {
  health: {
    method: 'get',
    path: '/healthz',
    summary: 'Ready when Temporal and Redis answer',
    responses: { 200: Health, 503: Health },
  },
  putTarget: {
    method: 'put',
    path: '/v1/targets/:targetId',
    summary: 'Register or update a target',
    params: TargetParams,
    body: TargetInput,
    responses: { 200: Target, 400: ErrorBody },
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
    responses: { 200: Items(RolloutSummary), 400: ErrorBody },
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
} as const satisfies Record<string, Route>;

export type Contract = typeof contract;
