/**
 * What the client needs of each contract route at run time: its method, path and the kind of
 * answer, without a schema. The dashboard's build replaces this module with its value
 * (web/build.mjs), so the browser bundle carries the table and not zod with every schema.
 */
import { contract, type Contract, type Route, type RouteName } from './contract';

export type RouteEntry = Pick<Route, 'method' | 'path' | 'markdown' | 'contentType' | 'eventStream'>;
export type RouteTable = { [K in RouteName]: Pick<Contract[K], 'method' | 'path'> & RouteEntry };

export function tableOf(routes: Record<string, Route>): Record<string, RouteEntry> {
  return Object.fromEntries(
    Object.entries(routes).map(([name, route]) => [
      name,
      {
        method: route.method,
        path: route.path,
        ...(route.markdown ? { markdown: true } : {}),
        ...(route.contentType ? { contentType: route.contentType } : {}),
        ...(route.eventStream ? { eventStream: true } : {}),
      },
    ]),
  );
}

export const routeTable = tableOf(contract) as RouteTable;
