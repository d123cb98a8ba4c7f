import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium: the tests drive it; playwright never downloads a browser. */
export const CHROMIUM = process.env.NBO_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Installs Debian's `chromium` with apt-get when missing and running as root, else stops with the command to run. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const cmd = 'apt-get update && apt-get install -y chromium';
  if (process.getuid?.() !== 0) throw new Error(`the page tests need ${CHROMIUM}: run\n  sudo sh -c '${cmd}'`);
  process.stderr.write(`[test setup] installing chromium: ${cmd}\n`);
  execSync(cmd, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile, no sandbox (CI runs as root), no background traffic. */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'nbo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
