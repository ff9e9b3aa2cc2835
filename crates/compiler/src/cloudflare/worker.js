// The Cloudflare Worker of a runtara workflow, written by `runtara compile --target cloudflare`.
// The HTTP surface is the one of `--world http` components (README, "Cloudflare Workers"):
//   POST /                          a stateless run: 200 with the output, or the structured error
//                                   with the status of its category (400, 422, 429, 503, 504, 500)
//   POST /instances/{id}            runs or continues durable instance {id}: a Durable Object
//                                   (idFromName) keeping checkpoints in its storage; a durable
//                                   Delay or a WaitForSignal answers 202 and the Delay's deadline
//                                   becomes the object's alarm, which continues the run
//   GET  /instances/{id}            the instance: status, output or error, wake_at_ms, signal_id
//   POST /instances/{id}/signals    {"signal": "pause"|"resume"|"cancel"} or {"signal_id", "payload"}
// A request with `x-runtara-events: 1` to POST / gets the events as JSON lines before the result.
import { DurableObject } from "cloudflare:workers";
import wasm from "./__RUNTARA_MODULE__.wasm";
import { initSync, run_json } from "./__RUNTARA_MODULE__.js";

initSync({ module: wasm });

const MAX_INPUT_BYTES = 16 << 20;
const INSTANCE_PATH = /^\/instances\/([A-Za-z0-9._-]{1,128})(\/signals)?$/;
const USAGE =
  "POST / runs the workflow; POST /instances/{id} runs or continues a durable instance; GET /instances/{id} shows it; " +
  "POST /instances/{id}/signals sends {signal: pause|resume|cancel} or {signal_id, payload} (id: 1-128 of A-Z a-z 0-9 . _ -)";
const FINAL = new Set(["completed", "failed", "cancelled"]);
const STATUS_OF_CATEGORY = { permanent: 422, validation: 422, limit: 429, transient: 503, timeout: 504 };

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname.replace(/\/+$/, "");
    if (path === "" && request.method === "POST") {
      const input = await readInput(request);
      if (input.error) return input.error;
      return stateless(input.text, env, request.headers.get("x-runtara-events") === "1");
    }
    const m = INSTANCE_PATH.exec(path);
    if (m && (request.method === "POST" || (request.method === "GET" && !m[2]))) {
      return env.INSTANCES.get(env.INSTANCES.idFromName(m[1])).fetch(request);
    }
    return reply(404, { code: "NOT_FOUND", message: USAGE });
  },
};

/** A response with JSON text (or a value to serialise). */
function reply(status, body) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Response(text, { status, headers: { "content-type": "application/json" } });
}

/** The request body as text, or `{error}`: a 400 answer when it is over the limit. */
async function readInput(request) {
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    const message = `the input is over ${MAX_INPUT_BYTES} bytes`;
    return { error: reply(400, { category: "permanent", code: "BAD_INPUT", message, severity: "error" }) };
  }
  return { text: new TextDecoder().decode(bytes) };
}

/** Run options from the Worker's bindings: the connection table (`RUNTARA_CONNECTIONS`
 * secret, JSON), the agents' HTTP proxy (`RUNTARA_HTTP_PROXY_URL`) and debug mode
 * (`RUNTARA_DEBUG_MODE=1`: stop at breakpoints). */
function hostOptions(env) {
  return {
    connections: env.RUNTARA_CONNECTIONS ? JSON.parse(env.RUNTARA_CONNECTIONS) : undefined,
    httpProxy: env.RUNTARA_HTTP_PROXY_URL || undefined,
    debugMode: env.RUNTARA_DEBUG_MODE === "1" || env.RUNTARA_DEBUG_MODE === "true",
    // workerd's clock stands still while code runs: a spinning wait would never end.
    replayWaits: true,
  };
}

/** `{status, text}` of a rejected run: the structured error with its category's status. */
function failure(e) {
  const p = e && e.payload;
  if (!p) return { status: 500, text: JSON.stringify({ code: "INTERNAL", message: String((e && e.stack) || e) }) };
  const text = e.payloadJson ?? JSON.stringify(p);
  if (p.code === "BAD_INPUT") return { status: 400, text, payload: p };
  return { status: STATUS_OF_CATEGORY[p.category] ?? 500, text, payload: p };
}

/** A store that lives for one call: a durable sleep inside it waits on a timer and reruns. */
function callStore() {
  const entries = new Map();
  return { load: async () => [...entries], save: async (_instance, id, state) => void entries.set(id, state) };
}

async function stateless(text, env, withEvents) {
  const events = [];
  const options = { store: callStore(), ...hostOptions(env) };
  if (withEvents) options.onEvent = (e) => events.push(JSON.stringify(e));
  let status = 200;
  let body;
  try {
    body = await run_json(text, options);
  } catch (e) {
    ({ status, text: body } = failure(e));
  }
  return reply(status, withEvents ? [...events, body].join("\n") : body);
}

/** The most events one run keeps in the instance's log. */
const MAX_EVENTS_PER_RUN = 1000;

/** One workflow instance: its input, checkpoints (`cp:<id>`), delivered signals (`sig:<id>`),
 * the events of each run (`ev:<run>`: a JSON array), where it stands (`meta`: status,
 * wake_at_ms, signal_id, runs) and its result (`result`: JSON text). */
export class WorkflowInstance extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.queue = Promise.resolve();
    this.control = null;
    this.abort = null;
  }

  async fetch(request) {
    const m = INSTANCE_PATH.exec(new URL(request.url).pathname.replace(/\/+$/, ""));
    const id = m[1];
    // A GET answers at once, with what the last finished attempt recorded.
    if (request.method === "GET") return this.show(id);
    const input = await readInput(request);
    if (input.error) return input.error;
    return m[2] ? this.signal(id, input.text) : this.serial(() => this.start(id, input.text));
  }

  /** The alarm of a durable Delay (or a WaitForSignal's timeout): run on from the checkpoints. */
  async alarm() {
    await this.serial(async () => {
      const meta = await this.ctx.storage.get("meta");
      if (meta && (meta.status === "sleeping" || meta.status === "waiting")) await this.advance(meta.id);
    });
  }

  /** Runs `work` after the work already queued: runs of one instance never overlap, even
   * while one awaits a fetch. */
  serial(work) {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  async start(id, text) {
    const meta = await this.ctx.storage.get("meta");
    if (meta) return meta.status === "suspended" || FINAL.has(meta.status) ? this.answer(meta) : this.advance(id);
    if (text.trim() !== "") {
      try {
        JSON.parse(text);
      } catch {
        // run_json gives the same BAD_INPUT answer as the other hosts, before any checkpoint.
        const outcome = await this.runOnce(id, text, {});
        return reply(outcome.status, outcome.text);
      }
    }
    await this.ctx.storage.put({ input: text, meta: { id, status: "running" } });
    return this.advance(id);
  }

  /** One run of the instance from its checkpoints; records where it stands and answers. */
  async advance(id) {
    const storage = this.ctx.storage;
    const [input, signalEntries] = await Promise.all([storage.get("input"), storage.list({ prefix: "sig:" })]);
    const signals = {};
    for (const [k, v] of signalEntries) signals[k.slice(4)] = JSON.parse(v);
    this.abort = new AbortController();
    const events = [];
    const onEvent = (e) => events.length < MAX_EVENTS_PER_RUN && events.push(JSON.stringify(e));
    const extra = { signals, control: () => this.control, signal: this.abort.signal, onEvent };
    const outcome = await this.runOnce(id, input ?? "{}", extra);
    this.abort = null;
    // A cancel that came while the run awaited a fetch is final.
    const current = (await storage.get("meta")) || {};
    if (current.status === "cancelled") return this.answer(current);
    const runs = current.runs ?? 0;
    const meta = { id, status: "failed", runs: runs + 1 };
    const code = outcome.payload && outcome.payload.code;
    if (outcome.status === 200) meta.status = "completed";
    else if (code === "SLEEPING" || code === "WAITING") {
      meta.status = code === "SLEEPING" ? "sleeping" : "waiting";
      if (outcome.payload.wake_at_ms != null) meta.wake_at_ms = outcome.payload.wake_at_ms;
      if (outcome.payload.signal_id != null) meta.signal_id = outcome.payload.signal_id;
    } else if (code === "SUSPENDED") meta.status = "suspended";
    else if (code === "CANCELLED") meta.status = "cancelled";
    await storage.put({ meta, result: outcome.text, [`ev:${String(runs).padStart(8, "0")}`]: `[${events.join(",")}]` });
    if (meta.wake_at_ms != null) await storage.setAlarm(meta.wake_at_ms);
    else await storage.deleteAlarm();
    return this.answer(meta, outcome.text);
  }

  /** `{status, text, payload}` of one `run_json` call with this object's storage as the store. */
  async runOnce(id, text, extra) {
    const storage = this.ctx.storage;
    const store = {
      load: async () => [...(await storage.list({ prefix: "cp:" }))].map(([k, v]) => [k.slice(3), v]),
      save: async (_instance, checkpoint, state) => storage.put(`cp:${checkpoint}`, state),
    };
    const options = { instanceId: id, store, suspend: true, ...hostOptions(this.env), ...extra };
    try {
      return { status: 200, text: await run_json(text, options) };
    } catch (e) {
      return failure(e);
    }
  }

  /** The answer for an instance at `meta`, with its result text (read from storage if absent). */
  async answer(meta, text) {
    const result = text ?? (await this.ctx.storage.get("result")) ?? "null";
    switch (meta.status) {
      case "completed":
        return reply(200, result);
      case "sleeping":
      case "waiting":
        return reply(202, pending(meta));
      case "suspended":
        // Paused, or stopped at a breakpoint: runs again only after resume.
        return reply(409, `{"error":${result},"instanceId":${JSON.stringify(meta.id)},"status":"suspended"}`);
      case "cancelled":
        return reply(409, `{"error":${result},"status":"cancelled"}`);
      default:
        return reply(failure({ payload: JSON.parse(result) }).status, result);
    }
  }

  /** `{checkpoints, events, instanceId, signal_id?, status, wake_at_ms?, output | error}`;
   * the output or error is the JSON text the run produced, as it produced it. */
  async show(id) {
    const storage = this.ctx.storage;
    const meta = await storage.get("meta");
    if (!meta) return reply(404, { code: "NOT_FOUND", message: `no instance '${id}'` });
    const result = await storage.get("result");
    const checkpoints = [...(await storage.list({ prefix: "cp:" })).keys()].map((k) => k.slice(3));
    const events = [...(await storage.list({ prefix: "ev:" })).values()].flatMap((run) => JSON.parse(run));
    const detail = JSON.stringify({ checkpoints, events, ...pending(meta) }).slice(0, -1);
    const key = { completed: "output", failed: "error", cancelled: "error", suspended: "error" }[meta.status];
    return reply(200, key && result !== undefined ? `${detail},"${key}":${result}}` : `${detail}}`);
  }

  async signal(id, text) {
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return reply(400, { category: "permanent", code: "BAD_INPUT", message: `the signal is not valid JSON: ${e.message}`, severity: "error" });
    }
    const storage = this.ctx.storage;
    const meta = await storage.get("meta");
    if (!meta && body && body.signal_id !== undefined) {
      // A custom signal may come before the instance starts; it waits for it.
      await storage.put(`sig:${body.signal_id}`, JSON.stringify(body.payload ?? null));
      return reply(202, { instanceId: id, status: "pending" });
    }
    if (!meta) return reply(404, { code: "NOT_FOUND", message: `no instance '${id}'` });
    if (FINAL.has(meta.status)) return reply(409, { code: "FINAL", message: `instance '${id}' is ${meta.status}`, status: meta.status });
    switch (body && body.signal_id !== undefined ? "custom" : body && body.signal) {
      case "pause":
        this.control = "pause";
        if (meta.status !== "running") {
          const paused = { category: "lifecycle", code: "SUSPENDED", message: "the instance was paused", severity: "info" };
          await storage.put({ meta: { ...meta, status: "suspended" }, result: JSON.stringify(paused) });
          await storage.deleteAlarm();
        }
        return reply(200, { instanceId: id, status: "suspended" });
      case "resume":
        this.control = null;
        if (meta.status !== "suspended") return reply(200, pending(meta));
        return this.serial(() => this.advance(id));
      case "cancel": {
        this.control = "cancel";
        if (this.abort) this.abort.abort();
        const error = { category: "lifecycle", code: "CANCELLED", message: "the instance was cancelled", severity: "info" };
        await storage.put({ meta: { id, status: "cancelled", runs: meta.runs }, result: JSON.stringify(error) });
        await storage.deleteAlarm();
        return reply(200, { instanceId: id, status: "cancelled" });
      }
      case "custom": {
        const key = `sig:${body.signal_id}`;
        // First delivery wins, as in runtara core.
        if ((await storage.get(key)) === undefined) await storage.put(key, JSON.stringify(body.payload ?? null));
        if (meta.status !== "waiting") return reply(202, pending(meta));
        return this.serial(() => this.advance(id));
      }
      default:
        return reply(400, { code: "BAD_SIGNAL", message: "send {signal: pause|resume|cancel} or {signal_id, payload}" });
    }
  }
}

/** `{instanceId, signal_id?, status, wake_at_ms?}`: the keys sorted, as the wasm32-wasip2 handler writes them. */
function pending(meta) {
  const out = { instanceId: meta.id };
  if (meta.signal_id != null) out.signal_id = meta.signal_id;
  out.status = meta.status;
  if (meta.wake_at_ms != null) out.wake_at_ms = meta.wake_at_ms;
  return out;
}
