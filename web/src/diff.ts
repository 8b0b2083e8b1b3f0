/**
 * A line diff for the config view: pretty-printed JSON of two versions, compared line by line
 * with a longest-common-subsequence table. Pure, so it is unit-tested outside the browser.
 */

export type DiffOp = 'same' | 'add' | 'del';

export interface DiffLine {
  op: DiffOp;
  text: string;
  /** Line number in the old text (absent for added lines). */
  oldNo?: number;
  /** Line number in the new text (absent for removed lines). */
  newNo?: number;
}

/** Beyond this many cells the table costs too much memory; the diff degrades to remove-all, add-all. */
export const MAX_DIFF_CELLS = 4_000_000;

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Keys sorted, so a change of key order alone shows as no change. `undefined` (no version) is empty. */
export function prettyJson(v: unknown): string {
  return v === undefined ? '' : JSON.stringify(sortKeys(v), null, 2);
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // Common head and tail are cheap to peel off and usually most of a config.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);

  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'same', text: a[i]!, oldNo: i + 1, newNo: i + 1 });

  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_DIFF_CELLS) {
    am.forEach((text, i) => out.push({ op: 'del', text, oldNo: head + i + 1 }));
    bm.forEach((text, j) => out.push({ op: 'add', text, newNo: head + j + 1 }));
  } else {
    // lcs[i][j]: longest common subsequence of am[i..] and bm[j..], in one flat array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: 'same', text: am[i]!, oldNo: head + i + 1, newNo: head + j + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        // Removals before additions, as in `diff -u`.
        out.push({ op: 'del', text: am[i]!, oldNo: head + i + 1 });
        i++;
      } else {
        out.push({ op: 'add', text: bm[j]!, newNo: head + j + 1 });
        j++;
      }
    }
  }

  for (let k = tail; k > 0; k--) {
    out.push({ op: 'same', text: a[a.length - k]!, oldNo: a.length - k + 1, newNo: b.length - k + 1 });
  }
  return out;
}

/** Counts for the diff's header. */
export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.op === 'add') added++;
    else if (l.op === 'del') removed++;
  }
  return { added, removed };
}
