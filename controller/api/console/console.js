// console.js -- the alfup console (docs/console.md): reads the API (/api/v1), follows its event stream,
// and offers the actions the certificate's roles allow, each after a confirmation. Everything from the
// API is written with textContent, never as HTML.
'use strict';

const API = '/api/v1';
const ACTIONS = ['approve', 'resume', 'rollback', 'cancel'];
const FINISHED = ['succeeded', 'rolled-back', 'cancelled', 'failed'];
const REFRESH_DELAY_MS = 250;   // events in a burst cause one read

const view = { me: null, runs: [], selected: null, run: null, timers: {}, clock: null };

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.appendChild(c instanceof Node ? wrap(c) : el('td', c));
  return tr;
}

function headRow(names) {
  const tr = document.createElement('tr');
  for (const n of names) tr.appendChild(el('th', n));
  return tr;
}

function wrap(node) { const td = document.createElement('td'); td.appendChild(node); return td; }

function notice(text) {
  const n = $('notice');
  n.textContent = text || '';
  n.hidden = !text;
}

async function getJSON(path) {
  const res = await fetch(API + path, { credentials: 'same-origin', cache: 'no-store' });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error || res.statusText), { status: res.status });
  return body;
}

async function post(path, body) {
  const res = await fetch(API + path, {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}),
  });
  const answer = await res.json().catch(() => ({}));
  return { status: res.status, body: answer };
}

// Runs fn once, REFRESH_DELAY_MS after the last of a burst of calls under the same name.
function soon(name, fn) {
  clearTimeout(view.timers[name]);
  view.timers[name] = setTimeout(() => fn().catch((e) => notice(`${name}: ${e.message}`)), REFRESH_DELAY_MS);
}

function stateBadge(state) { return el('span', state, `state state-${state}`); }

function when(text) { return text ? text.replace('T', ' ').replace('Z', ' UTC') : ''; }

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

// ---- who am I ----

async function loadMe() {
  view.me = await getJSON('/whoami');
  $('whoami').textContent = `${view.me.name} (${view.me.roles.join(', ')})`;
  for (const action of ACTIONS) $(`btn-${action}`).hidden = !view.me.may[action];
}

// ---- agents, fleets, runs ----

async function loadAgents() {
  const agents = await getJSON('/agents');
  const body = $('agents').tBodies[0];
  body.replaceChildren(...agents.map((a) => {
    const tr = row([a.name, (a.roles || []).join(', '), stateBadge(a.online ? 'online' : 'offline'),
      a.address, a.version, a.last_seen]);
    tr.dataset.agent = a.name;
    return tr;
  }));
}

async function loadFleets() {
  let fleets;
  try {
    fleets = await getJSON('/fleets');
  } catch (e) {
    if (e.status === 404) { $('fleets-section').hidden = true; return; }  // a controller without fleets
    throw e;
  }
  $('fleets-section').hidden = false;
  $('fleets').tBodies[0].replaceChildren(...(fleets || []).map((f) => {
    const members = (f.deployments || []).map((d) =>
      `${d.deployment}${d.wave ? ` (${d.wave})` : ''}: ${d.state}${d.run ? ` ${d.run}` : ''}`);
    const tr = row([f.fleet || f.name, stateBadge(f.state), members.join('\n'),
      f.window ? `${f.window.start} – ${f.window.end}${f.window.open ? ' (open)' : ''}` : '']);
    tr.dataset.fleet = f.fleet || f.name;
    return tr;
  }));
}

async function loadRuns() {
  view.runs = await getJSON('/runs');
  const body = $('runs').tBodies[0];
  body.replaceChildren(...view.runs.map((r) => {
    const tr = row([r.run, r.deployment, stateBadge(r.state), when(r.created)]);
    tr.dataset.run = r.run;
    if (r.run === view.selected) tr.className = 'selected';
    tr.addEventListener('click', () => select(r.run));
    return tr;
  }));
  if (!view.selected && view.runs.length) select(view.runs[0].run);
}

function select(id) {
  view.selected = id;
  for (const tr of $('runs').tBodies[0].rows) tr.className = tr.dataset.run === id ? 'selected' : '';
  loadRun().catch((e) => notice(`run ${id}: ${e.message}`));
}

// ---- one run ----

function steps(run) { return run.phases.flatMap((p) => p.steps); }

function percentOf(s) {
  const p = s.progress || {};
  return s.state === 'succeeded' ? 100 : (p.percent || 0);
}

function stepRow(s) {
  const p = s.progress || {};
  const bar = el('progress');
  bar.max = 100;
  bar.value = percentOf(s);
  const cell = el('span');
  cell.append(bar, el('span', s.state === 'running' && p.percent ? ` ${Math.round(p.percent)}%` : '', 'percent'));
  const detail = el('span', s.error || p.message || '', 'detail');
  const tr = row([s.id, s.host, s.kind, stateBadge(s.state), cell,
    s.elapsed_s ? `${s.elapsed_s.toFixed(1)} s` : '', detail]);
  tr.dataset.step = s.id;
  tr.dataset.host = s.host;
  return tr;
}

function hostSummary(phase) {
  const hosts = {};
  for (const s of phase.steps) {
    const h = hosts[s.host] || (hosts[s.host] = { done: 0, all: 0 });
    h.all += 1;
    if (s.state === 'succeeded' || s.state === 'skipped') h.done += 1;
  }
  return Object.entries(hosts).map(([h, c]) => `${h} ${c.done}/${c.all}`).join(' · ');
}

function phaseBlock(id, title, stepList) {
  const div = el('div', null, 'phase');
  div.dataset.phase = id;
  div.append(el('h3', title), el('div', `hosts: ${hostSummary({ steps: stepList })}`, 'hosts'));
  const table = el('table', null, 'steps');
  table.createTHead().appendChild(headRow(['step', 'host', 'kind', 'state', 'progress', 'time', 'detail']));
  const body = table.createTBody();
  for (const s of stepList) body.appendChild(stepRow(s));
  div.appendChild(table);
  return div;
}

// The phases, then the rollback's steps when the run rolled back (or is rolling back).
function renderPhases(run) {
  const blocks = run.phases.map((phase) => phaseBlock(phase.id, `${phase.id}: ${phase.title}`, phase.steps));
  const rollback = run.rollback || {};
  if (rollback.rounds && (rollback.steps || []).length) {
    const block = phaseBlock('rollback', `rollback (round ${rollback.rounds}): stop the new services, start the old ones`,
      rollback.steps);
    block.classList.add('rollback');
    blocks.push(block);
  }
  $('phases').replaceChildren(...blocks);
}

// The cutover's downtime: from stop-old's start to verify-restored's end (docs/runs.md), beside the
// estimate when status --json carries one.
function downtimeSpan(run) {
  const all = steps(run);
  const stop = all.find((s) => s.step === 'stop-old');
  if (!stop || !stop.started_unix_ms) return null;
  const verify = all.find((s) => s.step === 'verify-restored');
  const end = verify && verify.finished_unix_ms ? verify.finished_unix_ms : null;
  return { start: stop.started_unix_ms, end: end || (FINISHED.includes(run.state) && run.finished ? Date.parse(run.finished) : null) };
}

// The estimate, when status --json carries one (seconds, or an object with total_ms or total_s).
function estimateText(run) {
  const est = run.downtime?.estimate ?? run.downtime_estimate ?? run.estimate ?? run.estimate_s ?? run.downtime_estimate_s;
  if (est === undefined) return '';
  let ms = null;
  if (typeof est === 'number') ms = est * 1000;
  else if (est && est.known !== false && est.known !== 0) ms = est.total_ms ?? (est.total_s != null ? est.total_s * 1000 : null);
  return ms == null ? '(estimate: not known yet)' : `(estimate ${duration(ms)})`;
}

function renderDowntime(run) {
  clearInterval(view.clock);
  const span = downtimeSpan(run);
  $('downtime').hidden = !span;
  if (!span) return;
  $('downtime-estimate').textContent = estimateText(run);
  const tick = () => { $('downtime-clock').textContent = duration((span.end || Date.now()) - span.start); };
  tick();
  if (!span.end) view.clock = setInterval(tick, 1000);
}

function renderActions(run) {
  const open = !FINISHED.includes(run.state);
  $('btn-approve').disabled = !run.waiting_for;
  $('btn-approve').textContent = run.waiting_for ? `Approve ${run.waiting_for}` : 'Approve';
  $('btn-resume').disabled = !open;
  $('btn-rollback').disabled = !open && run.state !== 'failed';
  $('btn-cancel').disabled = !open;
}

function renderRun(run) {
  view.run = run;
  $('run').hidden = false;
  $('run-id').textContent = `${run.run} (${run.deployment}, ${run.workflow})`;
  const badge = $('run-state');
  badge.textContent = run.state + (run.paused ? ', paused' : '');
  badge.className = `state state-${run.state}`;
  $('run-gate').hidden = !run.waiting_for;
  $('run-gate').textContent = run.waiting_for ? `waiting for approval: ${run.waiting_for}` : '';
  $('run-error').hidden = !run.error;
  $('run-error').textContent = run.error || '';
  renderActions(run);
  renderDowntime(run);
  renderPhases(run);
  document.body.dataset.runState = run.state;
  document.body.dataset.waitingFor = run.waiting_for || '';
}

async function loadRun() {
  if (view.selected) renderRun(await getJSON(`/runs/${encodeURIComponent(view.selected)}`));
}

// A progress event (issue 14: at most one a second per step) moves the step's bar without a read.
function onProgress(data) {
  if (!view.run || data.run !== view.run.run) return;
  const where = data.rollback ? '#phases .rollback' : '#phases .phase:not(.rollback)';
  const tr = document.querySelector(`${where} tr[data-step="${CSS.escape(data.step || '')}"]`);
  if (!tr) { soon('run', loadRun); return; }
  if (typeof data.percent === 'number') {
    tr.querySelector('progress').value = data.percent;
    tr.querySelector('.percent').textContent = ` ${Math.round(data.percent)}%`;
  }
  if (data.message) tr.querySelector('.detail').textContent = data.message;
}

// ---- actions ----

function confirmAction(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const done = (yes) => { dialog.close(); resolve(yes); };
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    dialog.oncancel = () => resolve(false);
    dialog.showModal();
  });
}

async function act(action) {
  const run = view.run;
  if (!run) return;
  const what = action === 'approve' ? `approve gate ${run.waiting_for} of run ${run.run}` : `${action} run ${run.run}`;
  if (!(await confirmAction(`${what}? This is recorded in the audit trail as ${view.me.name}.`))) return;
  const answer = await post(`/runs/${encodeURIComponent(run.run)}/${action}`,
    action === 'approve' && run.waiting_for ? { gate: run.waiting_for } : {});
  notice(answer.status < 300 ? '' : `${action}: ${answer.status} ${answer.body.error || ''}`);
  document.body.dataset.lastAction = `${action} ${answer.status}`;
  await loadRun();
}

// ---- the event stream ----

function stream() {
  const events = new EventSource(`${API}/events`);
  events.onopen = () => { $('stream').textContent = 'live'; $('stream').className = 'stream on'; };
  events.onerror = () => { $('stream').textContent = 'reconnecting'; $('stream').className = 'stream off'; };
  const parse = (e) => { try { return JSON.parse(e.data).data || {}; } catch (_) { return {}; } };
  events.addEventListener('agent', () => soon('agents', loadAgents));
  events.addEventListener('run', (e) => {
    soon('runs', loadRuns);
    if (parse(e).run === view.selected) soon('run', loadRun);
  });
  events.addEventListener('step', (e) => { if (parse(e).run === view.selected) soon('run', loadRun); });
  events.addEventListener('progress', (e) => onProgress(parse(e)));
  events.addEventListener('fleet', () => soon('fleets', loadFleets));
}

async function start() {
  for (const action of ACTIONS) $(`btn-${action}`).addEventListener('click', () => act(action));
  try {
    await loadMe();
    await Promise.all([loadAgents(), loadRuns(), loadFleets()]);
  } catch (e) {
    notice(`The API refused or failed: ${e.message}`);
  }
  stream();
  document.body.dataset.ready = '1';
}

document.addEventListener('DOMContentLoaded', start);
