// console_render.js -- the console page's rendering in Debian's Chromium without a controller (ctest
// console_render): console.js is loaded into index.html and fed run objects and events as the API sends
// them, for what one lab run cannot show: progress events moving a bar in place (main and rollback steps
// apart), the downtime clock beside each form of the estimate, the rollback's steps, the buttons' states,
// and text from the API never becoming HTML. Exits non-zero naming the first check that failed.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const CONSOLE_DIR = process.argv[2];
const MINUTE_MS = 60000;

function check(ok, what, seen) {
  if (!ok) throw new Error(`${what}: saw ${JSON.stringify(seen)}`);
  console.log(`ok - ${what}`);
}

function step(id, state, extra) {
  const [name, host] = id.split('@');
  return { id, step: name, host, kind: 'service-stop', state, elapsed_s: 1.5, started_unix_ms: 0, finished_unix_ms: 0,
    progress: { percent: 0, message: '' }, error: '', ...extra };
}

function run(extra) {
  return {
    run: 'run-1', deployment: 'lab', workflow: 'alfresco-upgrade', state: 'running', paused: false, waiting_for: null,
    error: '', finished: null,
    phases: [{ id: 'install', title: 'Install', steps: [
      step('stop-old@repo1', 'succeeded', { started_unix_ms: Date.now() - MINUTE_MS - 5000 }),
      step('backup-content@repo1', 'running', { progress: { percent: 10, message: 'backup 10%' } })] },
    { id: 'restore', title: 'Restore', steps: [step('verify-restored@repo1', 'pending')] }],
    rollback: { rounds: 0, steps: [] }, ...extra,
  };
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium', headless: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const html = fs.readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8')
    .replace('<script src="/console.js" defer></script>', '');
  await page.setContent(html);
  // Everything but the start: no API here, the test calls the renderers as the page's loaders do.
  await page.addScriptTag({ content: fs.readFileSync(path.join(CONSOLE_DIR, 'console.js'), 'utf8')
    .replace("document.addEventListener('DOMContentLoaded', start);", '') });
  const render = (r) => page.evaluate((x) => { view.me = { name: 'op', may: {} }; view.selected = x.run; renderRun(x); }, r);
  const text = (sel) => page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());

  await render(run({ estimate_s: 42 }));
  check(/^downtime 1:0[5-7] \(estimate 0:42\)$/.test(await text('#downtime')), 'downtime clock ticking since stop-old, estimate in seconds', await text('#downtime'));
  await render(run({ downtime_estimate: { known: 1, total_ms: 90000 } }));
  check((await text('#downtime')).endsWith('(estimate 1:30)'), 'estimate as an object with total_ms', await text('#downtime'));
  await render(run({ downtime: { estimate: { known: true, total_ms: 150000 }, actual_ms: null } }));
  check((await text('#downtime')).endsWith('(estimate 2:30)'), "status --json's downtime.estimate", await text('#downtime'));
  await render(run({ downtime_estimate: { known: 0 } }));
  check((await text('#downtime')).endsWith('(estimate: not known yet)'), 'an estimate not known yet', await text('#downtime'));
  await render(run({}));
  check(await text('#downtime-estimate') === '', 'no estimate field: the clock alone', await text('#downtime'));
  const ended = run({});
  ended.phases[1].steps[0] = step('verify-restored@repo1', 'succeeded', { finished_unix_ms: ended.phases[0].steps[0].started_unix_ms + 83000 });
  await render(ended);
  check(await text('#downtime-clock') === '1:23', 'the clock stops at verify-restored\'s end', await text('#downtime-clock'));
  const before = run({});
  before.phases[0].steps[0].started_unix_ms = 0;
  await render(before);
  check(await page.$eval('#downtime', (e) => e.hidden), 'no clock before stop-old starts', await text('#downtime'));

  const rolling = run({ state: 'rolling-back', error: 'repo1: step start-new failed',
    rollback: { rounds: 1, steps: [step('backup-content@repo1', 'running')] } });
  await render(rolling);
  check(await page.$$eval('#phases .rollback tr[data-step]', (r) => r.length) === 1, 'the rollback\'s steps in their own block', await text('#phases'));
  await page.evaluate(() => onProgress({ run: 'run-1', step: 'backup-content@repo1', rollback: false, percent: 55, message: 'backup 55%' }));
  const bars = () => page.$$eval('#phases tr[data-step="backup-content@repo1"]', (rows) => rows.map((r) =>
    [r.querySelector('progress').value, r.querySelector('.percent').textContent.trim(), r.querySelector('.detail').textContent]));
  let seen = await bars();
  check(seen[0][0] === 55 && seen[0][1] === '55%' && seen[0][2] === 'backup 55%' && seen[1][0] === 0,
    'a progress event moves the main step\'s bar, percent and message, not the rollback\'s', seen);
  await page.evaluate(() => onProgress({ run: 'run-1', step: 'backup-content@repo1', rollback: true, percent: 20, message: 'x' }));
  seen = await bars();
  check(seen[0][0] === 55 && seen[1][0] === 20, 'a rollback progress event moves the rollback step\'s bar', seen);
  await page.evaluate(() => onProgress({ run: 'run-2', step: 'backup-content@repo1', rollback: false, percent: 99 }));
  check((await bars())[0][0] === 55, 'another run\'s progress is ignored', await bars());

  await render(run({ state: 'waiting', waiting_for: 'decommission' }));
  const buttons = () => page.evaluate(() => ['approve', 'resume', 'rollback', 'cancel'].map((a) =>
    `${a}:${document.getElementById(`btn-${a}`).disabled ? 'off' : 'on'}`).join(' '));
  check(await buttons() === 'approve:on resume:on rollback:on cancel:on' && await text('#btn-approve') === 'Approve decommission',
    'at a gate: Approve names it', await buttons());
  await render(run({ state: 'succeeded' }));
  check(await buttons() === 'approve:off resume:off rollback:off cancel:off', 'a finished run: every button disabled', await buttons());

  const hostile = '<img src=x onerror="document.title=\'pwned\'">';
  const evil = run({ error: hostile });
  evil.phases[0].steps[1].error = hostile;
  evil.phases[0].steps[1].id = `${hostile}@repo1`;
  await render(evil);
  check(await page.$$eval('#run img, #phases img', (i) => i.length) === 0 && (await text('#run-error')) === hostile,
    'text from the API is shown as text, never as HTML', await page.title());

  check(errors.length === 0, 'no script error', errors);
  await browser.close();
}

main().catch((e) => { console.error(`FAIL: ${e.message}`); process.exit(1); });
