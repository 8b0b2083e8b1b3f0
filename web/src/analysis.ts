/**
 * Canary analysis on a rollout's page: the latest verdict of the current stage as a table (per
 * metric: samples, medians, effect with its interval, p and e-value against their thresholds) and
 * a canary-versus-baseline chart of one metric's medians over the stage's intervals. Read from the
 * `analysis` events, which carry the evidence; hidden on rollouts without analysis.
 */
import uPlot from 'uplot';
import type { CanaryMetricVerdict } from '../../domain/analysis-schemas';
import type { RolloutEvent } from '../../domain/schemas';
import type { RolloutDetail } from './api';
import { h, replace } from './dom';

const COLORS = { canary: '#dc2626', baseline: '#2563eb' };

function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '—';
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${v >= 0 ? '+' : ''}${Math.round(v * 1000) / 10}%`;
}

const metricsOf = (e: RolloutEvent) => (e.detail.metrics as CanaryMetricVerdict[] | undefined) ?? [];

export class AnalysisPanel {
  readonly el: HTMLElement;
  private readonly summary = h('div', { class: 'small' });
  private readonly table = h('div', {});
  private readonly picker = h('select', { 'aria-label': 'Metric to chart', 'data-testid': 'analysis-metric' });
  private readonly mount = h('div', { class: 'chart-mount', 'data-testid': 'analysis-chart' });
  private plot: uPlot | null = null;
  private chartKey = '';

  constructor() {
    this.el = h(
      'section',
      { class: 'card', 'data-testid': 'analysis', hidden: true },
      h('div', { class: 'card-head' }, h('h2', {}, 'Canary analysis')),
      this.summary,
      this.table,
      h(
        'div',
        { class: 'chart' },
        h('div', { class: 'chart-head' }, h('strong', {}, 'Canary vs baseline, median so far'), this.picker),
        this.mount,
      ),
    );
    this.picker.addEventListener('change', () => (this.chartKey = ''));
  }

  update(d: RolloutDetail, events: readonly RolloutEvent[]): void {
    this.el.hidden = d.analysis === undefined;
    if (!d.analysis) return;
    const judged = events.filter((e) => e.type === 'analysis');
    const latest = judged.at(-1);
    if (!latest) {
      replace(this.summary, h('span', { class: 'muted' }, 'No interval judged yet: analysis starts once a stage has applied.'));
      return;
    }
    const stageEvents = judged.filter((e) => e.stage === latest.stage);
    const state = d.analysisStage;
    const limits = d.analysis.limits;
    replace(
      this.summary,
      h('strong', { 'data-testid': 'analysis-verdict' }, `${latest.stage ?? ''}: ${String(latest.detail.verdict)}`),
      ` · score ${String(latest.detail.score)} · `,
      state
        ? `${state.intervals} intervals: ${state.passes} pass, ${state.marginals} marginal, ${state.failures} failed (limit ${limits.failureLimit}), ${state.inconclusive} inconclusive (limit ${limits.inconclusiveLimit})`
        : '',
      h('div', { class: 'muted' }, latest.message),
    );
    replace(this.table, this.renderTable(metricsOf(latest)));
    this.renderChart(stageEvents);
  }

  private renderTable(metrics: CanaryMetricVerdict[]): HTMLElement {
    const head = [
      'Metric',
      'Verdict',
      'Canary n',
      'Baseline n',
      'Canary median',
      'Baseline median',
      'Effect [interval]',
      'p',
      'e-value / threshold',
      'Why',
    ];
    return h(
      'table',
      { class: 'table', 'data-testid': 'analysis-table' },
      h('thead', {}, h('tr', {}, ...head.map((label) => h('th', {}, label)))),
      h(
        'tbody',
        {},
        ...metrics.map((m) => {
          const e = m.evidence;
          const interval = e.interval ? ` [${pct(e.interval[0])}, ${pct(e.interval[1])}]` : '';
          return h(
            'tr',
            { 'data-metric': m.name },
            h('td', { class: 'mono' }, `${m.name}${m.critical ? ' (critical)' : ''}`),
            h('td', { class: m.verdict === 'fail' ? 'ev-bad' : m.verdict === 'pass' ? 'ev-good' : 'ev-hold' }, m.verdict),
            h('td', {}, String(e.canaryCount)),
            h('td', {}, String(e.baselineCount)),
            h('td', {}, num(e.canaryMedian)),
            h('td', {}, num(e.baselineMedian)),
            h('td', {}, `${pct(e.effect)}${interval}`),
            h('td', {}, `${num(e.pValue)} (< ${num(e.threshold.pValue)})`),
            h('td', {}, `${num(e.eValue)} / ${num(e.threshold.eValue)}`),
            h('td', { class: 'small' }, m.message),
          );
        }),
      ),
    );
  }

  private renderChart(stageEvents: RolloutEvent[]): void {
    const names = metricsOf(stageEvents.at(-1)!).map((m) => m.name);
    if ([...this.picker.options].map((o) => o.value).join() !== names.join()) {
      const chosen = names.includes(this.picker.value) ? this.picker.value : (names[0] ?? '');
      replace(this.picker, ...names.map((name) => h('option', { value: name }, name)));
      this.picker.value = chosen;
    }
    const name = this.picker.value;
    // By interval, not by clock: the intervals are what the judge counts, and evenly spaced to read.
    const points = stageEvents.map((e, i) => ({ interval: i + 1, m: metricsOf(e).find((x) => x.name === name) }));
    const data: uPlot.AlignedData = [
      points.map((p) => p.interval),
      points.map((p) => p.m?.evidence.canaryMedian ?? null),
      points.map((p) => p.m?.evidence.baselineMedian ?? null),
    ];
    const key = `${stageEvents[0]?.stage ?? ''}:${name}`;
    if (!this.el.isConnected) return;
    if (this.plot && this.chartKey === key) return void this.plot.setData(data);
    this.plot?.destroy();
    this.chartKey = key;
    this.plot = new uPlot(
      {
        width: Math.max(280, this.el.clientWidth - 24),
        height: 180,
        series: [
          { label: 'interval' },
          { label: 'canary', stroke: COLORS.canary, width: 2, points: { size: 4 } },
          { label: 'baseline', stroke: COLORS.baseline, width: 2, points: { size: 4 } },
        ],
        scales: { x: { time: false, range: (_u, _min, max) => [0.5, Math.max(1, max ?? 1) + 0.5] } },
        axes: [{ label: 'interval', values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')) }, {}],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      this.mount,
    );
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}
