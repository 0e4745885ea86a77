/**
 * Child process for the kill -9 save tests (run with `node --import tsx`): saves checkpoints of the
 * test MLP into argv[2] and announces progress on stdout so the parent can SIGKILL it at a known point.
 *   save-checkpoint.ts DIR STAGE VERSION  → save version VERSION, block forever at io stage STAGE
 *   save-checkpoint.ts DIR loop VERSION   → save versions VERSION, VERSION+1, … until killed
 */
import * as tf from '@tensorflow/tfjs';
import { saveCheckpoint } from '../../src/index';
import { type IoFaultStage, ioFaults } from '../../src/io';
import { mlp, seedWeights } from '../helpers';

const [dir, stage, first] = process.argv.slice(2) as [string, IoFaultStage | 'loop', string];
await tf.setBackend('cpu');
const model = mlp();
const say = (line: string) => process.stdout.write(`${line}\n`);

async function save(version: number): Promise<void> {
  seedWeights(model, version);
  await saveCheckpoint(dir, { model, policy: { rules: [{ freeze: 'd1' }] }, epoch: version });
}

if (stage === 'loop') {
  say('READY');
  for (let v = Number(first); ; v++) {
    await save(v);
    say(`SAVED ${v}`);
  }
} else {
  ioFaults.hook = (at) => {
    if (at !== stage) return;
    say(`AT ${at}`);
    // Block synchronously, exactly here, until the parent kills this process.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
  await save(Number(first));
  say('DONE');
}
