import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); BALLAST_CHROMIUM names another. */
export const CHROMIUM_PATH = process.env.BALLAST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether browser tests run: when Chromium is installed, and always under CI=true, where a
 * missing browser must fail the run (launch() then says what is missing) rather than skip.
 */
export const runBrowserTests = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';

/** Headless Chromium with the flags this machine's closed network needs (no background calls). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set BALLAST_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
