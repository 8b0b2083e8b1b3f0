/**
 * Reads a history exported as JSON (Temporal CLI or UI) into the History object replay takes.
 *
 * `historyFromJSON` from @temporalio/common cannot do it in this install: @grpc/proto-loader pins
 * protobufjs 7 at the top of node_modules, so each Temporal package gets its own copy of
 * protobufjs 8, and common's JSON reader rejects the message types of @temporalio/proto ("type must
 * be a Type"). Here the reader comes from the copy @temporalio/proto itself uses. The CLI writes
 * enum values in CONSTANT_CASE already, so common's enum fix-ups are not needed.
 */
import { dirname } from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';

interface ProtoJson {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protoDir = dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot<T>(root: T): T & { lookupType(name: string): unknown };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const historyType = patchProtobufRoot(require('@temporalio/proto') as object).lookupType('temporal.api.history.v1.History');

export function historyFromCliJson(json: unknown): History {
  const events = (json as { events?: unknown }).events;
  if (!Array.isArray(events)) throw new TypeError('not a history: expected an object with an array of events');
  const loaded = protojson.fromJson(historyType, { events }, { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('not a history');
  return loaded;
}
