// Headless Chromium (Debian's `chromium`, driven by playwright-core) for the browser-target
// tests. Usage: node chromium.mjs <scenario> <base-url> [<json argument>]; prints one JSON
// result on stdout. The page under test is what `runtara serve-demo DIR` serves.
//
//   cases <url> '{"cases":[{"dir","name","input"}]}'  → [{ok, output} | {ok:false, error}]
//   reload <url> '{"dir","name","reloadAfterMs"}'     → {output, starts, elapsedMs}
//   demo <url> '{"name","screenshot"}'                 → {status, output, events}
//   picture <file url of an SVG> '{"screenshot"}'      → {steps: [{step, x, y, w, h}], edges}
//   console <serve url> '{"workflow","input","payload","failed","shots"}' → what the pages showed
import { chromium } from 'playwright-core';

const [scenario, url, arg] = process.argv.slice(2);
const opts = arg ? JSON.parse(arg) : {};
const browser = await chromium.launch({
  executablePath: process.env.RUNTARA_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new'],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
page.on('pageerror', (e) => process.stderr.write(`page error: ${e}\n`));
try {
  await page.goto(url);
  const result = await ({ cases, reload, demo, picture, console: useConsole })[scenario](opts);
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  await browser.close();
}

/** Runs every case's module in the page (memory store) and returns its exact output text. */
async function cases({ cases }) {
  return page.evaluate(async (cases) => {
    const out = [];
    for (const c of cases) {
      try {
        const mod = await import(`/modules/${c.dir}/${c.name}.js`);
        await mod.default();
        out.push({ ok: true, output: await mod.run_json(JSON.stringify(c.input), { store: 'memory', instanceId: c.dir }) });
      } catch (e) {
        out.push({ ok: false, error: e.payload ?? { message: String(e) } });
      }
    }
    return out;
  }, cases);
}

/** Starts a run with IndexedDB checkpoints, reloads the page mid-run (during a durable
 *  Delay), runs the same instance again and reports which steps started in each page life
 *  (kept in localStorage across the reload). */
async function reload({ dir, name, reloadAfterMs }) {
  const start = (first) => page.evaluate(async ({ dir, name, first }) => {
    if (first) localStorage.setItem('starts', '[]');
    if (first) localStorage.setItem('t0', String(Date.now()));
    const mod = await import(`/modules/${dir}/${name}.js`);
    await mod.default();
    const record = (e) => {
      if (e.event !== 'step_debug_start') return;
      const s = JSON.parse(localStorage.getItem('starts'));
      s.push(e.step_id);
      localStorage.setItem('starts', JSON.stringify(s));
    };
    const run = mod.run_json('{}', { instanceId: 'reload-test', store: 'indexeddb', onEvent: record });
    if (first) return null;          // the reload interrupts this run
    return await run;
  }, { dir, name, first });
  await start(true);
  await page.waitForTimeout(reloadAfterMs);
  await page.reload();
  const output = await start(false);
  return page.evaluate((output) => ({
    output,
    starts: JSON.parse(localStorage.getItem('starts')),
    elapsedMs: Date.now() - Number(localStorage.getItem('t0')),
  }), output);
}

/** Uses the demo page like a person: pick the module, run, wait for the output, screenshot. */
async function demo({ name, screenshot }) {
  await page.waitForSelector('#module option', { state: 'attached' });
  await page.selectOption('#module', { label: name });
  await page.click('#run');
  await page.waitForSelector('#status.completed, #status.failed', { timeout: 30000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  return {
    status: await page.textContent('#status'),
    output: JSON.parse(await page.textContent('#output')),
    events: await page.$$eval('#events li', (lis) => lis.map((li) => li.textContent)),
  };
}

/** Looks at a `runtara graph` SVG: screenshots it and returns every step box and the
 *  number of edges as the browser laid them out. */
async function picture({ screenshot }) {
  await page.screenshot({ path: screenshot, fullPage: true });
  const steps = await page.$$eval('g.step', (gs) => gs.map((g) => {
    const r = g.querySelector('rect').getBoundingClientRect();
    return { step: g.dataset.step, x: r.x, y: r.y, w: r.width, h: r.height };
  }));
  const edges = await page.$$eval('g.edge path', (ps) => ps.filter((p) => p.getTotalLength() > 0).length);
  return { steps, edges };
}

/** Uses the `runtara serve` console like a person: the workflow list, start an instance
 *  from the workflow's page, watch its first step turn done and its wait turn waiting,
 *  send the signal from the form, see it complete; then the instance list and the page
 *  of the failed instance `failed`. Screenshots go to `shots`. */
async function useConsole({ workflow, input, payload, failed, shots }) {
  const shot = (name) => page.screenshot({ path: `${shots}/console-${name}.png`, fullPage: true });
  const states = () => page.$$eval('g.step', (gs) => Object.fromEntries(gs.map((g) => [g.dataset.step, g.getAttribute('class')])));
  await page.waitForSelector('#workflows a.workflow');
  await shot('workflows');
  await page.click(`#workflows a.workflow:text-is("${workflow}")`);
  await page.waitForSelector('#picture svg g.step');
  await page.fill('#start-input', JSON.stringify(input));
  await page.click('#start');
  await page.waitForSelector('g.step[data-step="record"].state-done', { timeout: 60000 });
  await page.waitForSelector('g.step[data-step="approve"].state-waiting', { timeout: 60000 });
  const waiting = { status: await page.textContent('#status'), states: await states() };
  await page.waitForSelector('#signal-id option', { state: 'attached' });
  await shot('instance-waiting');
  await page.fill('#signal-payload', JSON.stringify(payload));
  await page.click('#send-signal');
  await page.waitForSelector('#status.completed', { timeout: 60000 });
  const completed = { states: await states(), output: JSON.parse(await page.textContent('#output')) };
  await shot('instance-completed');
  await page.goto(`${url}#/instances`);
  await page.waitForSelector('#instances tr.instance');
  const listed = await page.$$eval('#instances tr.instance', (rows) => rows.map((r) => r.textContent));
  await shot('instances');
  await page.goto(`${url}#/instances/${failed}`);
  await page.waitForSelector('#status.failed', { timeout: 60000 });
  await page.waitForSelector('g.step[data-step="refuse"].state-failed');
  const failure = { states: await states(), error: JSON.parse(await page.textContent('#error')) };
  await shot('instance-failed');
  return { waiting, completed, listed, failure };
}
