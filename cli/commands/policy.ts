/** `tollgate policy get|set`: a config key's rollout policy, or the default (`*`). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { RolloutPolicyDocument } from '../../domain/policy';
import { fieldName } from '../../api/http';
import { type Command, printJson, printLines, str } from '../command';
import { UsageError } from '../errors';

/** The default policy's scope, as the API names it. */
const DEFAULT = '*';

const get: Command = {
  name: 'policy get',
  summary: "Show a config key's own policy, the default ('*'), or with --effective what a key's rollouts must respect now.",
  usage: "KEY|'*' [--effective]",
  options: { effective: { type: 'boolean', short: 'e', desc: 'The merged policy in force, and the freezes that hold the key now' } },
  positionals: ['KEY'],
  examples: ['tollgate policy get payments-db', 'tollgate policy get payments-db --effective', "tollgate policy get '*'"],
  async run(ctx, values, [key]) {
    if (values.effective === true) {
      if (key === DEFAULT) throw new UsageError("--effective: name a config key; the default is what '*' shows", 'policy get');
      const effective = await ctx.client.getEffectivePolicy({ params: { configKey: key! } });
      if (ctx.json) printJson(ctx, effective);
      else
        printLines(ctx, [
          `effective policy of ${key} (default version ${effective.versions.default}, own ${effective.versions.own ?? 'none'})`,
          ...JSON.stringify(effective.policy, null, 2).split('\n'),
          ...(effective.holds.length > 0
            ? effective.holds.map((hold) => `FROZEN: ${hold.reason}${hold.endsAt ? ` until ${hold.endsAt}` : ' until lifted'}`)
            : ['not frozen']),
        ]);
      return 0;
    }
    const stored =
      key === DEFAULT ? await ctx.client.getDefaultPolicy() : await ctx.client.getConfigPolicy({ params: { configKey: key! } });
    if (ctx.json) printJson(ctx, stored);
    else
      printLines(ctx, [
        `policy of ${key === DEFAULT ? 'the default' : key}, version ${stored.version}${stored.updatedBy ? ` by ${stored.updatedBy} at ${stored.updatedAt}` : ''}`,
        ...JSON.stringify(stored.policy, null, 2).split('\n'),
      ]);
    return 0;
  },
};

const set: Command = {
  name: 'policy set',
  summary: "Set a config key's own policy, or the default ('*'), from a JSON or YAML file (admin). Running rollouts keep theirs.",
  description: 'The file holds only the fields this scope sets; the rest come from the default. Every change is a new version.',
  usage: "KEY|'*' -f FILE",
  options: { file: { type: 'string', short: 'f', arg: 'FILE', desc: 'The policy document (JSON or YAML; - reads stdin)' } },
  positionals: ['KEY'],
  examples: ['tollgate policy set payments-db -f payments-policy.yaml', `echo '{"approvals": 1}' | tollgate policy set '*' -f -`],
  async run(ctx, values, [key]) {
    const file = str(values.file);
    if (!file) throw new UsageError('-f FILE: the policy document to set', 'policy set');
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new UsageError(`-f: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, 'policy set');
    }
    let document: unknown;
    try {
      // YAML is a superset of JSON: one parser reads both.
      document = parseYaml(text);
    } catch (err) {
      throw new UsageError(`-f: ${file} is neither JSON nor YAML: ${err instanceof Error ? err.message : String(err)}`, 'policy set');
    }
    const checked = RolloutPolicyDocument.safeParse(document);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new UsageError(`-f: ${fieldName(issue.path) || 'policy'}: ${issue.message}`, 'policy set');
    }
    const stored =
      key === DEFAULT
        ? await ctx.client.putDefaultPolicy({ body: checked.data })
        : await ctx.client.putConfigPolicy({ params: { configKey: key! }, body: checked.data });
    if (ctx.json) printJson(ctx, stored);
    else printLines(ctx, [`policy of ${key === DEFAULT ? 'the default' : key} is now version ${stored.version}`]);
    return 0;
  },
};

export const policyCommands = [get, set];
