/**
 * The shape of a JSON document (how deep it nests, how many keys and elements it holds), measured
 * without recursion, so a hostile document cannot overflow the stack of the code that measures it.
 *
 * `measureJsonText` runs on the raw bytes of a request body before `JSON.parse` builds anything;
 * `measureJsonValue` walks a value that is already parsed (a stored schema, say). Both stop as soon
 * as a bound is passed, so their cost is bounded by the limits, not by the input.
 */

export interface JsonBounds {
  /** Deepest nesting of arrays and objects; a scalar or an empty document is depth 0. */
  maxDepth: number;
  /** Object keys plus array elements, over the whole document. */
  maxItems: number;
}

export type JsonShapeVerdict = { ok: true; depth: number; items: number } | { ok: false; limit: 'depth' | 'items'; at: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * One pass over the bytes of a JSON text. It does not validate the syntax (`JSON.parse` does that
 * next, and refuses what this lets through); it only has to count correctly for valid JSON and to
 * stay linear for anything. Each object key is one item (its `:`), each array element one item.
 */
export function measureJsonText(bytes: Uint8Array, bounds: JsonBounds): JsonShapeVerdict {
  // Per open container: true for an array. Bounded by maxDepth, since deeper text is refused.
  const arrays: boolean[] = [];
  let depth = 0;
  let maxSeen = 0;
  let items = 0;
  let inString = false;
  // Just after `[`: the next non-space byte tells whether the array has a first element.
  let arrayJustOpened = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (isSpace(c)) continue;
    if (arrayJustOpened) {
      arrayJustOpened = false;
      if (c !== CLOSE_ARRAY && ++items > bounds.maxItems) return { ok: false, limit: 'items', at: i };
    }
    switch (c) {
      case QUOTE:
        inString = true;
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        depth++;
        if (depth > bounds.maxDepth) return { ok: false, limit: 'depth', at: i };
        if (depth > maxSeen) maxSeen = depth;
        arrays.push(c === OPEN_ARRAY);
        arrayJustOpened = c === OPEN_ARRAY;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (depth > 0) {
          depth--;
          arrays.pop();
        }
        break;
      case COLON:
        if (++items > bounds.maxItems) return { ok: false, limit: 'items', at: i };
        break;
      case COMMA:
        if (arrays[arrays.length - 1] === true && ++items > bounds.maxItems) return { ok: false, limit: 'items', at: i };
        break;
      default:
        break;
    }
  }
  return { ok: true, depth: maxSeen, items };
}

/** The same measure over a parsed value, with an explicit stack instead of recursion. */
export function measureJsonValue(value: unknown, bounds: JsonBounds): JsonShapeVerdict {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let maxSeen = 0;
  let items = 0;
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const level = depth + 1;
    if (level > bounds.maxDepth) return { ok: false, limit: 'depth', at: items };
    if (level > maxSeen) maxSeen = level;
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v as Record<string, unknown>);
    items += children.length;
    if (items > bounds.maxItems) return { ok: false, limit: 'items', at: items };
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: level });
  }
  return { ok: true, depth: maxSeen, items };
}
