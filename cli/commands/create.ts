/**
 * `tollgate rollout create`: a change from a JSON/YAML file, from flags, or a file with flags
 * overriding it. The request is checked against the API's own zod schema before it is sent, so a
 * typo fails here with the field named, not half-way through a pipeline.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { startedRollout } from '../../api/client';
import { fieldName } from '../../api/http';
import { CreateRolloutRequest, SelectorQuery } from '../../domain/schemas';
import { type Command, printJson, printLines, str, type Values } from '../command';
import { UsageError } from '../errors';
import { emergencyMark, reviewStatus } from '../render';
import { watchRollout, WATCH_OPTIONS, watchSettings } from './watch';

const NAME = 'rollout create';

/** JSON or YAML, by the file's extension, else by its first character. */
export function parseDocument(text: string, source: string): unknown {
  const ext = extname(source).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[[{]/.test(text));
  try {
    return json ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new UsageError(`${source}: not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, NAME);
  }
}

/** `canary:5:300,partial:25:300:approval,full:100:300` → stages (name:percent:bakeSeconds[:approval]). */
export function parseStages(raw: string): unknown[] {
  return raw
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((part) => {
      const [name, pct, bake, gate, ...rest] = part.trim().split(':');
      const percent = Number(pct);
      const bakeSeconds = Number(bake);
      if (
        !name ||
        pct === undefined ||
        bake === undefined ||
        rest.length > 0 ||
        !Number.isFinite(percent) ||
        !Number.isFinite(bakeSeconds)
      ) {
        throw new UsageError(`--stages: "${part}" is not name:percent:bakeSeconds[:approval]`, NAME);
      }
      if (gate !== undefined && gate !== 'approval')
        throw new UsageError(`--stages: "${part}": the fourth part can only be "approval"`, NAME);
      return { name, percent, bakeSeconds, approval: gate === 'approval' };
    });
}

/** `0.05`, or `5%`. */
function parseRate(raw: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(raw.trim());
  if (!m) throw new UsageError(`${flag}: "${raw}" is not a number or percentage`, NAME);
  return m[2] ? Number(m[1]) / 100 : Number(m[1]);
}

function parseNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: "${raw}" is not a number`, NAME);
  return n;
}

export interface BuiltRequest {
  request: Record<string, unknown>;
  /** Request field → the flag that set it, so a validation error names what the user typed. */
  sources: Record<string, string>;
  file: string | undefined;
}

/** The request from the file (if any) with flags laid over it. Reads files through `read`. */
export function buildRequest(values: Values, read: (path: string) => string): BuiltRequest {
  const file = str(values.file);
  let request: Record<string, unknown> = {};
  if (file) {
    const doc = parseDocument(read(file), file === '-' ? 'stdin' : file);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      throw new UsageError(`${file}: must hold an object (a rollout request)`, NAME);
    request = { ...(doc as Record<string, unknown>) };
  }
  const sources: Record<string, string> = {};
  const set = (field: string, flag: string, value: unknown) => {
    request[field] = value;
    sources[field] = flag;
  };
  const only = (a: string, b: string) => {
    if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`--${a} and --${b} cannot be used together`, NAME);
  };
  only('content', 'content-file');
  only('targets', 'selector');

  const key = str(values['config-key']);
  if (key !== undefined) set('configKey', '--config-key', key);
  const content = str(values.content);
  if (content !== undefined) {
    try {
      set('content', '--content', JSON.parse(content));
    } catch (err) {
      throw new UsageError(`--content: not valid JSON (${(err as Error).message}); use --content-file for YAML`, NAME);
    }
  }
  const contentFile = str(values['content-file']);
  if (contentFile !== undefined) set('content', '--content-file', parseDocument(read(contentFile), contentFile));
  const targets = str(values.targets);
  if (targets !== undefined)
    set('targets', '--targets', {
      ids: targets
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    });
  const selector = str(values.selector);
  if (selector !== undefined) {
    const r = SelectorQuery.safeParse(selector);
    if (!r.success) throw new UsageError(`--selector: ${r.error.issues[0]?.message ?? 'invalid'}`, NAME);
    set('targets', '--selector', { selector: r.data });
  }
  const stages = str(values.stages);
  if (stages !== undefined) set('stages', '--stages', parseStages(stages));
  const onRegression = str(values['on-regression']);
  if (onRegression !== undefined) set('onRegression', '--on-regression', onRegression);
  const description = str(values.description);
  if (description !== undefined) set('description', '--description', description);
  const emergency = str(values['emergency-reason']);
  if (emergency !== undefined) set('emergency', '--emergency-reason', { reason: emergency });

  const health: Record<string, unknown> = {};
  const rate = str(values['max-error-rate']);
  if (rate !== undefined) health.maxErrorRate = parseRate(rate, '--max-error-rate');
  const latency = str(values['max-latency-ms']);
  if (latency !== undefined) health.maxLatencyMs = parseNumber(latency, '--max-latency-ms');
  const interval = str(values['health-interval']);
  if (interval !== undefined) health.intervalSeconds = parseNumber(interval, '--health-interval');
  const threshold = str(values['failure-threshold']);
  if (threshold !== undefined) health.failureThreshold = parseNumber(threshold, '--failure-threshold');
  if (Object.keys(health).length > 0) {
    const base = typeof request.health === 'object' && request.health !== null ? (request.health as Record<string, unknown>) : {};
    set('health', 'health flags', { ...base, ...health });
  }
  return { request, sources, file };
}

const HEALTH_FLAG: Record<string, string> = {
  maxErrorRate: '--max-error-rate',
  maxLatencyMs: '--max-latency-ms',
  intervalSeconds: '--health-interval',
  failureThreshold: '--failure-threshold',
};

/** Checks the request against the API's schema; the first problem becomes a UsageError naming its source. */
export function validateRequest(b: BuiltRequest): void {
  const r = CreateRolloutRequest.safeParse(b.request);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const field = fieldName(issue.path);
  const top = String(issue.path[0] ?? '');
  let source = b.sources[top] ?? (b.file ? (b.file === '-' ? 'stdin' : b.file) : undefined);
  if (top === 'health' && b.sources.health) source = HEALTH_FLAG[String(issue.path[1])] ?? source;
  const missing = issue.path.length === 1 && b.request[top] === undefined;
  const message = missing ? `${field} is required (${requiredHint(top)})` : `${field ? `${field}: ` : ''}${issue.message}`;
  throw new UsageError(source ? `${source}: ${message}` : message, NAME);
}

function requiredHint(field: string): string {
  switch (field) {
    case 'configKey':
      return '--config-key or configKey in the file';
    case 'targets':
      return '--targets or --selector, or targets in the file';
    case 'content':
      return '--content or --content-file, or content in the file';
    default:
      return 'see --help';
  }
}

export const createCommand: Command = {
  name: NAME,
  summary: 'Start a staged rollout of a config change.',
  description:
    'The change comes from a JSON or YAML file (-f, "-" for stdin), from flags, or both: flags override\n' +
    'the file. It is validated here before it is sent. Stages default to canary 5%, partial 25%, full\n' +
    '100%, each baking 300 s; a regression rolls back unless --on-regression pause. Under a policy\n' +
    'with approvals the rollout waits in pending_review until approvers review it (rollout review).',
  usage: '-f FILE | --config-key KEY (--content JSON | --content-file FILE) (--targets IDS | --selector k=v) [options]',
  options: {
    file: { type: 'string', short: 'f', arg: 'FILE', desc: 'The rollout request as JSON or YAML ("-": stdin)' },
    'config-key': { type: 'string', short: 'k', arg: 'KEY', desc: 'The config key to change' },
    content: { type: 'string', arg: 'JSON', desc: 'The new content, as JSON' },
    'content-file': { type: 'string', arg: 'FILE', desc: 'The new content, from a JSON or YAML file' },
    targets: { type: 'string', arg: 'ID,ID', desc: 'These targets, in this order' },
    selector: { type: 'string', short: 'l', arg: 'k=v,k=v', desc: 'Targets with all these labels' },
    stages: { type: 'string', arg: 'SPEC', desc: 'name:percent:bakeSeconds[:approval],... e.g. canary:5:300,full:100:600:approval' },
    'on-regression': { type: 'string', arg: 'rollback|pause', desc: 'What a regression does (default rollback)' },
    'max-error-rate': { type: 'string', arg: 'RATE', desc: 'Highest tolerated share of failing probes, 0.05 or 5% (default 0)' },
    'max-latency-ms': { type: 'string', arg: 'MS', desc: 'Highest tolerated p95 probe latency' },
    'health-interval': { type: 'string', arg: 'SECONDS', desc: 'Seconds between probe rounds (default 10)' },
    'failure-threshold': { type: 'string', arg: 'N', desc: 'Bad rounds in a row that make a regression (default 2)' },
    description: { type: 'string', short: 'm', arg: 'TEXT', desc: 'Why: shown in the timeline' },
    'emergency-reason': {
      type: 'string',
      arg: 'TEXT',
      desc: 'Admins only: start on the emergency path (no review, no staging minimums; health checks still run). At least 10 characters, flagged everywhere',
    },
    'dry-run': { type: 'boolean', desc: 'Validate and print the request; send nothing' },
    watch: { type: 'boolean', short: 'w', desc: 'Follow the rollout once created (exit codes as for watch)' },
    ...WATCH_OPTIONS,
  },
  positionals: [],
  examples: [
    'tollgate rollout create -f change.yaml --watch',
    'tollgate rollout create --config-key portal-db --content \'{"pool": 20}\' --selector app=portal \\\n      --stages canary:10:60,partial:50:120,full:100:120 --on-regression pause',
    'tollgate rollout create -f change.json --description "raise pool to 20" --json | jq -r .id',
    'tollgate rollout create -f hotfix.yaml --stages full:100:0 --emergency-reason "INC-2211: pool exhausted, checkout down"',
  ],
  async run(ctx, values) {
    if (values.file === undefined && values['config-key'] === undefined) {
      throw new UsageError('give -f FILE or --config-key with --content and --targets/--selector', NAME);
    }
    const built = buildRequest(values, (path) => {
      try {
        return readFileSync(path === '-' ? 0 : path, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, NAME);
      }
    });
    validateRequest(built);
    if (values['dry-run'] === true) {
      printJson(ctx, built.request);
      return 0;
    }
    const summary = startedRollout(await ctx.client.createRollout({ body: built.request as CreateRolloutRequest }));
    if (values.watch === true) {
      if (!ctx.json) ctx.err.write(`rollout ${summary.id} created\n`);
      return watchRollout(ctx, summary.id, watchSettings(values));
    }
    if (ctx.json) {
      printJson(ctx, summary);
      return 0;
    }
    const stages = summary.stages.map((s) => `${s.name} ${s.targets}`).join(', ');
    printLines(ctx, [
      ...(summary.emergency ? [emergencyMark(summary, ctx.out.style, 1000)] : []),
      `rollout ${summary.id} created: ${summary.configKey} version ${summary.version ?? '(numbering)'} to ${summary.totalTargets} targets`,
      `  stages: ${stages}`,
      ...(summary.state === 'pending_review'
        ? [`  pending review: ${reviewStatus(summary)}; an approver runs: tollgate rollout review ${summary.id} --approve`]
        : []),
      `follow it: tollgate rollout watch ${summary.id}`,
    ]);
    return 0;
  },
};
