/**
 * Health over time for one stage, drawn with uPlot: the failed-probe ratio and the p95 latency
 * of each interval, each against its threshold (dashed).
 */
import uPlot from 'uplot';
import type { StageHealthSample } from './api';
import { h } from './dom';
import { timeWindow } from './time-window';

export interface Thresholds {
  intervalSeconds: number;
  maxErrorRate: number;
  maxLatencyMs?: number | undefined;
}

const COLORS = { ratio: '#dc2626', latency: '#2563eb', ratioLimit: '#f87171', latencyLimit: '#93c5fd' };

function data(samples: readonly StageHealthSample[], t: Thresholds): uPlot.AlignedData {
  const xs = samples.map((s) => Date.parse(s.at) / 1000);
  const ratio = samples.map((s) => (s.total > 0 ? (s.failed / s.total) * 100 : null));
  const p95 = samples.map((s) => (s.p95LatencyMs === null ? null : Math.round(s.p95LatencyMs * 10) / 10));
  const series: (number | null)[][] = [ratio, samples.map(() => t.maxErrorRate * 100), p95];
  if (t.maxLatencyMs !== undefined) series.push(samples.map(() => t.maxLatencyMs!));
  return [xs, ...series] as uPlot.AlignedData;
}

export class StageChart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private readonly mount: HTMLElement;
  private readonly observer: ResizeObserver;
  private samples: StageHealthSample[] = [];

  constructor(
    readonly stage: string,
    private readonly t: Thresholds,
  ) {
    this.mount = h('div', { class: 'chart-mount' });
    const limits = [
      `max error rate ${formatPct(t.maxErrorRate * 100)}`,
      t.maxLatencyMs !== undefined ? `max p95 ${t.maxLatencyMs} ms` : null,
    ];
    this.el = h(
      'div',
      { class: 'chart', 'data-testid': `health-chart-${stage}` },
      h('div', { class: 'chart-head' }, h('strong', {}, stage), h('span', { class: 'muted small' }, limits.filter(Boolean).join(' · '))),
      this.mount,
    );
    this.observer = new ResizeObserver(() => this.resize());
  }

  private options(width: number): uPlot.Options {
    const series: uPlot.Series[] = [
      {},
      {
        label: 'failed',
        scale: '%',
        stroke: COLORS.ratio,
        width: 2,
        value: (_u, v) => (v === null ? '—' : formatPct(v)),
        points: { size: 4 },
      },
      {
        label: 'max failed',
        scale: '%',
        stroke: COLORS.ratioLimit,
        width: 1,
        dash: [6, 4],
        points: { show: false },
        value: (_u, v) => (v === null ? '—' : formatPct(v)),
      },
      {
        label: 'p95',
        scale: 'ms',
        stroke: COLORS.latency,
        width: 2,
        value: (_u, v) => (v === null ? '—' : `${v} ms`),
        points: { size: 4 },
      },
    ];
    if (this.t.maxLatencyMs !== undefined) {
      series.push({
        label: 'max p95',
        scale: 'ms',
        stroke: COLORS.latencyLimit,
        width: 1,
        dash: [6, 4],
        points: { show: false },
        value: (_u, v) => (v === null ? '—' : `${v} ms`),
      });
    }
    return {
      width,
      height: 180,
      series,
      scales: {
        // From the samples, not uPlot's min and max: it has already widened a lone point by 1000 days.
        x: { time: true, range: (u) => timeWindow(u.data[0], this.t.intervalSeconds) },
        '%': { range: (_u, _min, max) => [0, Math.max(10, Math.ceil((max ?? 0) / 10) * 10, this.t.maxErrorRate * 100 * 1.2)] },
        ms: { range: (_u, _min, max) => [0, Math.max(10, (max ?? 0) * 1.2)] },
      },
      axes: [
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' } },
        {
          scale: '%',
          stroke: COLORS.ratio,
          values: (_u, vals) => vals.map((v) => `${v}%`),
          grid: { stroke: '#eef2f7' },
          ticks: { stroke: '#e2e8f0' },
          size: 48,
        },
        {
          scale: 'ms',
          side: 1,
          stroke: COLORS.latency,
          values: (_u, vals) => vals.map((v) => `${v} ms`),
          grid: { show: false },
          ticks: { stroke: '#e2e8f0' },
          size: 60,
        },
      ],
      legend: { live: true },
      // The window drawn, on the element: what a test (or a person in devtools) can check.
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== 'x') return;
            this.el.dataset.xFrom = String(u.scales.x?.min ?? '');
            this.el.dataset.xTo = String(u.scales.x?.max ?? '');
          },
        ],
      },
      cursor: { drag: { x: false, y: false } },
    };
  }

  set(samples: StageHealthSample[]): void {
    this.samples = samples;
    if (!this.el.isConnected) return;
    if (!this.plot) {
      this.plot = new uPlot(this.options(this.width()), data(samples, this.t), this.mount);
      this.observer.observe(this.el);
    } else {
      this.plot.setData(data(samples, this.t));
    }
  }

  /** Call once the chart is in the document (uPlot measures its container). */
  attached(): void {
    this.set(this.samples);
  }

  private width(): number {
    return Math.max(280, this.el.clientWidth - 24);
  }

  private resize(): void {
    if (this.plot && this.plot.width !== this.width()) this.plot.setSize({ width: this.width(), height: 180 });
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}

function formatPct(v: number): string {
  return `${Math.round(v * 10) / 10}%`;
}
