// What the panel's browser flows share: Debian's chromium through playwright-core (no browser download), an
// axe-core scan and a screenshot of each page, and steps that either hold or stop the flow.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// Open a browser for `cfg` ({ chromium, shots }) and return the page and the flow's helpers. `out` collects
// { steps, violations } and is printed as one JSON line by `finish`.
export async function open(cfg) {
  mkdirSync(cfg.shots, { recursive: true });
  const out = { steps: [], violations: [] };
  const browser = await chromium.launch({ executablePath: cfg.chromium, args: ['--no-sandbox'] });
  // bypassCSP lets axe-core be injected: the panel's own policy forbids inline scripts, as it should.
  // The operator is in Berlin: times show there with UTC beside them, and a start time is typed in local time.
  const context = await browser.newContext({
    acceptDownloads: true, bypassCSP: true, timezoneId: 'Europe/Berlin', viewport: { width: 1200, height: 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);

  const check = (ok, what) => {
    if (!ok) throw new Error(`failed: ${what}`);
    out.steps.push(what);
  };
  // Scan the page with axe-core (serious and critical violations count) and keep a screenshot.
  const scan = async (name) => {
    await page.addScriptTag({ path: axePath });
    const r = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
    for (const v of r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
      out.violations.push({ page: name, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) });
    }
    await page.screenshot({ path: `${cfg.shots}/${name}.png`, fullPage: true });
  };
  const waitFor = async (what, test, seconds) => {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      if (await test()) return true;
      await page.waitForTimeout(500);
    }
    throw new Error(`failed: ${what} within ${seconds} s`);
  };
  // Run `flow`, then print `out` and exit 1 on a failed step or a serious violation.
  const finish = async (flow) => {
    try {
      await flow();
    } catch (e) {
      out.failure = String(e.message || e);
      await page.screenshot({ path: `${cfg.shots}/failure.png`, fullPage: true }).catch(() => {});
    }
    await browser.close();
    console.log(JSON.stringify(out));
    process.exit(out.failure || out.violations.length > 0 ? 1 : 0);
  };
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  return { page, out, check, scan, waitFor, finish, focused };
}

export const config = () => JSON.parse(readFileSync(process.argv[2], 'utf8'));
