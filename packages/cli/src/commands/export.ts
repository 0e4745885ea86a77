import { exportPlan } from '@frostline/core';
import type { ParsedCommand } from '../args';
import type { CliIO } from '../io';
import { planForCommand } from '../policy-file';
import { exportOnnxCommand } from './export-onnx';

type ExportCommand = Extract<ParsedCommand, { command: 'export' }>;

export async function exportCommand(cmd: ExportCommand, io: CliIO): Promise<number> {
  if (cmd.to === 'onnx') return exportOnnxCommand(cmd, io);
  const { model, plan } = await planForCommand({ ...cmd, policy: cmd.policy! });
  const code = exportPlan(plan, cmd.to, {
    ...(cmd.modelVar ? { modelVar: cmd.modelVar } : {}),
    ...(cmd.lr ? { lr: cmd.lr } : {}),
    ...(cmd.launcher ? { launcher: cmd.launcher } : {}),
  });
  if (cmd.flags.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: true, command: 'export', target: cmd.to, model: model.name, code })}\n`,
    );
  } else {
    io.stdout.write(code.endsWith('\n') ? code : `${code}\n`);
  }
  return 0;
}
