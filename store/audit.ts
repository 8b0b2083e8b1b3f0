/**
 * The audit log: one Redis Stream entry per mutating request and per refused (401/403) request.
 * Append-only: nothing in the API edits or deletes an entry; the only removal is the retention
 * bound below, trimming the oldest entries as new ones arrive.
 */
import type { RedisClient as Redis } from '../runtime/redis';
import type { AuditEntry, AuditQuery } from '../domain/access';
import { keys, type Keys } from './keys';

/** Entries kept (XADD MAXLEN ~): about 300 bytes each, so ~60 MB of Redis at the bound. */
export const DEFAULT_AUDIT_MAX_ENTRIES = 200_000;
/** Entries one `GET /v1/audit` page examines at most while filtering, so a rare filter stays cheap. */
export const AUDIT_SCAN_LIMIT = 10_000;
const SCAN_BATCH = 500;

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditPageResult {
  items: AuditEntry[];
  nextCursor: string | null;
}

export class AuditLog {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly maxEntries = DEFAULT_AUDIT_MAX_ENTRIES,
  ) {
    this.k = keys(prefix);
  }

  async append(entry: NewAuditEntry): Promise<string> {
    const id = await this.redis.xadd(this.k.audit, 'MAXLEN', '~', this.maxEntries, '*', 'e', JSON.stringify(entry));
    return id ?? '';
  }

  /**
   * Newest first. Filters are applied while scanning back from the cursor; a page ends at `limit`
   * matches, at the `since` bound, or after AUDIT_SCAN_LIMIT entries (then `nextCursor` lets the
   * client go on from there).
   */
  async page(q: AuditQuery): Promise<AuditPageResult> {
    const since = q.since ? Date.parse(q.since) : null;
    const items: AuditEntry[] = [];
    let end = q.cursor ? `(${q.cursor}` : '+';
    let scanned = 0;
    for (;;) {
      const batch = (await this.redis.xrevrange(this.k.audit, end, '-', 'COUNT', SCAN_BATCH)) as [string, string[]][];
      for (const [id, fields] of batch) {
        scanned += 1;
        const entry = { id, ...(JSON.parse(fields[1] ?? '{}') as NewAuditEntry) };
        if (since !== null && Date.parse(entry.at) < since) return { items, nextCursor: null };
        if (matches(entry, q)) {
          items.push(entry);
          if (items.length >= q.limit) return { items, nextCursor: id };
        }
        if (scanned >= AUDIT_SCAN_LIMIT) return { items, nextCursor: id };
      }
      if (batch.length < SCAN_BATCH) return { items, nextCursor: null };
      end = `(${batch[batch.length - 1]![0]}`;
    }
  }
}

function matches(e: AuditEntry, q: AuditQuery): boolean {
  return (
    (q.actor === undefined || e.actor === q.actor) &&
    (q.action === undefined || e.action === q.action) &&
    (q.configKey === undefined || e.configKey === q.configKey)
  );
}
