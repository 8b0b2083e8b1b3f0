/**
 * Reading the failures of Temporal client calls (start, update, result), for the API's answers and
 * for the activities that start workflows of their own. The client's own refusals are told apart by
 * the SDK's error classes, never by their `.name`: those classes compare by a global symbol (the
 * SDK's `SymbolBasedInstanceOfError`), so `instanceof` holds across copies of the SDK and Jest's
 * module registries. A workflow's refusals are ApplicationFailures, told apart by their reason code
 * (`failureType`), as everywhere else in Tollgate.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';

/**
 * What the Temporal client refused a call for: `id_taken` when a start found a workflow running
 * under the id, `not_found` when the workflow addressed does not exist or has closed.
 */
export type WorkflowCallRefusal = 'id_taken' | 'not_found';

export function workflowCallRefusal(err: unknown): WorkflowCallRefusal | null {
  if (err instanceof WorkflowExecutionAlreadyStartedError) return 'id_taken';
  if (err instanceof WorkflowNotFoundError) return 'not_found';
  return null;
}

/** The innermost message of a Temporal failure chain: the workflow's own words. */
export function failureMessage(err: unknown): string {
  let e = err as { cause?: unknown; message?: string } | undefined;
  let message = e?.message ?? 'refused';
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.message) message = e.message;
    e = e.cause as typeof e;
  }
  return message;
}

/** The reason code of the first ApplicationFailure in a failure chain. */
export function failureType(err: unknown): string | undefined {
  let e = err as { cause?: unknown; type?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.type) return e.type;
    e = e.cause as typeof e;
  }
  return undefined;
}
