// The runtara serve console: a small single-page app over the server's JSON API.
// Routes (location hash): #/ workflows, #/workflows/ID, #/instances?status=&workflow=,
// #/instances/ID. User text is always set with textContent; only the server's SVG (whose
// text it escapes) is inserted as markup.
'use strict';

const TERMINAL = ['completed', 'failed', 'crashed', 'cancelled'];
const main = document.getElementById('main');
const tokenInput = document.getElementById('token');
tokenInput.value = localStorage.getItem('runtara-token') || '';
tokenInput.addEventListener('change', () => { localStorage.setItem('runtara-token', tokenInput.value); route(); });
let timer = null;

async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  const token = localStorage.getItem('runtara-token');
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(`/api/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  if (!resp.ok) {
    let message = text;
    try { message = JSON.parse(text).error || text; } catch (_) { /* not JSON */ }
    throw new Error(`${resp.status}: ${message}`);
  }
  return path.endsWith('.svg') ? text : (text ? JSON.parse(text) : null);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'onclick' || k === 'onchange') e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function badge(status) { return el('span', { class: `badge ${status}`, id: 'status' }, status || 'unknown'); }
function pretty(v, id) { return el('pre', id ? { id } : {}, JSON.stringify(v, null, 2)); }
function show(...nodes) { main.replaceChildren(...nodes); }
function fail(e) { show(el('p', { class: 'error' }, String(e.message || e))); }

async function workflows() {
  const list = await api('GET', 'workflows');
  const rows = list.map((w) => el('tr', {},
    el('td', {}, el('a', { href: `#/workflows/${encodeURIComponent(w.workflowId)}`, class: 'workflow' }, w.workflowId)),
    el('td', {}, String(w.latestVersion ?? '')),
    el('td', {}, el('a', { href: `#/instances?workflow=${encodeURIComponent(w.workflowId)}` }, 'instances'))));
  show(el('h1', {}, 'Workflows'),
    list.length ? el('table', { id: 'workflows' }, el('tr', {}, el('th', {}, 'workflow'), el('th', {}, 'latest version'), el('th', {}, '')), rows)
      : el('p', {}, 'Nothing deployed yet: runtara deploy FILE --server URL'));
}

async function workflow(id) {
  const w = await api('GET', `workflows/${encodeURIComponent(id)}`);
  const latest = w.versions[w.versions.length - 1];
  const picture = el('div', { class: 'picture panel', id: 'picture' });
  api('GET', `workflows/${encodeURIComponent(id)}/versions/${latest.version}/graph.svg`)
    .then((svg) => { picture.innerHTML = svg; }, () => { picture.textContent = 'a component deployment: no graph'; });
  const input = el('textarea', { id: 'start-input' }, '{}');
  const start = el('button', { id: 'start', onclick: async () => {
    try {
      const started = await api('POST', 'instances', { workflowId: id, input: JSON.parse(input.value || '{}') });
      location.hash = `#/instances/${encodeURIComponent(started.instanceId || started.id)}`;
    } catch (e) { alert(e.message); }
  } }, 'Start');
  const versions = w.versions.map((v) => el('tr', {}, el('td', {}, String(v.version)), el('td', {}, v.source || ''), el('td', {}, String(v.created || ''))));
  show(el('h1', {}, `Workflow ${id}`),
    el('div', { class: 'row' }, picture,
      el('div', {}, el('div', { class: 'panel' }, el('h2', {}, 'Start an instance'), el('div', {}, 'Input (JSON)'), input, el('div', {}, start)),
        el('h2', {}, 'Versions'), el('table', {}, el('tr', {}, el('th', {}, 'version'), el('th', {}, 'source'), el('th', {}, 'deployed')), versions))));
}

async function instances(params) {
  const runs = await api('GET', 'runs');
  const status = params.get('status') || '';
  const wf = params.get('workflow') || '';
  const statuses = ['', 'pending', 'running', 'sleeping', 'waiting', 'suspended', 'completed', 'failed', 'crashed', 'cancelled'];
  const workflowIds = ['', ...new Set(runs.map((r) => r.workflowId))];
  const filter = (name, options, value) => {
    const s = el('select', { id: `filter-${name}`, onchange: () => {
      const p = new URLSearchParams(params); p.set(name, s.value); location.hash = `#/instances?${p}`;
    } }, options.map((o) => el('option', o === value ? { value: o, selected: 'selected' } : { value: o }, o || `any ${name}`)));
    return s;
  };
  const shown = runs.filter((r) => (!status || r.status === status) && (!wf || r.workflowId === wf));
  const rows = shown.map((r) => el('tr', { class: 'instance' },
    el('td', {}, el('a', { href: `#/instances/${encodeURIComponent(r.id)}` }, r.id)),
    el('td', {}, r.workflowId), el('td', {}, String(r.version)), el('td', {}, el('span', { class: `badge ${r.status}` }, r.status))));
  show(el('h1', {}, 'Instances'), el('p', {}, filter('status', statuses, status), ' ', filter('workflow', workflowIds, wf)),
    el('table', { id: 'instances' }, el('tr', {}, el('th', {}, 'instance'), el('th', {}, 'workflow'), el('th', {}, 'version'), el('th', {}, 'status')), rows));
}

/** The state of each step from the instance's checkpoints, events and error. */
function stepStates(detail) {
  const states = {};
  // Checkpoint ids are `<workflow>::<step>`, with `::[i,j]` inside loops.
  const done = (id) => (detail.checkpoints || []).some((c) => c === id || c.endsWith(`::${id}`) || c.includes(`::${id}::`));
  for (const e of detail.events || []) {
    if (e.event === 'step_debug_start' && e.step_id) states[e.step_id] = 'running';
    if (e.event === 'step_debug_end' && e.step_id) states[e.step_id] = 'done';
    if (e.event === 'external_input_requested' && e.step_id) states[e.step_id] = 'waiting';
  }
  return { states, done };
}

function paint(picture, detail) {
  const { states, done } = stepStates(detail);
  const failedStep = detail.error && (detail.error.stepId || detail.error.step_id);
  for (const g of picture.querySelectorAll('g.step')) {
    const id = g.dataset.step;
    let state = states[id] || '';
    if (done(id)) state = 'done';
    if (state === 'waiting' && TERMINAL.includes(detail.status)) state = 'done';
    if (failedStep === id) state = 'failed';
    if (!state && detail.status === 'completed') state = g.dataset.type === 'Finish' ? 'done' : 'skipped';
    g.setAttribute('class', `step${state ? ` state-${state}` : ''}`);
  }
}

async function instance(id) {
  const run = await api('GET', `instances/${encodeURIComponent(id)}/run`);
  const picture = el('div', { class: 'picture panel', id: 'picture' });
  const svg = await api('GET', `workflows/${encodeURIComponent(run.workflowId)}/versions/${run.version}/graph.svg`).catch(() => '');
  picture.innerHTML = svg;
  const statusSlot = el('span', {});
  const body = el('div', {});
  const signal = (s) => api('POST', `instances/${encodeURIComponent(id)}/signals`, { signal: s }).then(refresh, (e) => alert(e.message));
  const controls = el('p', {}, ['pause', 'resume', 'cancel'].map((s) => el('button', { id: s, onclick: () => signal(s) }, s)));
  const signalSelect = el('select', { id: 'signal-id' });
  const payload = el('textarea', { id: 'signal-payload' }, '{}');
  const send = el('button', { id: 'send-signal', onclick: async () => {
    try {
      await api('POST', `instances/${encodeURIComponent(id)}/signals`, { signal_id: signalSelect.value, payload: JSON.parse(payload.value || 'null') });
      refresh();
    } catch (e) { alert(e.message); }
  } }, 'Send signal');
  const legend = el('p', { class: 'legend' }, ['done', 'running', 'waiting', 'failed', 'skipped'].map((s) => el('span', { class: `badge ${s}` }, s)));
  show(el('h1', {}, `Instance ${id} `, statusSlot), el('p', {}, `workflow ${run.workflowId} version ${run.version}${run.debug ? ' (debug mode)' : ''}`),
    el('div', { class: 'row' }, el('div', {}, picture, legend),
      el('div', {}, el('div', { class: 'panel' }, el('h2', {}, 'Control'), controls,
        el('h2', {}, 'Signal a waiting step'), signalSelect, el('div', {}, payload), send),
      el('h2', {}, 'Input'), pretty(run.input))),
    body);
  async function refresh() {
    const d = await api('GET', `instances/${encodeURIComponent(id)}`);
    statusSlot.replaceChildren(badge(d.status));
    paint(picture, d);
    const asked = (d.events || []).filter((e) => e.event === 'external_input_requested').map((e) => e.signal_id);
    const current = [...signalSelect.options].map((o) => o.value);
    if (asked.join() !== current.join()) signalSelect.replaceChildren(...asked.map((s) => el('option', { value: s }, s)));
    body.replaceChildren(
      d.error ? el('div', {}, el('h2', {}, 'Error'), pretty(d.error, 'error')) : el('div', {}, el('h2', {}, 'Output'), pretty(d.output ?? null, 'output')),
      el('h2', {}, 'Checkpoints'), el('ul', { id: 'checkpoints' }, (d.checkpoints || []).map((c) => el('li', {}, c))),
      el('h2', {}, 'Events'), el('ol', { class: 'timeline', id: 'events' }, (d.events || []).map((e) =>
        el('li', {}, `${e.event}${e.step_id ? ` ${e.step_id}` : ''}${e.signal_id ? ` (${e.signal_id})` : ''}`))));
    if (TERMINAL.includes(d.status)) { clearInterval(timer); timer = null; }
  }
  await refresh();
  timer = setInterval(() => refresh().catch(() => {}), 1000);
}

async function route() {
  if (timer) { clearInterval(timer); timer = null; }
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query || '');
  document.getElementById('nav-workflows').className = path.startsWith('/instances') ? '' : 'active';
  document.getElementById('nav-instances').className = path.startsWith('/instances') ? 'active' : '';
  try {
    let m;
    if ((m = path.match(/^\/instances\/(.+)$/))) await instance(decodeURIComponent(m[1]));
    else if (path.startsWith('/instances')) await instances(params);
    else if ((m = path.match(/^\/workflows\/(.+)$/))) await workflow(decodeURIComponent(m[1]));
    else await workflows();
  } catch (e) { fail(e); }
}

window.addEventListener('hashchange', route);
route();
