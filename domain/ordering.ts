/**
 * The order in which a rollout updates its targets: by sha256(configKey, targetId). The same change
 * over the same fleet always picks the same canary, while different config keys spread their
 * canaries over different targets.
 */
import { createHash } from 'node:crypto';

export function stableOrder(configKey: string, targetIds: readonly string[]): string[] {
  const keyed = targetIds.map((id) => ({
    id,
    key: createHash('sha256').update(configKey).update('\0').update(id).digest('hex'),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  return keyed.map((k) => k.id);
}
