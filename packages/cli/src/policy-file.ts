import { type ParamInfo, type Plan, type PolicySpec, parsePolicy, planFreeze } from '@frostline/core';
import { blame, blaming } from './errors';
import { formatOf, readUserFile } from './files';
import { type ResolvedModel, resolveModel } from './models';

/** Loads a policy file (.json, .yaml, .yml) through core's parser; its errors are blamed on the file. */
export function loadPolicyFile(path: string): PolicySpec {
  const text = readUserFile(path, 'policy file');
  return blaming({ file: path }, () => parsePolicy(text, { format: formatOf(path) }));
}

/** Where a model's parameter list came from, so an error in it is blamed on that file. */
export interface ParamsSource {
  file?: string;
}

/**
 * Plans with a policy from a file. An error about the parameter list (`params[3]`, a duplicate name)
 * is the model file's; any other is the policy file's.
 */
export function planWithPolicyFile(
  params: ParamInfo[],
  policy: PolicySpec,
  policyFile: string,
  epoch = 0,
  source: ParamsSource = {},
): Plan {
  try {
    return planFreeze(params, policy, { epoch });
  } catch (error) {
    const path = (error as { path?: unknown }).path;
    const aboutParams = typeof path === 'string' && /^params\b/.test(path);
    if (aboutParams && source.file) throw blame(error, { file: source.file });
    throw aboutParams ? error : blame(error, { file: policyFile });
  }
}

/** `plan` and `export`: the policy file, the model (with `--num-classes`) and the plan at `--epoch`. */
export async function planForCommand(cmd: {
  policy: string;
  model: string;
  epoch: number;
  numClasses?: number;
}): Promise<{ model: ResolvedModel; plan: Plan }> {
  const policy = loadPolicyFile(cmd.policy);
  const model = await resolveModel(
    cmd.model,
    cmd.numClasses !== undefined ? { numClasses: cmd.numClasses } : {},
  );
  const source = model.file ? { file: model.file } : {};
  return { model, plan: planWithPolicyFile(model.params, policy, cmd.policy, cmd.epoch, source) };
}
