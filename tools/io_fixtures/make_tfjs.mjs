// Writes tests/data/io/tfjs/<model>/model.json + weight shards with TensorFlow.js' own `model.save`
// (a custom save handler puts the artifacts tfjs hands over on disk in the layout tfjs-node's file://
// handler and tfjs' browser/HTTP handlers use), plus tests/data/io/expected.json: every SimpleRNN
// layer's weights, a fixed input and tfjs' output for it, which the C++ tests compare against after
// loading the same layer through each format (tfjs, npz, npy, Keras .h5).
//
// Usage: cd tools/io_fixtures && npm ci && node make_tfjs.mjs && /usr/bin/python3 make_keras_files.py
// Deterministic: weights and inputs come from a seeded mulberry32 PRNG and are float32 values.
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import path from 'path';
import fs from 'fs';
import { mulberry32 } from '../common/prng.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const origWarn = console.warn;
console.warn = (...a) => { if (!a.join(' ').includes('running TensorFlow.js in Node.js')) origWarn(...a); };
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');
await tf.setBackend('cpu');
tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
console.warn = origWarn;

const OUT = path.resolve(here, '../../tests/data/io');

const rand = mulberry32(0xE1A4);
const uniform = (n, scale) => Float32Array.from({ length: n }, () => Math.fround((rand() * 2 - 1) * scale));

// Saves `model` through tfjs' own model.save; `shardBytes` splits the weight data into several files the
// way tfjs' HTTP/browser handlers do (byte ranges, not aligned to weights).
async function saveModel(model, dir, shardBytes) {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    fs.mkdirSync(dir, { recursive: true });
    const data = Buffer.from(Array.isArray(artifacts.weightData)
      ? Buffer.concat(artifacts.weightData.map((b) => Buffer.from(b)))
      : Buffer.from(artifacts.weightData));
    const paths = [];
    if (!shardBytes) {
      paths.push('weights.bin');
      fs.writeFileSync(path.join(dir, 'weights.bin'), data);
    } else {
      const count = Math.ceil(data.length / shardBytes);
      for (let i = 0; i < count; ++i) {
        const name = `group1-shard${i + 1}of${count}.bin`;
        paths.push(name);
        fs.writeFileSync(path.join(dir, name), data.subarray(i * shardBytes, (i + 1) * shardBytes));
      }
    }
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

function setRandomWeights(layer) {
  const values = layer.getWeights().map((w) => tf.tensor(uniform(w.size, 0.6), w.shape, 'float32'));
  layer.setWeights(values);
}

const tensorJson = (t) => ({ shape: t.shape, data: Array.from(t.dataSync()) });

const models = [
  {
    name: 'tanh_sequences',
    shardBytes: 0,
    build: () => tfl.sequential({ layers: [
      tfl.layers.simpleRNN({ name: 'simple_rnn', units: 4, returnSequences: true, inputShape: [null, 3],
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }),
    ] }),
    input: [2, 5, 3],
  },
  {
    name: 'hard_sigmoid_no_bias',
    shardBytes: 0,
    build: () => tfl.sequential({ layers: [
      tfl.layers.simpleRNN({ name: 'rnn_hs', units: 3, activation: 'hardSigmoid', useBias: false, goBackwards: true,
        inputShape: [6, 2], kernelInitializer: 'heNormal', recurrentInitializer: 'zeros',
        kernelRegularizer: tfl.regularizers.l2({ l2: 0.001 }), kernelConstraint: tfl.constraints.maxNorm({ maxValue: 3 }) }),
    ] }),
    input: [3, 6, 2],
  },
  {
    name: 'stacked_sharded',
    shardBytes: 64,
    build: () => tfl.sequential({ layers: [
      tfl.layers.simpleRNN({ name: 'encoder', units: 5, activation: 'relu', returnSequences: true, inputShape: [null, 4],
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }),
      tfl.layers.simpleRNN({ name: 'decoder', units: 3, activation: 'linear',
        kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'ones' }),
    ] }),
    input: [2, 4, 4],
  },
];

const expected = { generator: 'tools/io_fixtures/make_tfjs.mjs', tfjs_layers: tfl.version_layers, models: [] };
for (const spec of models) {
  const model = spec.build();
  let x = tf.tensor(uniform(spec.input.reduce((a, b) => a * b, 1), 1.5), spec.input, 'float32');
  const entry = { name: spec.name, layers: [] };
  for (const layer of model.layers) {
    setRandomWeights(layer);
    const y = layer.apply(x);
    entry.layers.push({
      name: layer.name,
      weights: layer.getWeights().map(tensorJson),
      weight_names: layer.weights.map((w) => w.originalName),
      input: tensorJson(x),
      output: tensorJson(y),
    });
    x = y;
  }
  await saveModel(model, path.join(OUT, 'tfjs', spec.name), spec.shardBytes);
  expected.models.push(entry);
  console.log(`${spec.name}: ${model.layers.map((l) => l.name).join(', ')}`);
}
fs.writeFileSync(path.join(OUT, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
