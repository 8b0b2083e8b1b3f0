/**
 * The health card: one chart per stage that has samples, each created once and fed the stage's
 * samples as they arrive (uPlot redraws in place).
 */
import type { RolloutDetail, StageHealthSample } from '../api';
import { StageChart } from '../chart';
import { h, replace } from '../dom';

export class HealthCharts {
  readonly el: HTMLElement;
  private readonly grid = h('div', { class: 'charts' });
  private readonly charts = new Map<string, StageChart>();

  constructor() {
    this.el = h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Health per stage')), this.grid);
  }

  update(d: RolloutDetail, samples: readonly StageHealthSample[]): void {
    const byStage = new Map<string, StageHealthSample[]>();
    for (const s of samples) byStage.set(s.stage, [...(byStage.get(s.stage) ?? []), s]);
    if (byStage.size === 0) {
      if (!this.grid.querySelector('.empty'))
        replace(this.grid, h('div', { class: 'empty' }, 'No health samples yet: probing starts once a stage has applied.'));
      return;
    }
    this.grid.querySelector('.empty')?.remove();
    for (const st of d.stages) {
      const data = byStage.get(st.name);
      if (!data) continue;
      let chart = this.charts.get(st.name);
      if (!chart) {
        chart = new StageChart(st.name, d.health);
        this.charts.set(st.name, chart);
        this.grid.appendChild(chart.el);
      }
      chart.set(data);
    }
  }

  destroy(): void {
    for (const chart of this.charts.values()) chart.destroy();
  }
}
