/**
 * What changed between two versions of a config: one implementation, used by the API
 * (`GET /v1/configs/:configKey/diff`), the incident report, the CLI and the dashboard.
 *
 * - `jsonPatch`: a structural diff as an RFC 6902 JSON Patch that turns the old document into the
 *   new one (add, remove, replace; no move or copy). Objects are compared key by key; arrays peel
 *   their common head and tail (by deep equality) and compare the middle index by index, so one
 *   element inserted or removed anywhere is one operation.
 * - `diffLines`: a line diff of both versions pretty-printed (keys sorted), with a
 *   longest-common-subsequence table, and `hunks` of it with context, as `diff -u` shows them.
 *
 * Cost: configs are bounded before they are stored (TOLLGATE_MAX_BODY 1 MiB, TOLLGATE_MAX_JSON_ITEMS
 * 50,000 keys and elements, TOLLGATE_MAX_JSON_DEPTH 64). The patch walks both documents once, plus a
 * deep comparison per array element at each level: at most items × depth comparisons. The line diff
 * is bounded by MAX_DIFF_CELLS; the readable forms by MAX_READABLE_CHANGES and MAX_READABLE_LINES.
 * Pure, so it is unit-tested outside the API and bundled into the dashboard as it is.
 */
import { z } from 'zod';

/* ---------- structural: RFC 6902 ---------- */

export const JsonPatchOperation = z
  .discriminatedUnion('op', [
    z.object({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
    z.object({ op: z.literal('remove'), path: z.string() }),
    z.object({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  ])
  .meta({ id: 'JsonPatchOperation', description: 'An RFC 6902 operation; `path` is an RFC 6901 JSON Pointer.' });
export type JsonPatchOperation = z.infer<typeof JsonPatchOperation>;

/** RFC 6901: `~` and `/` inside a key are escaped as `~0` and `~1`. */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** JSON equality: key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const k of keys) if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/**
 * The operations that turn `from` into `to`, applied in order. `undefined` stands for "no version":
 * from nothing, the whole document is added at the root; to nothing, the root is removed.
 */
export function jsonPatch(from: unknown, to: unknown): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  if (from === undefined && to === undefined) return ops;
  if (from === undefined) return [{ op: 'add', path: '', value: to }];
  if (to === undefined) return [{ op: 'remove', path: '' }];
  walk(from, to, '', ops);
  return ops;
}

function walk(a: unknown, b: unknown, path: string, ops: JsonPatchOperation[]): void {
  if (isObject(a) && isObject(b)) {
    // Removals first, in the old order; then changes and additions in the new order.
    for (const k of Object.keys(a)) if (!Object.hasOwn(b, k)) ops.push({ op: 'remove', path: `${path}/${pointerToken(k)}` });
    for (const k of Object.keys(b)) {
      const p = `${path}/${pointerToken(k)}`;
      if (!Object.hasOwn(a, k)) ops.push({ op: 'add', path: p, value: b[k] });
      else walk(a[k], b[k], p, ops);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) return walkArray(a, b, path, ops);
  if (!jsonEqual(a, b)) ops.push({ op: 'replace', path, value: b });
}

function walkArray(a: unknown[], b: unknown[], path: string, ops: JsonPatchOperation[]): void {
  let head = 0;
  while (head < a.length && head < b.length && jsonEqual(a[head], b[head])) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && jsonEqual(a[a.length - 1 - tail], b[b.length - 1 - tail])) tail++;
  const oldMiddle = a.length - head - tail;
  const newMiddle = b.length - head - tail;
  const common = Math.min(oldMiddle, newMiddle);
  for (let i = 0; i < common; i++) walk(a[head + i], b[head + i], `${path}/${head + i}`, ops);
  // Extra old elements go from the highest index down, so each index is still right when removed.
  for (let i = oldMiddle - 1; i >= common; i--) ops.push({ op: 'remove', path: `${path}/${head + i}` });
  for (let i = common; i < newMiddle; i++) ops.push({ op: 'add', path: `${path}/${head + i}`, value: b[head + i] });
}

/** The value at a JSON Pointer, or undefined. */
export function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, key) ? cur[key] : undefined;
    else return undefined;
  }
  return cur;
}

/** Longest value preview in a readable change; longer values end in `…`. */
export const MAX_PREVIEW_CHARS = 120;

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? 'undefined';
  return text.length > MAX_PREVIEW_CHARS ? `${text.slice(0, MAX_PREVIEW_CHARS - 1)}…` : text;
}

/**
 * One patch operation as a person reads it, with the old value it replaces or removes:
 * `~ /pool: 20 → 5`, `+ /tls: {"on":true}`, `- /legacy (was "x")`. The old value is read from the
 * old document at the operation's path: right for `jsonPatch`'s operations, whose replaces and
 * removes never follow an operation that shifts their array.
 */
export function describeOperation(op: JsonPatchOperation, from: unknown): string {
  const path = op.path === '' ? '(whole document)' : op.path;
  switch (op.op) {
    case 'add':
      return `+ ${path}: ${preview(op.value)}`;
    case 'remove':
      return `- ${path} (was ${preview(valueAt(from, op.path))})`;
    case 'replace':
      return `~ ${path}: ${preview(valueAt(from, op.path))} → ${preview(op.value)}`;
  }
}

/* ---------- line diff of the pretty-printed versions ---------- */

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

/** Lines of context around each change in `hunks`, as in `diff -u`. */
export const DIFF_CONTEXT_LINES = 3;

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

/** The changed lines with `context` lines around them, in `diff -u` hunks. */
export function hunks(lines: readonly DiffLine[], context = DIFF_CONTEXT_LINES): DiffHunk[] {
  const out: DiffHunk[] = [];
  const changed = lines.map((l) => l.op !== 'same');
  let i = 0;
  while (i < lines.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend while the next change is within 2 × context of the last one (the hunks would touch).
    for (let j = i; j < lines.length && j <= end + 2 * context; j++) if (changed[j]) end = j;
    const stop = Math.min(lines.length, end + context + 1);
    const slice = lines.slice(start, stop);
    const firstOld = slice.find((l) => l.oldNo !== undefined)?.oldNo;
    const firstNew = slice.find((l) => l.newNo !== undefined)?.newNo;
    const oldLines = slice.filter((l) => l.op !== 'add').length;
    const newLines = slice.filter((l) => l.op !== 'del').length;
    out.push({
      oldStart: firstOld ?? oldBefore(lines, start),
      oldLines,
      newStart: firstNew ?? newBefore(lines, start),
      newLines,
      lines: slice,
    });
    i = stop;
  }
  return out;
}

/** `diff -u` numbers an empty side by the line before it. */
function oldBefore(lines: readonly DiffLine[], at: number): number {
  for (let k = at - 1; k >= 0; k--) if (lines[k]!.oldNo !== undefined) return lines[k]!.oldNo!;
  return 0;
}
function newBefore(lines: readonly DiffLine[], at: number): number {
  for (let k = at - 1; k >= 0; k--) if (lines[k]!.newNo !== undefined) return lines[k]!.newNo!;
  return 0;
}

/** `diff -u` text of hunks, headed by `--- a` / `+++ b`. */
export function unifiedText(parts: readonly DiffHunk[], fromLabel: string, toLabel: string): string {
  if (parts.length === 0) return '';
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  for (const h of parts) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const l of h.lines) out.push(`${l.op === 'add' ? '+' : l.op === 'del' ? '-' : ' '}${l.text}`);
  }
  return out.join('\n');
}

/* ---------- the diff of two versions, as the API answers it ---------- */

/** Readable operations shown at most; the patch itself is always whole. */
export const MAX_READABLE_CHANGES = 1_000;
/** Lines of hunks shown at most (changes and their context). */
export const MAX_READABLE_LINES = 2_000;

const DiffLineSchema = z.object({
  op: z.enum(['same', 'add', 'del']),
  text: z.string(),
  oldNo: z.number().int().optional(),
  newNo: z.number().int().optional(),
});

export const ConfigDiff = z
  .object({
    configKey: z.string(),
    from: z.number().int().describe('The old version (0: none, the diff adds the whole document).'),
    to: z.number().int().describe('The new version (0: none).'),
    identical: z.boolean(),
    patch: z.array(JsonPatchOperation).describe('RFC 6902: applied in order to version `from`, it gives version `to`. Always whole.'),
    changes: z
      .array(z.string())
      .describe(
        'The patch as a person reads it, one line per operation in the same order: `~ /pool: 20 → 5`, `+ /tls: {…}`, `- /legacy (was "x")`.',
      ),
    hunks: z
      .array(
        z.object({
          oldStart: z.number().int(),
          oldLines: z.number().int(),
          newStart: z.number().int(),
          newLines: z.number().int(),
          lines: z.array(DiffLineSchema),
        }),
      )
      .describe(
        `Both versions pretty-printed with keys sorted, compared line by line: the changes with ${DIFF_CONTEXT_LINES} lines of context.`,
      ),
    stats: z.object({ operations: z.number().int(), added: z.number().int(), removed: z.number().int() }),
    truncated: z
      .boolean()
      .describe(
        `True when changes or hunks were cut at ${MAX_READABLE_CHANGES} operations or ${MAX_READABLE_LINES} lines; patch and stats are whole.`,
      ),
  })
  .meta({ id: 'ConfigDiff' });
export type ConfigDiff = z.infer<typeof ConfigDiff>;

/** A version and its content; version 0 stands for none (its content is ignored). */
export interface VersionSide {
  version: number;
  content: unknown;
}

export function configDiff(configKey: string, from: VersionSide, to: VersionSide): ConfigDiff {
  const a = from.version === 0 ? undefined : from.content;
  const b = to.version === 0 ? undefined : to.content;
  const patch = jsonPatch(a, b);
  const lines = diffLines(prettyJson(a), prettyJson(b));
  const { added, removed } = diffStats(lines);
  let budget = MAX_READABLE_LINES;
  let truncated = patch.length > MAX_READABLE_CHANGES;
  const kept: DiffHunk[] = [];
  for (const h of hunks(lines)) {
    if (h.lines.length > budget) {
      truncated = true;
      if (budget > 0) kept.push({ ...h, lines: h.lines.slice(0, budget) });
      break;
    }
    budget -= h.lines.length;
    kept.push(h);
  }
  return {
    configKey,
    from: from.version,
    to: to.version,
    identical: patch.length === 0,
    patch,
    changes: patch.slice(0, MAX_READABLE_CHANGES).map((op) => describeOperation(op, a)),
    hunks: kept,
    stats: { operations: patch.length, added, removed },
    truncated,
  };
}
