// Headless Chromium (Debian's `chromium`, driven by playwright-core) for the browser-target
// tests. Usage: node chromium.mjs <scenario> <base-url> [<json argument>]; prints one JSON
// result on stdout. The page under test is what `runtara serve-demo DIR` serves.
//
//   cases <url> '{"cases":[{"dir","name","input"}]}'  → [{ok, output} | {ok:false, error}]
//   reload <url> '{"dir","name","reloadAfterMs"}'     → {output, starts, elapsedMs}
//   demo <url> '{"name","screenshot"}'                 → {status, output, events}
//   picture <file url of an SVG> '{"screenshot"}'      → {steps: [{step, x, y, w, h}], edges}
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
  const result = await ({ cases, reload, demo, picture })[scenario](opts);
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
