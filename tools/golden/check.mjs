// Sanity checks for tests/data/golden_tfjs.json (no dependencies).
// Usage: node check.mjs [path]
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ? path.resolve(process.argv[2]) : path.resolve(here, '../../tests/data/golden_tfjs.json');
const text = fs.readFileSync(file, 'utf8');
const doc = JSON.parse(text);

let errors = 0;
const fail = (msg) => { ++errors; console.error('ERROR: ' + msg); };
const ACTS = new Set(['tanh', 'linear', 'relu', 'sigmoid', 'hard_sigmoid', 'elu', 'selu', 'softplus', 'softsign',
  'swish', 'gelu', 'exponential', 'softmax']);

function checkT(t, where, shape, opts = {}) {
  if (t === null || typeof t !== 'object' || !Array.isArray(t.shape) || !Array.isArray(t.data)) {
    fail(`${where}: not a tensor`); return;
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) fail(`${where}: data length ${t.data.length} != product of shape ${JSON.stringify(t.shape)}`);
  if (shape && JSON.stringify(shape) !== JSON.stringify(t.shape)) fail(`${where}: shape ${JSON.stringify(t.shape)} != expected ${JSON.stringify(shape)}`);
  for (const v of t.data) {
    if (typeof v !== 'number' || !Number.isFinite(v)) { fail(`${where}: non-finite or non-number value`); break; }
    if (Math.fround(v) !== v) { fail(`${where}: ${v} is not exactly representable as float32`); break; }
    if (opts.binary && v !== 0 && v !== 1) { fail(`${where}: mask value ${v} not 0/1`); break; }
  }
}

if (doc.dtype !== 'float32') fail('dtype must be float32');
for (const k of ['script', 'node', 'packages', 'backend']) if (!(k in (doc.generator || {}))) fail(`generator.${k} missing`);

// Independent float64 replay of the TF 2.4 recurrence from the JSON alone
// (docs/keras-semantics.md#forward-loop, #stateful).
const SA = 1.6732632423543772848170429916717, SS = 1.0507009873554804934193349852946;
function erf(x) { // Maclaurin series / continued fraction, double precision
  const ax = Math.abs(x);
  if (ax < 2.5) { let s = 0, t = x, n = 0; for (;;) { const c = t / (2 * n + 1); s += c; if (Math.abs(c) < 1e-17 * Math.abs(s) || n > 200) break; ++n; t *= -x * x / n; } return 2 / Math.sqrt(Math.PI) * s; }
  let k = ax; for (let n = 120; n >= 1; --n) k = ax + (n / 2) / k;
  const ec = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * k);
  return x > 0 ? 1 - ec : ec - 1;
}
const ACT = {
  linear: (z) => z, tanh: Math.tanh, relu: (z) => (z > 0 ? z : 0), sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  hard_sigmoid: (z) => Math.min(1, Math.max(0, 0.2 * z + 0.5)), elu: (z) => (z > 0 ? z : Math.expm1(z)),
  selu: (z) => (z > 0 ? SS * z : SS * SA * Math.expm1(z)),
  softplus: (z) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))),
  softsign: (z) => z / (1 + Math.abs(z)), swish: (z) => z / (1 + Math.exp(-z)),
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)), exponential: Math.exp,
};
function replay(c) {
  const cfg = c.config, U = cfg.units, W = c.weights.kernel.data, R = c.weights.recurrent_kernel.data;
  const F = c.weights.kernel.shape[0], bias = c.weights.bias ? c.weights.bias.data : null;
  let buffer = null, worst = 0;
  for (const s of c.steps) {
    if (s.op === 'reset_states') { buffer = s.states ? s.states.data.slice() : buffer && buffer.map(() => 0); continue; }
    const [B, T] = s.inputs.shape;
    if (cfg.stateful && buffer === null) buffer = new Array(B * U).fill(0);
    let h;
    if (cfg.stateful) h = (s.initial_state && buffer.every((v) => v === 0)) ? s.initial_state.data.slice() : buffer.slice();
    else h = s.initial_state ? s.initial_state.data.slice() : new Array(B * U).fill(0);
    const y = new Array(B * U).fill(0), seq = [];
    for (let p = 0; p < T; ++p) {
      const src = cfg.go_backwards ? T - 1 - p : p;
      const z = new Array(B * U).fill(0);
      for (let b = 0; b < B; ++b) for (let j = 0; j < U; ++j) {
        let a = 0;
        for (let f = 0; f < F; ++f) a += s.inputs.data[(b * T + src) * F + f] * W[f * U + j];
        if (bias) a += bias[j];
        for (let k = 0; k < U; ++k) a += h[b * U + k] * R[k * U + j];
        z[b * U + j] = a;
      }
      const cval = new Array(B * U);
      for (let b = 0; b < B; ++b) {
        if (cfg.activation === 'softmax') {
          const row = z.slice(b * U, b * U + U), mx = Math.max(...row), e = row.map((v) => Math.exp(v - mx)), sm = e.reduce((x1, x2) => x1 + x2, 0);
          for (let j = 0; j < U; ++j) cval[b * U + j] = e[j] / sm;
        } else for (let j = 0; j < U; ++j) cval[b * U + j] = ACT[cfg.activation](z[b * U + j]);
      }
      for (let b = 0; b < B; ++b) {
        const m = s.mask ? s.mask.data[b * T + src] !== 0 : true;
        if (m) for (let j = 0; j < U; ++j) { h[b * U + j] = cval[b * U + j]; y[b * U + j] = cval[b * U + j]; }
      }
      seq.push(...y);
    }
    const out = cfg.return_sequences ? (() => { const o = new Array(B * T * U); for (let b = 0; b < B; ++b) for (let p = 0; p < T; ++p) for (let j = 0; j < U; ++j) o[(b * T + p) * U + j] = seq[(p * B + b) * U + j]; return o; })() : y;
    for (const [exp, got] of [[s.expected_output.data, out], [s.expected_state.data, h]]) {
      for (let i = 0; i < exp.length; ++i) worst = Math.max(worst, Math.abs(exp[i] - got[i]) / Math.max(1, Math.abs(exp[i])));
    }
    if (cfg.stateful) buffer = h.slice();
  }
  return worst;
}

const names = new Set();
const worstByCat = {};
const perCat = {};
let nSteps = 0, nAdjusted = 0;
for (const c of doc.cases) {
  const w = `case ${c.name}`;
  if (!/^[a-z0-9_]+$/.test(c.name)) fail(`${w}: name not snake_case`);
  if (names.has(c.name)) fail(`${w}: duplicate name`);
  names.add(c.name);
  perCat[c.category] = (perCat[c.category] || 0) + 1;
  try {
    const d = replay(c);
    worstByCat[c.category] = Math.max(worstByCat[c.category] ?? 0, d);
    if (!(d < 1e-4)) fail(`${w}: float64 replay differs from expected values by ${d}`);
  } catch (e) { fail(`${w}: replay failed: ${e.message}`); }
  if (typeof c.note !== 'string' || !c.note) fail(`${w}: note missing`);
  const cfg = c.config;
  for (const k of ['units', 'activation', 'use_bias', 'return_sequences', 'return_state', 'go_backwards', 'stateful']) {
    if (!(k in cfg)) fail(`${w}: config.${k} missing`);
  }
  if (!ACTS.has(cfg.activation)) fail(`${w}: unknown activation ${cfg.activation}`);
  const U = cfg.units;
  const F = c.weights.kernel.shape[0];
  checkT(c.weights.kernel, `${w} kernel`, [F, U]);
  checkT(c.weights.recurrent_kernel, `${w} recurrent_kernel`, [U, U]);
  if (cfg.use_bias) checkT(c.weights.bias, `${w} bias`, [U]);
  else if (c.weights.bias !== null) fail(`${w}: bias must be null when use_bias is false`);
  let B = null;
  for (const [i, s] of c.steps.entries()) {
    const ws = `${w} step ${i}`;
    if (s.op === 'reset_states') {
      if (!cfg.stateful) fail(`${ws}: reset_states on a non-stateful case`);
      if ('states' in s) checkT(s.states, `${ws} states`, B === null ? null : [B, U]);
      continue;
    }
    if (s.op !== 'call') { fail(`${ws}: unknown op ${s.op}`); continue; }
    ++nSteps;
    const [b, t, f] = s.inputs.shape;
    if (B !== null && cfg.stateful && b !== B) fail(`${ws}: stateful batch size changed`);
    B = b;
    checkT(s.inputs, `${ws} inputs`, [b, t, F]);
    if (f !== F) fail(`${ws}: feature dim mismatch`);
    if (s.mask !== null) checkT(s.mask, `${ws} mask`, [b, t], { binary: true });
    if (s.initial_state !== null) checkT(s.initial_state, `${ws} initial_state`, [b, U]);
    const outShape = cfg.return_sequences ? [b, t, U] : [b, U];
    checkT(s.expected_output, `${ws} expected_output`, outShape);
    checkT(s.expected_state, `${ws} expected_state`, [b, U]);
    if ('tfjs_raw_output' in s) {
      ++nAdjusted;
      checkT(s.tfjs_raw_output, `${ws} tfjs_raw_output`, outShape);
      if (!/TF 2\.4 masking adjustment/.test(c.note)) fail(`${ws}: adjusted step but note does not say so`);
    }
    if ('tf24_initial_state_used' in s && !/initial_state/.test(c.note)) fail(`${ws}: initial_state branch not explained in note`);
  }
}

console.log(`${file}: ${doc.cases.length} cases, ${nSteps} call steps, ${nAdjusted} steps with TF-2.4 masking adjustment, ${text.length} bytes`);
console.log('cases per category:');
for (const [k, v] of Object.entries(perCat)) {
  console.log(`  ${k}: ${v}  (max |expected - float64 replay| / max(1,|expected|) = ${worstByCat[k].toExponential(2)})`);
}
if (errors) { console.error(`${errors} error(s)`); process.exit(1); }
console.log('OK');
