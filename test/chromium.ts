/**
 * The one place that knows how to launch Chromium on these machines. Every launch (Playwright tests,
 * benchmarks, quick scripts) takes its options from here; see shared/ENVIRONMENT.md for why each flag exists.
 */
import { existsSync } from 'node:fs';
import { chromium, type LaunchOptions } from '@playwright/test';

/**
 * Playwright 1.65.1 passes its own --disable-features list and Chromium keeps only the LAST such switch,
 * so ours repeats Playwright's list after WebRtcHideLocalIpsWithMdns (which, left enabled, hides host
 * candidates behind .local names and sends mDNS multicast onto the real network).
 */
const playwrightDisabledFeatures = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled',
  'PreconnectToSearch',
];

export const chromiumArgs: readonly string[] = [
  '--no-sandbox', // we run as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking', // no calls home
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', // no DNS look-ups leave the machine
  `--disable-features=${['WebRtcHideLocalIpsWithMdns', ...playwrightDisabledFeatures].join(',')}`,
];

/** Debian's Chromium unless CHROMIUM_PATH says otherwise; Playwright's own browser when neither exists. */
export function chromiumExecutable(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  const bundled = chromium.executablePath();
  return existsSync(bundled) ? bundled : undefined;
}

export function chromiumLaunchOptions(): LaunchOptions {
  const executablePath = chromiumExecutable();
  return { ...(executablePath ? { executablePath } : {}), args: [...chromiumArgs] };
}
