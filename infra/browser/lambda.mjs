// The panel's Lambda flavour in a real browser, run by tests/tests/panel_browser_lambda.rs: the panel function's
// handler behind an HTTP API as API Gateway calls it, over the moto stack, operators in a Cognito user pool.
//
//   node infra/browser/lambda.mjs CONFIG.json
//
// CONFIG: { url, email, password, good, shots, chromium }. Signs in (Cognito), uploads a migration CSV, and on
// the job's page sees the live view fall back to polling the JSON API (a function does not stream), with its
// progress bars; signs out. Screenshots `lambda-*.png`; prints one JSON line { steps, violations, job }.
import { open, config } from './common.mjs';

const cfg = config();
const { page, out, check, scan, waitFor, finish } = await open(cfg);

await finish(async () => {
  await page.goto(cfg.url + '/');
  check(page.url().endsWith('/sign-in'), 'signed out, the function sends to the sign-in page');
  await scan('lambda-sign-in');
  await page.fill('#email', cfg.email);
  await page.fill('#password', cfg.password);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(cfg.url + '/');
  check((await page.textContent('h1')) === 'Dashboard', 'signed in against the Cognito user pool');
  await scan('lambda-dashboard');

  await page.click('nav >> text=New migration');
  await page.setInputFiles('#file', cfg.good);
  await page.click('button:has-text("Upload and check")');
  await page.waitForURL(/\/jobs\/[^/?]+\?done=uploaded$/);
  out.job = page.url().split('/jobs/')[1].split('?')[0];
  check((await page.textContent('[role=status]')).includes('The file was accepted'), 'the file is accepted and checked');
  await waitFor('the live view polling', async () =>
    (await page.evaluate(() => document.body.dataset.live)) === 'polling', 15);
  check(true, 'the job page polls the JSON API where the server does not stream');
  check((await page.locator('[role=progressbar]').count()) === 2, 'a progress bar per mailbox');
  await scan('lambda-job');

  await page.click('button:has-text("Sign out")');
  await page.waitForURL(cfg.url + '/sign-in');
  await page.goto(cfg.url + '/');
  check(page.url().endsWith('/sign-in'), 'signed out for good');
});
