// Chromium for the browser tests: Debian's `chromium` package (debian.mjs installs it when missing).

import process from 'node:process';

import { ensureDebianPackage } from './debian.mjs';

/** Where Debian's package puts the browser; CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The path of a runnable Chromium, or null (after saying why) when it is missing and cannot be installed here. */
export async function ensureChromium({ log = (msg) => console.log(`[tollgate] chromium ${msg}`) } = {}) {
  const ok = await ensureDebianPackage({ pkg: 'chromium', files: [CHROMIUM_PATH], variables: ['CHROMIUM_PATH'], log, recommends: true });
  return ok ? CHROMIUM_PATH : null;
}
