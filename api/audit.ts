/**
 * The audit trail: every mutating request and every refused one (401/403), on any route, is
 * appended once it has been answered. Never a token or a config's content: only who, what, where.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuditLog, NewAuditEntry } from '../store/audit';
import { principalOf } from './auth';

/** Longest path recorded; ids are bounded by the contract, so only junk paths are cut. */
export const AUDIT_PATH_MAX = 512;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuditRefs {
  configKey?: string;
  rolloutId?: string;
  emergency?: boolean;
  override?: boolean;
}

/** What a handler adds to its request's audit entry (e.g. the id of the rollout it created). */
export function auditRefs(res: Response, refs: AuditRefs): void {
  res.locals.audit = { ...(res.locals.audit as AuditRefs | undefined), ...refs };
}

function stringField(source: unknown, name: string): string | undefined {
  const v = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

export function entryFor(req: Request, res: Response, now = new Date()): NewAuditEntry {
  const principal = principalOf(res);
  // `bind` keeps the validated input; the raw body is only consulted for the config key.
  const input = res.locals.input as { params?: unknown; body?: unknown } | undefined;
  const refs = (res.locals.audit as AuditRefs | undefined) ?? {};
  const configKey = refs.configKey ?? stringField(input?.params, 'configKey') ?? stringField(input?.body, 'configKey');
  const rolloutId = refs.rolloutId ?? stringField(input?.params, 'rolloutId');
  const path = req.originalUrl.split('?')[0] ?? '';
  // Asked for, granted or not: a refused emergency is as worth finding as a granted one.
  const body = input?.body as { emergency?: unknown; override?: unknown } | null | undefined;
  const emergency = refs.emergency ?? (typeof body === 'object' && body !== null && body.emergency !== undefined);
  const override = refs.override ?? (typeof body === 'object' && body !== null && body.override !== undefined);
  return {
    at: now.toISOString(),
    actor: principal?.name ?? 'anonymous',
    role: principal?.role ?? 'none',
    action: (res.locals.action as string | undefined) ?? `${req.method} ${path.slice(0, 64)}`,
    method: req.method,
    path: path.slice(0, AUDIT_PATH_MAX),
    ...(configKey ? { configKey } : {}),
    ...(rolloutId ? { rolloutId } : {}),
    status: res.statusCode,
    requestId: (res.locals.requestId as string | undefined) ?? String(res.getHeader('x-request-id') ?? randomUUID()),
    ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    ...(emergency ? { emergency: true } : {}),
    ...(override ? { override: true } : {}),
  };
}

export function shouldAudit(method: string, status: number): boolean {
  return !READS.has(method) || status === 401 || status === 403;
}

export function auditTrail(log: AuditLog, onError: (msg: string, err: unknown) => void): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.once('finish', () => {
      if (!shouldAudit(req.method, res.statusCode)) return;
      log.append(entryFor(req, res)).catch((err: unknown) => onError('audit: could not append an entry', err));
    });
    next();
  };
}
