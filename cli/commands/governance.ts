/**
 * Who is asking and who did what: `tollgate whoami`, `tollgate token create|ls|revoke` (admin)
 * and `tollgate audit` (approver or admin). Requests are checked against the API's own schemas
 * before they are sent, so a mistake names the flag.
 */
import { AuditQuery, CreateTokenRequest, Role, TokenId } from '../../domain/access';
import { Id, SelectorQuery } from '../../domain/schemas';
import type { AuditFilter } from '../client';
import { type Command, printJson, printLines, str, type Values } from '../command';
import { UsageError } from '../errors';
import { auditTable, principalText, scopeText, tokensTable } from '../render';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * An instant for a flag: an ISO 8601 time (any offset; sent as UTC, as the API wants), or a
 * duration such as `90m`, `12h`, `30d` counted back (`since`) or forward (`expires`) from `now`.
 */
export function parseInstant(raw: string, flag: string, command: string, direction: 'past' | 'future', now: number): string {
  const rel = /^(\d+)([smhd])$/.exec(raw.trim());
  if (rel) return new Date(now + (direction === 'past' ? -1 : 1) * Number(rel[1]) * UNITS[rel[2]!]!).toISOString();
  // A bare date or a time with an offset is fine; only something Date cannot read is refused.
  const ms = /^\d{4}-\d\d-\d\d/.test(raw.trim()) ? Date.parse(raw.trim()) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`${flag}: "${raw}" is neither an ISO 8601 time (2026-12-01T09:00:00Z) nor a duration (90m, 12h, 30d)`, command);
  }
  return new Date(ms).toISOString();
}

/** The token request from flags, checked against the API's schema; a problem names its flag. */
export function buildTokenRequest(values: Values, now: number): CreateTokenRequest {
  const NAME = 'token create';
  const ids = str(values['targets-ids']);
  const selector = str(values['targets-selector']);
  if (ids !== undefined && selector !== undefined)
    throw new UsageError('--targets-ids and --targets-selector cannot be used together', NAME);
  let targets: unknown;
  if (ids !== undefined) {
    targets = {
      ids: ids
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    };
  } else if (selector !== undefined) {
    const r = SelectorQuery.safeParse(selector);
    if (!r.success) throw new UsageError(`--targets-selector: ${r.error.issues[0]?.message ?? 'invalid'}`, NAME);
    targets = { selector: r.data };
  }
  const expires = str(values['expires-at']);
  const request = {
    name: values.name,
    role: values.role,
    ...(targets !== undefined ? { targets } : {}),
    ...(expires !== undefined ? { expiresAt: parseInstant(expires, '--expires-at', NAME, 'future', now) } : {}),
  };
  const r = CreateTokenRequest.safeParse(request);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const top = String(issue.path[0] ?? '');
  const flag =
    top === 'targets'
      ? ids !== undefined
        ? '--targets-ids'
        : selector !== undefined
          ? '--targets-selector'
          : '--targets-ids or --targets-selector'
      : top === 'role' && values.role !== undefined
        ? '--role'
        : top === 'expiresAt'
          ? '--expires-at'
          : `--${top}`;
  const message =
    top === 'role'
      ? values.role === undefined
        ? `is required: one of ${Role.options.join(', ')}`
        : `"${String(values.role)}" is not one of ${Role.options.join(', ')}`
      : values[top] === undefined && top !== 'targets'
        ? 'is required'
        : issue.message;
  throw new UsageError(`${flag}: ${message}`, NAME);
}

const create: Command = {
  name: 'token create',
  summary: 'Create an API token and print its secret, once.',
  description:
    'Needs an admin token. The secret is printed on stdout, alone, and is never shown again (the\n' +
    'server keeps only its hash); the rest goes to stderr, so TOKEN=$(tollgate token create ...) works.\n' +
    'Roles: viewer < deployer < approver < admin, and agent (a pull target, scoped with --targets-*).\n' +
    'The name is the actor on every record the token makes; names are never reused.',
  usage: '--name NAME --role ROLE [--targets-ids ID,ID | --targets-selector k=v] [--expires-at TIME]',
  options: {
    name: { type: 'string', arg: 'NAME', desc: 'Who or what uses it: the actor on every record (letters, digits, . _ @ -)' },
    role: { type: 'string', arg: 'ROLE', desc: `${Role.options.join(', ')}` },
    'targets-ids': { type: 'string', arg: 'ID,ID', desc: 'Agent tokens: the targets it may read and report for' },
    'targets-selector': { type: 'string', arg: 'k=v,k=v', desc: 'Agent tokens: targets with all these labels' },
    'expires-at': { type: 'string', arg: 'TIME', desc: 'ISO 8601 time, or a duration from now (12h, 30d); default: never' },
  },
  positionals: [],
  examples: [
    'tollgate token create --name ci-deploy --role deployer --expires-at 90d',
    'tollgate token create --name alice@example.com --role approver',
    'tollgate token create --name edge-agent --role agent --targets-selector app=portal,region=eu-west',
    'export TOLLGATE_TOKEN=$(tollgate token create --name ci --role deployer)',
  ],
  async run(ctx, values) {
    const created = await ctx.client.createToken({ body: buildTokenRequest(values, Date.now()) });
    if (ctx.json) {
      printJson(ctx, created);
      return 0;
    }
    const st = ctx.err.style;
    ctx.err.write(
      [
        `token ${created.id} created: ${created.name}, role ${created.role}` +
          `${created.targets ? `, targets ${scopeText(created.targets)}` : ''}` +
          `${created.expiresAt ? `, expires ${created.expiresAt}` : ', never expires'}`,
        st.bold('its secret, shown this once:'),
        '',
      ].join('\n'),
    );
    ctx.out.write(`${created.token}\n`);
    ctx.err.write(`\n${st.yellow('Store it now: it cannot be shown again. Use it with: export TOLLGATE_TOKEN=<secret>')}\n`);
    return 0;
  },
};

const ls: Command = {
  name: 'token ls',
  summary: 'List every token, without secrets: role, scope, who created it, expiry, revocation.',
  usage: '',
  options: {},
  positionals: [],
  examples: ['tollgate token ls', "tollgate token ls --json | jq -r '.items[] | select(.revokedAt == null) | .name'"],
  async run(ctx) {
    const res = await ctx.client.listTokens();
    if (ctx.json) printJson(ctx, res);
    else printLines(ctx, tokensTable(res.items, Date.now(), ctx.out.style));
    return 0;
  },
};

const revoke: Command = {
  name: 'token revoke',
  summary: 'Revoke a token at once; every later request with it gets 401.',
  usage: 'ID',
  options: {},
  positionals: ['ID'],
  examples: ['tollgate token revoke tok_0123456789abcdef'],
  async run(ctx, _values, [id]) {
    const r = TokenId.safeParse(id);
    if (!r.success)
      throw new UsageError(`ID: "${id}" ${r.error.issues[0]?.message ?? 'is not a token id'} (see tollgate token ls)`, 'token revoke');
    const t = await ctx.client.revokeToken({ params: { tokenId: r.data } });
    if (ctx.json) printJson(ctx, t);
    else printLines(ctx, [`token ${t.id} (${t.name}, ${t.role}) revoked${t.revokedBy ? ` by ${t.revokedBy}` : ''}`]);
    return 0;
  },
};

export const tokenCommands = [create, ls, revoke];

export const whoamiCommand: Command = {
  name: 'whoami',
  summary: 'Show who TOLLGATE_TOKEN belongs to: name, role, and for agents their targets.',
  usage: '',
  options: {},
  positionals: [],
  examples: ['tollgate whoami', 'tollgate whoami --json | jq -r .role'],
  async run(ctx) {
    const me = await ctx.client.whoami();
    if (ctx.json) printJson(ctx, me);
    else printLines(ctx, principalText(me));
    return 0;
  },
};

/** The audit filters from flags, checked against the API's query schema. */
export function buildAuditFilter(values: Values, now: number): AuditFilter {
  const NAME = 'audit';
  const key = str(values['config-key']);
  if (key !== undefined && !Id.safeParse(key).success) throw new UsageError(`--config-key: "${key}" is not a valid config key`, NAME);
  const since = str(values.since);
  const rawLimit = str(values.limit);
  const filter: AuditFilter = {
    actor: str(values.actor),
    action: str(values.action),
    configKey: key,
    since: since === undefined ? undefined : parseInstant(since, '--since', NAME, 'past', now),
    limit: rawLimit === undefined ? undefined : Number(rawLimit),
    cursor: str(values.cursor),
  };
  const r = AuditQuery.safeParse(Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const flag = field === 'configKey' ? '--config-key' : `--${field}`;
    const shown = field === 'limit' ? ` "${rawLimit}" is not a whole number from 1 to 500` : ` ${issue.message}`;
    throw new UsageError(`${flag}:${shown}`, NAME);
  }
  return filter;
}

/** A value as a shell word: bare when safe, else single-quoted. */
export function shellWord(v: string): string {
  return /^[A-Za-z0-9._@:/+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'The audit log, newest first: every change and every refused request, with its actor.',
  description:
    'Needs role approver or admin. Filters combine. With more entries than --limit, the command that\n' +
    'shows the next page is printed on stderr (--cursor).',
  usage: '[--actor NAME] [--action ACTION] [--config-key KEY] [--since TIME] [--limit N] [--cursor C]',
  options: {
    actor: { type: 'string', arg: 'NAME', desc: 'Only entries by this token name (or single-sign-on subject)' },
    action: { type: 'string', arg: 'ACTION', desc: 'Only this operation, e.g. createRollout, pauseRollout, reviewRollout, createToken' },
    'config-key': { type: 'string', short: 'k', arg: 'KEY', desc: 'Only entries about this config key' },
    since: { type: 'string', arg: 'TIME', desc: 'Only entries at or after: ISO 8601 time, or a duration back from now (1h, 7d)' },
    limit: { type: 'string', arg: 'N', desc: 'At most N entries (1-500, default 100)' },
    cursor: { type: 'string', arg: 'C', desc: 'Start after this entry (the cursor the previous page printed)' },
  },
  positionals: [],
  examples: [
    'tollgate audit --since 24h',
    'tollgate audit --actor alice@example.com --action reviewRollout',
    'tollgate audit --config-key portal-db --json',
  ],
  async run(ctx, values) {
    const filter = buildAuditFilter(values, Date.now());
    const page = await ctx.client.listAudit({ query: filter });
    if (ctx.json) {
      printJson(ctx, page);
      return 0;
    }
    printLines(ctx, auditTable(page.items, ctx.out.style));
    if (page.nextCursor) {
      const again = Object.entries({ ...filter, cursor: page.nextCursor })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `--${k === 'configKey' ? 'config-key' : k} ${shellWord(String(v))}`)
        .join(' ');
      ctx.err.write(`more: tollgate audit ${again}\n`);
    }
    return 0;
  },
};
