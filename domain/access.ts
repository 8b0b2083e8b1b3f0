/**
 * Who may do what: roles, what each route asks of a caller, the tokens that carry a role, and the
 * audit record of every change. Authorisation is data (each route declares its `Access`), decided
 * by the pure `decide` below; the API's one middleware only asks it.
 */
import { z } from 'zod';
import { Id, Labels } from './schemas';

/** Human roles, each including the ones before it. */
export const HUMAN_ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type HumanRole = (typeof HUMAN_ROLES)[number];
/** `agent` stands apart: the token a pull target runs with, scoped to its own targets. */
export const ROLES = [...HUMAN_ROLES, 'agent'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/**
 * What a route asks of its caller.
 * - `role`: the lowest human role that may call it (`public`: no token at all).
 * - `agent`: agents may call it too: `targetId` for targets in their scope (the path parameter
 *   that holds the target id), `always` where no target is involved (who am I).
 * - `elevated`: body fields that need a higher role than the route, e.g. `emergency` → admin.
 */
export interface Access {
  role: HumanRole | 'public';
  agent?: 'targetId' | 'always';
  elevated?: Readonly<Record<string, HumanRole>>;
}

/** Whether a role reaches a route's level; agents only where the route admits them. */
export function roleAllows(role: Role, access: Access): boolean {
  if (access.role === 'public') return true;
  if (role === 'agent') return access.agent !== undefined;
  return HUMAN_ROLES.indexOf(role) >= HUMAN_ROLES.indexOf(access.role);
}

/** The body fields a caller may not set at its role, in the route's declared order. */
export function elevatedFieldsDenied(role: Role, access: Access, body: unknown): string[] {
  if (!access.elevated || typeof body !== 'object' || body === null) return [];
  return Object.entries(access.elevated)
    .filter(([field, needed]) => (body as Record<string, unknown>)[field] !== undefined && !roleAllows(role, { role: needed }))
    .map(([field]) => field);
}

/** An agent token reaches the targets named by id, or those whose labels match a selector. */
export const TargetScope = z.union([
  z.object({ ids: z.array(Id).min(1).max(1000) }).strict(),
  z.object({ selector: Labels.refine((l) => Object.keys(l).length > 0, 'a selector needs at least one label') }).strict(),
]);
export type TargetScope = z.infer<typeof TargetScope>;

export function scopeIncludes(scope: TargetScope, targetId: string, labels: Labels | null): boolean {
  if ('ids' in scope) return scope.ids.includes(targetId);
  return labels !== null && Object.entries(scope.selector).every(([k, v]) => labels[k] === v);
}

/** Who is calling, once their token or JWT has been verified. */
export const Principal = z.object({
  id: z.string().describe('Token id, or `oidc:<subject>` for a single-sign-on caller.'),
  name: z.string().describe('The actor on every record.'),
  role: Role,
  via: z.enum(['token', 'oidc']),
  targets: TargetScope.optional(),
  expiresAt: z.iso.datetime().optional(),
});
export type Principal = z.infer<typeof Principal>;

/* ---------- tokens ---------- */

export const TokenName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');

export const CreateTokenRequest = z
  .object({
    name: TokenName,
    role: Role,
    targets: TargetScope.optional().describe('Agent tokens only, and required for them: the targets it may read and report for.'),
    expiresAt: z.iso.datetime().optional().describe('After this instant the token is refused like a revoked one.'),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.role === 'agent' && !t.targets)
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'an agent token needs a target scope' });
    if (t.role !== 'agent' && t.targets)
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'only agent tokens have a target scope' });
  })
  .meta({ id: 'CreateTokenRequest' });
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

export const TokenInfo = z
  .object({
    id: z.string(),
    name: TokenName,
    role: Role,
    targets: TargetScope.optional(),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    expiresAt: z.iso.datetime().optional(),
    revokedAt: z.iso.datetime().optional(),
    revokedBy: z.string().optional(),
  })
  .meta({ id: 'TokenInfo' });
export type TokenInfo = z.infer<typeof TokenInfo>;

export const CreatedToken = TokenInfo.pick({ id: true, name: true, role: true, targets: true, createdAt: true, expiresAt: true })
  .extend({ token: z.string().describe('The secret: shown once, stored only as a hash.') })
  .meta({ id: 'CreatedToken' });
export type CreatedToken = z.infer<typeof CreatedToken>;

/** Token ids are `tok_` and 16 hex characters; only ids of this form reach a Redis key. */
export const TokenId = z.string().regex(/^tok_[0-9a-f]{16}$/, 'must be a token id like tok_0123456789abcdef');

/* ---------- audit ---------- */

export const AuditEntry = z
  .object({
    id: z.string().describe('Position in the log; also the paging cursor.'),
    at: z.iso.datetime(),
    actor: z.string().describe('Token name, OIDC subject, or `anonymous`.'),
    role: z.string().describe('The caller’s role, or `none`.'),
    action: z.string().describe('The route’s operation (e.g. createRollout), or `METHOD path` for unknown routes.'),
    method: z.string(),
    path: z.string(),
    configKey: z.string().optional(),
    rolloutId: z.string().optional(),
    status: z.number().int(),
    requestId: z.string(),
    ip: z.string(),
    emergency: z.boolean().optional(),
    override: z.boolean().optional().describe('Asked to start or resume through a freeze (granted or not).'),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

/** A Redis stream id: what `nextCursor` carries. */
export const AuditCursor = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'not a cursor returned by this API (use nextCursor as given)');

export const AuditQuery = z
  .object({
    actor: z.string().max(200).optional(),
    action: z.string().max(200).optional(),
    configKey: Id.optional(),
    since: z.iso.datetime().optional().describe('Only entries at or after this time (ISO 8601, UTC).'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: AuditCursor.optional().describe('`nextCursor` of the previous page.'),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() }).meta({ id: 'AuditPage' });
