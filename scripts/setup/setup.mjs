// Provisioning shared by the launcher scripts (build, start, test, bench), one module per concern:
//   util.mjs                 paths, logging, failures, ports
//   processes.mjs            child processes: tracked, stopped in order, reaped if the launcher dies
//   deps-and-build.mjs       npm dependencies and the build, redone only when their inputs changed
//   go.mjs                   Go builds of pinned tools into the cache, under a lock
//   temporal-cli.mjs         the Temporal CLI
//   redis.mjs                Redis, or a private redis-server
//   temporal-dev-server.mjs  the Temporal dev server
// Beside them, each optional tool has its own module (chromium, prometheus, docker-compose, the full
// Temporal server). Node built-ins only: these modules run before node_modules exists.

export * from './util.mjs';
export * from './processes.mjs';
export * from './deps-and-build.mjs';
export * from './go.mjs';
export * from './temporal-cli.mjs';
export * from './redis.mjs';
export * from './temporal-dev-server.mjs';
