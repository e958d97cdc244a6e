// TensorFlow.js on its pure-JS CPU backend (no native add-on), set up the one way every generator here uses it.
// `require` is the caller's (createRequire(import.meta.url)), so the packages come from the caller's own
// node_modules and package-lock.json.
export async function tfjsCpu(require) {
  // Silence the "install tfjs-node" banner the CPU backend prints on first use in Node.
  const origWarn = console.warn;
  console.warn = (...a) => {
    if (a.join(' ').includes('looks like you are running TensorFlow.js in Node.js')) return;
    origWarn(...a);
  };
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  const tfl = require('@tensorflow/tfjs-layers');
  await tf.setBackend('cpu');
  tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync()); // first use prints the banner
  console.warn = origWarn;
  if (tf.getBackend() !== 'cpu') throw new Error('cpu backend not active');
  return { tf, tfl };
}
