import { formatPlan, formatSummaryLine } from '@frostline/core';
import type { ParsedCommand } from '../args';
import type { CliIO } from '../io';
import { planForCommand } from '../policy-file';

type PlanCommand = Extract<ParsedCommand, { command: 'plan' }>;

export async function planCommand(cmd: PlanCommand, io: CliIO): Promise<number> {
  const { model, plan } = await planForCommand(cmd);
  if (cmd.flags.json) {
    const out = {
      ok: true,
      command: 'plan',
      model: { name: model.name, kind: model.kind },
      epoch: plan.epoch,
      summary: plan.summary,
      summaryLine: formatSummaryLine(plan),
      rules: plan.rules,
      layers: plan.layers,
      entries: plan.entries,
      ...(model.stages ? { stages: model.stages.map((s) => ({ name: s.name, layers: s.layers })) } : {}),
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const opts = { by: cmd.by, ...(cmd.maxRows ? { maxRows: cmd.maxRows } : {}) };
  if (cmd.format === 'json') {
    io.stdout.write(`${formatPlan(plan, 'json', opts).trimEnd()}\n`);
    return 0;
  }
  const text = formatPlan(plan, cmd.format, opts).trimEnd();
  io.stdout.write(`${text}\n`);
  const line = formatSummaryLine(plan);
  // core's table may already end with the summary line; print it once.
  if (!text.includes(line)) io.stdout.write(`${line}\n`);
  return 0;
}
