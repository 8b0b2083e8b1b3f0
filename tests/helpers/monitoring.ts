/** Reading the monitoring files in docs/: the queries of a Grafana dashboard, the metric names of a PromQL expression. */

export interface DashboardQuery {
  panel: string;
  expr: string;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  panels?: Panel[];
  annotations?: { list?: { name?: string; expr?: string }[] };
}

/** Every PromQL expression of a dashboard: panel targets (rows' nested panels too) and annotations. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: Panel[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '?', expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const a of dashboard.annotations?.list ?? []) if (a.expr) out.push({ panel: `annotation ${a.name ?? '?'}`, expr: a.expr });
  return out;
}

/** The metric names an expression selects: Tollgate's, the Temporal SDK's, the process metrics, and `up`. */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = withoutStrings.match(/\b(?:tollgate|temporal|process|nodejs)_[a-zA-Z0-9_]*|\bup\b(?=\s*[{[)]|\s*$|\s*==)/g) ?? [];
  return [...new Set(names)];
}
