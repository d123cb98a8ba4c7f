import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../support/browser.js';
import { checkout, keysFile, post, startTestService } from '../support/service.js';

/** Screenshots land here (gitignored): CI keeps them as artefacts. */
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

type Svc = Awaited<ReturnType<typeof startTestService>>;

/** Collects what the page complains about: console errors and CSP violations must stay empty. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe('the page /ui in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  describe('without API keys', () => {
    let svc: Svc;
    beforeAll(async () => {
      svc = await startTestService();
    });
    afterAll(async () => {
      await svc.stop();
    });

    it('shows the catalog, a decision pushed after an event, and the plot counting it', async () => {
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      const res = await page.goto(`${svc.url}/ui`);
      expect(res?.status()).toBe(200);
      // the catalog: every offer of the sample rules, each with its state
      await page.locator('#catalog tr[data-offer="pastry-with-coffee"]').waitFor();
      expect(await page.locator('#catalog tr[data-offer="pastry-with-coffee"] .badge').textContent()).toBe('active');
      expect(await page.locator('#catalog tr').count()).toBeGreaterThan(5);
      await page.locator('#conn[data-state="live"]').waitFor();
      expect(await page.locator('#chart').getAttribute('data-offered')).toBe('0');

      // an event triggers a decision: it arrives on the page, and the plot counts the offer
      const ev = checkout('c-page-1', 'pos');
      expect((await post(`${svc.url}/v1/events`, ev)).status).toBe(202);
      const row = page.locator('#feed li[data-customer="c-page-1"]');
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator('.chip').textContent()).toBe('pos');
      await page.waitForFunction(
        () => Number((globalThis as any).document.getElementById('chart').dataset.offered) >= 1,
        undefined,
        { timeout: 10_000 },
      );
      expect(await page.locator('#chart svg rect.bar.offered').count()).toBeGreaterThan(0);

      // an accepted response shows in the plot and the catalog's rate
      const offered = await fetch(`${svc.url}/v1/stats/offers`).then((r) => r.json() as Promise<any>);
      const offerId = offered.offers.find((o: any) => o.totals.offered > 0).offerId as string;
      const decisionId = await row.getAttribute('data-decision');
      await post(`${svc.url}/v1/events`, {
        id: `r-${decisionId}`,
        type: 'offer_response',
        customerId: 'c-page-1',
        time: new Date().toISOString(),
        data: { decisionId, offerId, outcome: 'accepted' },
      });
      await page.waitForFunction(
        () => Number((globalThis as any).document.getElementById('chart').dataset.accepted) >= 1,
        undefined,
        { timeout: 10_000 },
      );
      expect(await page.locator(`#catalog tr[data-offer="${offerId}"] td.num`).nth(2).textContent()).toBe('100%');

      // a few more customers fill the segments panel
      await post(
        `${svc.url}/v1/events`,
        Array.from({ length: 6 }, (_, i) => checkout(`c-page-more-${i}`, i % 2 ? 'app' : 'pos')),
      );
      await page.waitForFunction(
        () => (globalThis as any).document.querySelectorAll('#feed li').length >= 7,
        undefined,
        { timeout: 10_000 },
      );
      await page.waitForFunction(
        () => (globalThis as any).document.getElementById('kpi-customers').textContent === '7',
        undefined,
        { timeout: 10_000 },
      );
      expect(await page.locator('#segments .segmentation').count()).toBeGreaterThan(0);
      expect(await page.locator('#segments [data-segment="value_tier/bronze"] .num').textContent()).toBe('7');
      // the window can be widened; the plot keeps its counts
      await page.click('#window-ctl button[data-window="15m"]');
      await page.locator('#kpi-window:has-text("15 min")').waitFor();
      expect(Number(await page.locator('#chart').getAttribute('data-offered'))).toBeGreaterThanOrEqual(7);
      // the experiments and learning panels (no holdout here); the rules panel names this instance and its version
      await page.locator('#experiments-panel:not(.unavailable)').waitFor();
      await page.locator('#arms td:text-is("default")').waitFor();
      expect(await page.locator('#learning tr').count()).toBeGreaterThan(0);
      const stats = await fetch(`${svc.url}/v1/stats/offers`).then((r) => r.json() as Promise<any>);
      expect(await page.locator('#instances tr td').first().textContent()).toBe(stats.instance);
      expect(await page.locator('#rules-version').getAttribute('title')).toBe(stats.rulesVersion);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-live.png'), fullPage: true });
      expect(errors.filter((e) => !/404/.test(e))).toEqual([]);
      await page.close();
    });
  });

  describe('with API keys', () => {
    let svc: Svc;
    let secrets: Record<string, string>;
    beforeAll(async () => {
      const k = keysFile([
        { id: 'viewer', scopes: ['read', 'stream'] },
        { id: 'pos-gw', scopes: ['decide', 'events'] },
        { id: 'reader', scopes: ['read'] },
      ]);
      secrets = k.secrets;
      svc = await startTestService({ NBO_API_KEYS_FILE: k.file });
    });
    afterAll(async () => {
      await svc.stop();
    });

    it('answers 401 with a sign-in form without a key, and works once signed in with a read key', async () => {
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      const res = await page.goto(`${svc.url}/ui`);
      expect(res?.status()).toBe(401);
      expect(await page.locator('#catalog').count()).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, 'ui-sign-in.png') });

      // a key without the read scope is refused by the form
      await page.fill('#key', secrets['pos-gw']!);
      await page.click('button[type=submit]');
      await page.locator('#error:has-text("lacks the \\"read\\" scope")').waitFor();

      await page.fill('#key', secrets.viewer!);
      await page.click('button[type=submit]');
      await page.locator('#catalog tr[data-offer="pastry-with-coffee"]').waitFor();
      await page.locator('#conn[data-state="live"]').waitFor();
      await post(`${svc.url}/v1/events`, checkout('c-page-auth'), { authorization: `Bearer ${secrets['pos-gw']}` });
      await page.locator('#feed li[data-customer="c-page-auth"]').waitFor({ timeout: 10_000 });
      await page.waitForFunction(
        () => Number((globalThis as any).document.getElementById('chart').dataset.offered) >= 1,
        undefined,
        { timeout: 10_000 },
      );

      // signing out ends the session: the page is 401 again
      await page.click('#sign-out');
      await page.locator('#sign-in').waitFor();
      expect((await page.goto(`${svc.url}/ui`))?.status()).toBe(401);
      expect(errors.filter((e) => !/40[134]/.test(e))).toEqual([]);
      await page.close();
    });

    it('with a key that may read but not stream: the counts show, the live feed says it is unavailable', async () => {
      const page = await browser.context.newPage();
      await page.goto(`${svc.url}/ui`);
      await page.fill('#key', secrets.reader!);
      await page.click('button[type=submit]');
      await page.locator('#catalog tr[data-offer="pastry-with-coffee"]').waitFor();
      await page.locator('#conn[data-state="down"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('#conn-text').textContent()).toBe('stream unavailable');
      await page.click('#sign-out');
      await page.locator('#sign-in').waitFor();
      await page.close();
    });
  });
});
