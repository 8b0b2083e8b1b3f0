/**
 * The config change a rollout carries, as a diff against the stable version: the one the fleet
 * ran when the rollout started, or, while it waits for review, the key's stable version now (what
 * the reviewers would replace). Loaded once per version and phase.
 */
import { configDiff, getConfig, type ConfigDiff, type RolloutDetail } from '../api';
import { diffHeader, diffView } from '../diffview';
import { h, replace } from '../dom';

export class ConfigChange {
  readonly el: HTMLElement;
  /** The loaded diff, for the review panel too. */
  diff: ConfigDiff | null = null;
  private loadedFor: string | null = null;

  constructor() {
    this.el = h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Config change')),
      h('div', { class: 'muted' }, 'Loading…'),
    );
  }

  /** Loads the diff unless it is already loaded for this version and phase; `loaded` runs after a new one. */
  async load(d: RolloutDetail, loaded: () => void): Promise<void> {
    if (d.version === null) return;
    const review = d.state === 'pending_review';
    const key = `${d.version}:${review ? 'review' : 'started'}`;
    if (this.loadedFor === key) return;
    this.loadedFor = key;
    try {
      const from = review ? ((await getConfig(d.configKey)).stableVersion ?? 0) : (d.previousStableVersion ?? 0);
      this.diff = await configDiff(d.configKey, from, d.version);
      replace(this.el, h('div', { class: 'card-head' }, h('h2', {}, 'Config change'), diffHeader(this.diff)), diffView(this.diff));
      loaded();
    } catch (err) {
      this.loadedFor = null;
      replace(
        this.el,
        h('div', { class: 'card-head' }, h('h2', {}, 'Config change')),
        h('div', { class: 'notice' }, `Could not load the diff: ${(err as Error).message}`),
      );
    }
  }
}
