import { exportPlan } from '@frostline/core';
import type { ParsedCommand } from '../args';
import type { CliIO } from '../io';
import { resolveModel } from '../models';
import { loadPolicyFile, planWithPolicyFile } from '../policy-file';

type ExportCommand = Extract<ParsedCommand, { command: 'export' }>;

export async function exportCommand(cmd: ExportCommand, io: CliIO): Promise<number> {
  const policy = loadPolicyFile(cmd.policy);
  const model = await resolveModel(
    cmd.model,
    cmd.numClasses !== undefined ? { numClasses: cmd.numClasses } : {},
  );
  const plan = planWithPolicyFile(
    model.params,
    policy,
    cmd.policy,
    cmd.epoch,
    model.file ? { file: model.file } : {},
  );
  const code = exportPlan(plan, cmd.to, {
    ...(cmd.modelVar ? { modelVar: cmd.modelVar } : {}),
    ...(cmd.lr ? { lr: cmd.lr } : {}),
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
