import { type ParamInfo, type Plan, type PolicySpec, parsePolicy, planFreeze } from '@frostline/core';
import { blame, blaming } from './errors';
import { formatOf, readUserFile } from './files';

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
