// docker-compose for checking docker-compose.yml in the tests: Debian's `docker-compose` package
// (`docker-compose config` parses and validates the file, and needs no Docker engine); debian.mjs
// installs it when missing.

import process from 'node:process';

import { ensureDebianPackage } from './debian.mjs';

/** Where Debian's package puts it; DOCKER_COMPOSE_PATH overrides it. */
export const DOCKER_COMPOSE_PATH = process.env.DOCKER_COMPOSE_PATH || '/usr/bin/docker-compose';

/** The path of a runnable docker-compose, or null (after saying why) when it is missing and cannot be installed here. */
export async function ensureDockerCompose({ log = (msg) => console.log(`[tollgate] docker-compose ${msg}`) } = {}) {
  const ok = await ensureDebianPackage({ pkg: 'docker-compose', files: [DOCKER_COMPOSE_PATH], variables: ['DOCKER_COMPOSE_PATH'], log });
  return ok ? DOCKER_COMPOSE_PATH : null;
}
