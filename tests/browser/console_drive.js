// console_drive.js -- drives the console page (docs/console.md) in Debian's Chromium through the DevTools
// protocol (puppeteer-core) for tests/e2e/console_test.sh. Environment:
//   CONSOLE_URL      the console's address
//   APPROVER_HOME    a HOME whose NSS database holds only the approver's certificate (and trusts the CA)
//   VIEWER_HOME      the same for the viewer
//   GATE             the gate the run stops at
//   SHOTS            folder for the screenshots
//   READY_FILE       written once the approver's page is up: the test then starts the run
// Prints one JSON line with what it saw; exits non-zero, saying why, when the page misbehaves.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const WAIT_GATE_MS = 200000;
const WAIT_DONE_MS = 150000;
const WAIT_PAGE_MS = 30000;
const ACTIONS = ['approve', 'resume', 'rollback', 'cancel'];
const env = (name) => { if (!process.env[name]) throw new Error(`${name} is not set`); return process.env[name]; };

async function browserFor(home) {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: false, // the flag is given below as the test's brief names it
    userDataDir: path.join(home, 'profile'),
    env: { ...process.env, HOME: home },
    defaultViewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--hide-scrollbars'],
  });
}

// Opens the console; any script error or CSP violation on the page fails the test.
async function open(browser, who, problems) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) problems.push(`${who}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    if (!r.url().endsWith('/api/v1/events')) problems.push(`${who}: request failed: ${r.url()} ${r.failure().errorText}`);
  });
  await page.goto(env('CONSOLE_URL'), { waitUntil: 'load', timeout: WAIT_PAGE_MS });
  await page.waitForSelector('body[data-ready="1"]', { timeout: WAIT_PAGE_MS });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(env('SHOTS'), name), fullPage: false });
}

// Which action buttons the page shows (not hidden).
const shown = (page) => page.evaluate((actions) =>
  actions.filter((a) => !document.getElementById(`btn-${a}`).hidden), ACTIONS);

async function main() {
  const problems = [];
  const seen = { running: false, succeededCounts: new Set(), downtime: false, percents: new Set() };
  const approverBrowser = await browserFor(env('APPROVER_HOME'));
  const approver = await open(approverBrowser, 'approver', problems);
  const who = await approver.$eval('#whoami', (e) => e.textContent);
  const approverButtons = await shown(approver);
  fs.writeFileSync(env('READY_FILE'), 'ready\n');

  // The run appears and goes on live: the page is never reloaded, only the event stream moves it.
  const gateDeadline = Date.now() + WAIT_GATE_MS;
  let shotRunning = false, shotFull = false;
  for (;;) {
    const state = await approver.evaluate(() => ({
      waiting: document.body.dataset.waitingFor || '',
      run: document.body.dataset.runState || '',
      running: document.querySelectorAll('#phases tr[data-step] .state-running').length,
      succeeded: document.querySelectorAll('#phases tr[data-step] .state-succeeded').length,
      downtime: !document.getElementById('downtime').hidden,
      percents: [...document.querySelectorAll('#phases tr[data-step] progress')].map((p) => p.value),
    }));
    if (state.running) seen.running = true;
    if (state.downtime) seen.downtime = true;
    seen.succeededCounts.add(state.succeeded);
    for (const p of state.percents) if (p > 0 && p < 100) seen.percents.add(Math.round(p));
    // The running screenshot: the first frame with a step running during the cutover, taken again once a
    // backup runs (eight steps done) for a fuller picture, if the poll catches one.
    if (state.running && state.downtime && (!shotRunning || (!shotFull && state.succeeded >= 8))) {
      await shot(approver, 'console-running.png');
      shotRunning = true;
      shotFull = state.succeeded >= 8;
    }
    if (state.waiting === env('GATE')) break;
    if (['failed', 'rolled-back', 'cancelled', 'succeeded'].includes(state.run)) throw new Error(`the run ended ${state.run} before its gate`);
    if (Date.now() > gateDeadline) throw new Error(`the page never showed the run waiting at ${env('GATE')} (${JSON.stringify(state)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const runId = await approver.evaluate(() => document.querySelector('#runs tr.selected').dataset.run);
  await shot(approver, 'console-gate.png');

  // The viewer: no buttons; a forged approve from its page is refused.
  const viewerBrowser = await browserFor(env('VIEWER_HOME'));
  const viewer = await open(viewerBrowser, 'viewer', problems);
  await viewer.waitForFunction((gate) => document.body.dataset.waitingFor === gate, { timeout: WAIT_PAGE_MS }, env('GATE'));
  const viewerWho = await viewer.$eval('#whoami', (e) => e.textContent);
  const viewerButtons = await shown(viewer);
  await shot(viewer, 'console-viewer.png');
  const forged = await viewer.evaluate(async (run, gate) => {
    const res = await fetch(`/api/v1/runs/${run}/approve`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ gate }) });
    return { status: res.status, body: await res.text() };
  }, runId, env('GATE'));
  await viewerBrowser.close();

  // The approver approves on the page, through its confirmation.
  await approver.click('#btn-approve');
  await approver.waitForSelector('#confirm[open]', { timeout: WAIT_PAGE_MS });
  const confirmText = await approver.$eval('#confirm-text', (e) => e.textContent);
  await shot(approver, 'console-confirm.png');
  await approver.click('#confirm-yes');
  await approver.waitForFunction(() => document.body.dataset.lastAction, { timeout: WAIT_PAGE_MS });
  const approved = await approver.evaluate(() => document.body.dataset.lastAction);
  await approver.waitForFunction(() => ['succeeded', 'failed', 'rolled-back'].includes(document.body.dataset.runState),
    { timeout: WAIT_DONE_MS });
  const finalState = await approver.evaluate(() => document.body.dataset.runState);
  const clock = await approver.$eval('#downtime', (e) => (e.hidden ? '' : e.textContent.replace(/\s+/g, ' ').trim()));
  await shot(approver, 'console-done.png');
  await approverBrowser.close();

  console.log(JSON.stringify({
    run: runId, who, approverButtons, viewerWho, viewerButtons, forged, confirmText, approved, finalState, clock,
    sawRunning: seen.running, sawDowntime: seen.downtime, succeededCounts: seen.succeededCounts.size,
    percents: [...seen.percents].sort((a, b) => a - b), shotRunning, problems,
  }));
}

main().catch((e) => { console.error(`console_drive: ${e.stack || e.message}`); process.exit(1); });
