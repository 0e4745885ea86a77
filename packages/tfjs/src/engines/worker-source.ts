/**
 * The code each pool worker runs (a CommonJS script started with `eval: true`, so it needs no file of
 * its own next to the bundle). It loads TF.js and the wasm backend from the absolute paths the main
 * thread resolved, loads the prefix model from in-memory artifacts, then answers `run` messages with
 * the prefix output for its slice of the batch.
 */
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// TF.js greets every new Node process with a tfjs-node advert; a pool would print it once per worker.
const warn = console.warn;
console.warn = (...a) => { if (!String(a[0]).includes('tfjs-node')) warn(...a); };
const tf = require(workerData.tfjsPath);
const wasm = require(workerData.wasmPath);
async function main() {
  wasm.setWasmPaths(workerData.wasmDir);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise in a worker');
  await tf.ready();
  const model = await tf.loadLayersModel(tf.io.fromMemory(workerData.artifacts));
  parentPort.on('message', (m) => {
    if (m.type === 'memory') {
      parentPort.postMessage({ type: 'memory', id: m.id, numTensors: tf.memory().numTensors });
      return;
    }
    try {
      const out = tf.tidy(() => model.predict(tf.tensor(m.data, m.shape)));
      const data = out.dataSync().slice();
      const shape = out.shape;
      out.dispose();
      parentPort.postMessage({ type: 'result', id: m.id, data, shape }, [data.buffer]);
    } catch (e) {
      parentPort.postMessage({ type: 'error', id: m.id, message: String((e && e.stack) || e) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
}
main().catch((e) => parentPort.postMessage({ type: 'error', id: -1, message: String((e && e.stack) || e) }));
`;
