import * as fs from 'node:fs';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureBackend, loadTfjs } from '../adapters';
import type { ParsedCommand } from '../args';
import { CliError } from '../errors';
import type { CliIO } from '../io';

type ExportCommand = Extract<ParsedCommand, { command: 'export' }>;

/** A run folder (with model/), a model folder or its model.json → the folder holding model.json. */
function modelFolder(spec: string): string {
  const p = resolve(spec);
  const candidates = [p.endsWith('model.json') ? dirname(p) : p, join(p, 'model')];
  const found = candidates.find((d) => existsSync(join(d, 'model.json')));
  if (!found) {
    throw new CliError(
      'FILE_NOT_FOUND',
      `no model.json in '${spec}' (give a trained model folder, e.g. the model/ folder of a 'frostline train' run)`,
    );
  }
  return found;
}

/** `frostline export --to onnx`: a trained TF.js model → an ONNX file, written atomically, never overwriting. */
export async function exportOnnxCommand(cmd: ExportCommand, io: CliIO): Promise<number> {
  const output = resolve(cmd.output!);
  if (existsSync(output)) {
    throw new CliError(
      'BAD_OPTION',
      `--output '${cmd.output}' already exists; frostline never overwrites files (choose another name or remove it)`,
    );
  }
  const dir = modelFolder(cmd.model);
  await ensureBackend();
  const tfjs = await loadTfjs();
  const model = await tfjs.loadModel(dir);
  const bytes = await tfjs.exportOnnx(model, {
    ...(cmd.upTo ? { upTo: cmd.upTo } : {}),
    ...(cmd.opset ? { opset: cmd.opset } : {}),
  });
  // Not mkdirSync(…, { recursive: true }): it never returns for a path under /proc on Node 20.
  tfjs.ensureDirSync(fs, path, dirname(output), 'create the output folder');
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, output);
  } finally {
    rmSync(tmp, { force: true });
  }
  const size = statSync(output).size;
  if (cmd.flags.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, command: 'export', target: 'onnx', model: dir, output, bytes: size, ...(cmd.upTo ? { upTo: cmd.upTo } : {}) })}\n`,
    );
  } else {
    io.stdout.write(
      `wrote ${output} (${(size / 1024).toFixed(0)} KiB ONNX${cmd.upTo ? `, up to '${cmd.upTo}'` : ''})\n`,
    );
  }
  return 0;
}
