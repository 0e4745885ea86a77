#!/usr/bin/env node
import { EXIT_INTERRUPTED } from './errors';
import { processIO } from './io';
import { main } from './main';

// Ctrl-C aborts the signal: `train` saves a checkpoint and returns 130. A second Ctrl-C exits at once.
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
  controller.abort();
});

main(process.argv.slice(2), processIO(controller.signal)).then(
  (code) => {
    process.exitCode = code;
    // TF.js (wasm, timers) can keep the event loop alive after a run; the work is done.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error) => {
    process.stderr.write(`frostline: error: ${String(error)}\n`);
    process.exit(1);
  },
);
