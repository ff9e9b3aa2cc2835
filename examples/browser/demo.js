// The demo page: lists the modules `runtara serve-demo DIR` serves (modules.json), loads
// the chosen one, runs it on the input and shows the output and the events as they come.
const $ = (id) => document.getElementById(id);
const modules = await (await fetch('modules.json')).json();
for (const m of modules) $('module').add(new Option(m.name, JSON.stringify(m)));
if (modules.length === 0) $('output').textContent = 'No compiled workflows in the served directory.';

let controller = null;
async function loadExample() {
  const m = JSON.parse($('module').value);
  if (m.example) $('input').value = JSON.stringify(m.example, null, 2);
}
$('module').addEventListener('change', loadExample);
if (modules.length) await loadExample();

function event(e) {
  const li = document.createElement('li');
  const what = e.step_id ? `${e.step_id} (${e.step_type})` : (e.message ?? '');
  li.textContent = `${e.event}  ${what}`;
  $('events').append(li);
}

$('run').addEventListener('click', async () => {
  const m = JSON.parse($('module').value);
  const status = $('status');
  $('events').replaceChildren();
  $('output').textContent = '';
  status.className = 'status running';
  status.textContent = 'running';
  controller = new AbortController();
  $('cancel').disabled = false;
  try {
    const mod = await import(`./modules/${m.dir}/${m.name}.js`);
    await mod.default();
    const input = JSON.parse($('input').value || '{}');
    const out = await mod.run(input, { instanceId: $('instance').value, signal: controller.signal, onEvent: event });
    $('output').textContent = JSON.stringify(out, null, 2);
    status.className = 'status completed';
    status.textContent = 'completed';
  } catch (e) {
    $('output').textContent = JSON.stringify(e.payload ?? { message: String(e) }, null, 2);
    status.className = 'status failed';
    status.textContent = e.code === 'CANCELLED' ? 'cancelled' : 'failed';
  } finally {
    $('cancel').disabled = true;
  }
});
$('cancel').addEventListener('click', () => controller && controller.abort());
