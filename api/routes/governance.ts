/** Governance: who the caller is, API tokens, rollout policy, and the audit log. */
import { Router } from 'express';
import { Reason } from '../../domain/reasons';
import type { AuditLog } from '../../store/audit';
import { DEFAULT_SCOPE, type PolicyStore } from '../../store/policies';
import type { TokenStore } from '../../store/tokens';
import type { FreezeStore } from '../../store/freeze';
import { activeFreeze } from '../../domain/freeze';
import { freezeHolds } from '../../domain/freeze-holds';
import { SHIPPED_DEFAULT_POLICY, type FreezeState, type StoredPolicy } from '../../domain/policy';
import { auditRefs } from '../audit';
import { principalOf } from '../auth';
import { contract } from '../contract';
import { bind, HttpError } from '../http';

export interface GovernanceDeps {
  tokens: TokenStore;
  policies: PolicyStore;
  audit: AuditLog;
  freezes: FreezeStore;
}

/** The default policy before any admin has set one. */
const SHIPPED: StoredPolicy = { scope: DEFAULT_SCOPE, version: 0, updatedAt: null, updatedBy: null, policy: SHIPPED_DEFAULT_POLICY };

export function governanceRoutes({ tokens, policies, audit, freezes }: GovernanceDeps): Router {
  const r = Router();
  const actor = (res: Parameters<typeof principalOf>[0]) => principalOf(res)?.name ?? 'unknown';

  bind(r, contract.whoami, async (_input, _req, res) => {
    const principal = principalOf(res);
    // `bind` refuses a caller without a token before this runs; the contract's answer is a principal.
    if (!principal) throw new HttpError(Reason.Unauthenticated, 'authorization: no token', 'authorization');
    return { status: 200, body: principal };
  });

  bind(r, contract.createToken, async ({ body }, _req, res) => {
    const result = await tokens.create(body, actor(res));
    if (!result.ok) throw new HttpError(Reason.Conflict, `name: a token named ${body.name} exists (names are never reused)`, 'name');
    return { status: 201, body: result.created };
  });

  bind(r, contract.listTokens, async () => ({ status: 200, body: { items: await tokens.list() } }));

  bind(r, contract.revokeToken, async ({ params }, _req, res) => {
    const revoked = await tokens.revoke(params.tokenId, actor(res));
    if (!revoked) throw new HttpError(Reason.NotFound, `tokenId: no token ${params.tokenId}`, 'tokenId');
    return { status: 200, body: revoked };
  });

  bind(r, contract.getDefaultPolicy, async () => ({ status: 200, body: (await policies.get(DEFAULT_SCOPE)) ?? SHIPPED }));

  bind(r, contract.putDefaultPolicy, async ({ body }, _req, res) => ({
    status: 200,
    body: await policies.put(DEFAULT_SCOPE, body, actor(res)),
  }));

  bind(r, contract.getConfigPolicy, async ({ params }) => {
    const own = await policies.get(params.configKey);
    if (!own)
      throw new HttpError(Reason.NotFound, `configKey: ${params.configKey} has no policy of its own (the default applies)`, 'configKey');
    return { status: 200, body: own };
  });

  bind(r, contract.putConfigPolicy, async ({ params, body }, _req, res) => {
    auditRefs(res, { configKey: params.configKey });
    return { status: 200, body: await policies.put(params.configKey, body, actor(res)) };
  });

  bind(r, contract.getEffectivePolicy, async ({ params }) => {
    const [{ policy, versions }, stops] = await Promise.all([
      policies.effectiveWithVersions(params.configKey),
      freezes.forKey(params.configKey),
    ]);
    const holds = freezeHolds(params.configKey, stops, policy.freeze, new Date()).holds;
    return { status: 200, body: { configKey: params.configKey, policy, versions, holds } };
  });

  /** Stop-the-line in force, and each scope's windows that hold now. */
  async function freezeState(): Promise<FreezeState> {
    const now = new Date();
    const [stopTheLine, scopes] = await Promise.all([freezes.all(), policies.freezeWindows()]);
    const windows = scopes.flatMap(({ scope, freeze }) => {
      const active = activeFreeze(freeze, now);
      return active ? [{ scope, reason: active.reason, endsAt: active.endsAt.toISOString() }] : [];
    });
    return { active: stopTheLine.length > 0 || windows.length > 0, stopTheLine, windows };
  }

  bind(r, contract.getFreeze, async () => ({ status: 200, body: await freezeState() }));

  bind(r, contract.stopTheLine, async ({ body }, _req, res) => {
    await freezes.stop(body.reason, actor(res), body.configKeys);
    if (body.configKeys?.length === 1) auditRefs(res, { configKey: body.configKeys[0]! });
    return { status: 200, body: await freezeState() };
  });

  bind(r, contract.liftFreeze, async () => {
    await freezes.lift();
    return { status: 200, body: await freezeState() };
  });

  bind(r, contract.listAudit, async ({ query }) => ({ status: 200, body: await audit.page(query) }));

  return r;
}
