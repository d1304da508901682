// The control panel's flows in a real browser (see common.mjs), run by tests/tests/panel_browser.rs against
// `mailferry serve`:
//
//   node infra/browser/flows.mjs CONFIG.json
//
// CONFIG: { url, email, password, bad, good, messages, import, shots, chromium }. Signs in with the keyboard
// only; uploads a CSV with bad rows (the summary takes focus and names them); uploads the fixed file to start a
// few seconds ahead; waits for every progress bar to reach 100 %; reads the throughput chart, sorts and filters
// the mailbox table; checks a row again; opens a mailbox; starts the final pass and waits for the job to
// complete; downloads the error CSV; drops an import file on the import form, sees its preview and creates it.
// Keeps a screenshot of each page in `shots`. Prints one JSON line: { steps, violations, job, errors_csv };
// exits 1 (with the step that failed) on any failure or serious accessibility violation.
import { readFileSync } from 'node:fs';
import { open, config } from './common.mjs';

const cfg = config();
const { page, out, check, scan, waitFor, finish, focused } = await open(cfg);
out.job = null;
out.errors_csv = null;

// What a datetime-local input holds for `ms`, in the page's (Berlin) time.
const localInput = (ms) => page.evaluate((ms) => {
  const d = new Date(ms), p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}, ms);

await finish(async () => {
  // 1. Signed out: sent to the sign-in form; signing in with the keyboard only.
  await page.goto(cfg.url + '/');
  check(page.url().endsWith('/sign-in'), 'signed out, the panel sends to the sign-in page');
  await scan('sign-in');
  await page.keyboard.press('Tab');
  check((await focused()) === 'email', 'Tab reaches the email field first');
  await page.keyboard.type(cfg.email);
  await page.keyboard.press('Tab');
  check((await focused()) === 'password', 'Tab moves to the password');
  await page.keyboard.type(cfg.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(cfg.url + '/');
  check((await page.textContent('h1')) === 'Dashboard', 'signed in with the keyboard only');
  await scan('dashboard');

  // 2. A file with bad rows: the summary takes focus and names each bad row, with a link to it.
  await page.click('text=New migration');
  await scan('new-migration');
  await page.setInputFiles('#file', cfg.bad);
  await page.click('button:has-text("Upload and check")');
  await page.waitForSelector('#errors');
  check((await focused()) === 'errors', 'the error summary takes focus');
  const summary = await page.textContent('#errors');
  check(summary.includes('bad.csv') && summary.includes('Line 2') && summary.includes('Line 3'), 'the summary names lines 2 and 3');
  await scan('refused');
  await page.click('#errors a[href="#line-3"]');
  check(page.url().endsWith('#line-3'), 'the summary links to the bad row');

  // 3. The fixed file, to start a few seconds ahead.
  await page.goto(cfg.url + '/migrations/new');
  await page.setInputFiles('#file', cfg.good);
  check((await page.textContent('label[for=at]')).includes('your time, Europe/Berlin'), 'the start time is asked in local time');
  await page.fill('#at', await localInput(Date.now() + 4000));
  check((await page.textContent('.utc-hint')).endsWith(' UTC'), 'the UTC equivalent shows beside it');
  await page.click('button:has-text("Upload and check")');
  await page.waitForURL(/\/jobs\/[^/?]+\?done=uploaded$/);
  out.job = page.url().split('/jobs/')[1].split('?')[0];
  check((await page.textContent('[role=status]')).includes('The file was accepted'), 'the fixed file is accepted and checked');
  await scan('job-accepted');
  await page.goto(cfg.url + '/');
  check(/Europe\/Berlin \(.* UTC\)/.test(await page.textContent('time')), 'the dashboard shows times in Berlin with UTC beside');
  await page.goto(cfg.url + '/jobs/' + out.job);

  await waitFor('the live view on Server-Sent Events', async () =>
    (await page.evaluate(() => document.body.dataset.live)) === 'events', 10);
  check(true, 'the job page follows the job over Server-Sent Events');

  // 4. Live progress: the page script moves every bar to 100 % and the status to initial_done, no reload.
  await waitFor('every progress bar at 100 %', async () =>
    page.evaluate(() => {
      const bars = [...document.querySelectorAll('[role=progressbar]')];
      return bars.length > 0 && bars.every((b) => b.getAttribute('aria-valuenow') === '100');
    }), 90);
  check(true, 'every progress bar reached 100 % without a reload');
  await waitFor('the first pass done', async () => (await page.textContent('#status')) === 'initial_done', 60);
  check(true, 'the status shows the first pass done');
  await page.reload();
  await scan('job-first-pass-done');
  check((await page.textContent('#chart-desc')).includes(` ${cfg.messages} message(s)`), 'the throughput chart counts every message copied');
  check((await page.textContent('figcaption')) === (await page.textContent('#chart-desc')), 'the chart has its text alternative');

  // The mailbox table: sorted by a column (both ways), filtered by state and address; without a script.
  const firstRow = () => page.textContent('#mailbox-table tbody tr:first-child td:first-child');
  await page.click('th >> text=Mailbox');
  await page.waitForURL(/sort=address&dir=asc/);
  await page.click('th >> text=Mailbox');
  await page.waitForURL(/sort=address&dir=desc/);
  check((await firstRow()) === 'user2@example.test' && (await page.getAttribute('th[aria-sort]', 'aria-sort')) === 'descending', 'the table sorts by mailbox, descending');
  await page.selectOption('#state-filter', 'done');
  await page.fill('#q', 'user1');
  await page.click('button:has-text("Show")');
  await page.waitForURL(/state=done/);
  check((await page.textContent('#shown')) === '1 of 2 mailbox(es) shown' && (await firstRow()) === 'user1@example.test', 'the table filters by state and address');
  await page.goto(cfg.url + '/jobs/' + out.job);

  // The pre-flight per row: a row checked again; a mailbox's own page.
  await page.click('button[aria-label="Check again: user2@example.test"]');
  await page.waitForSelector('[role=status].done');
  check((await page.textContent('[role=status].done')).includes('checked again'), 'a row is checked again');
  await page.click('a:has-text("user1@example.test")');
  await page.waitForSelector('text=Pre-flight:');
  check((await page.textContent('main')).includes('Every message made it.'), 'the mailbox page shows its folders and what made it');
  const inbox = await page.$$eval('tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))
    .find((cells) => cells[0] === 'INBOX'));
  check(JSON.stringify(inbox) === JSON.stringify(['INBOX', '40', '40', '40', 'done']), 'the INBOX row counts 40 messages on each side');
  await scan('mailbox');
  await page.click('text=Back to job');

  // 5. The final pass, started from the page; the job completes.
  await page.click('button:has-text("Schedule the final pass")');
  await page.waitForSelector('[role=status].done');
  check((await page.textContent('[role=status].done')).includes('The final pass is scheduled.'), 'the final pass is scheduled');
  await waitFor('the job complete', async () => (await page.textContent('#status')) === 'complete', 90);
  check(true, 'the final pass completes');
  await page.reload();
  await scan('job-complete');

  // 6. The per-message error CSV downloads.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('text=Every message and mailbox that did not make it (CSV)'),
  ]);
  out.errors_csv = readFileSync(await download.path(), 'utf8');
  check(out.errors_csv.startsWith('pass,mailbox,folder,uid,size,date,subject,error'), 'the error CSV downloads');

  // 7. An import, dropped on the form (drag and drop): previewed with nothing created, then created at once.
  await page.click('nav >> text=New import');
  await scan('new-import');
  const text = readFileSync(cfg.import, 'utf8');
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'accounts.csv', { type: 'text/csv' }));
    document.querySelector('.drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  check((await page.evaluate(() => document.getElementById('file').files.length)) === 1, 'a dropped file fills the file field');
  await page.click('button:has-text("Upload and check")');
  await page.waitForURL(/\?done=import-checked$/);
  check((await page.textContent('#summary')).includes('Would create 1 domain(s), 2 mailbox(es), 1 alias(es)'), 'the import preview says what would be created');
  await scan('import-preview');
  await page.click('button:has-text("Create")');
  await page.waitForURL(/\?done=imported$/);
  check((await page.textContent('#summary')).startsWith('imported: 4 created'), 'the import is created and its report shown');
  await scan('import-report');
});
