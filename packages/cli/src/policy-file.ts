import {
  type ParamInfo,
  type Plan,
  type PolicySpec,
  parsePolicy,
  planFreeze,
  validatePolicy,
} from '@frostline/core';
import { formatOf, readUserFile } from './files';

/** Loads a policy file (.json, .yaml, .yml) through core's parser, so errors carry the policy path. */
export function loadPolicyFile(path: string): PolicySpec {
  const text = readUserFile(path, 'policy file');
  try {
    return parsePolicy(text, { format: formatOf(path) });
  } catch (error) {
    prefixFile(error, path);
    throw error;
  }
}

/** A policy given inline in a run config (already parsed YAML/JSON). */
export function loadInlinePolicy(value: unknown): PolicySpec {
  return validatePolicy(value);
}

function prefixFile(error: unknown, path: string): void {
  if (error instanceof Error && !error.message.includes(path)) {
    error.message = `${path}: ${error.message}`;
  }
}

/** Plans with a policy from a file; errors name the file (`policy.yaml: rules[0].freeze: ...`). */
export function planWithPolicyFile(params: ParamInfo[], policy: PolicySpec, path: string, epoch = 0): Plan {
  try {
    return planFreeze(params, policy, { epoch });
  } catch (error) {
    prefixFile(error, path);
    throw error;
  }
}
