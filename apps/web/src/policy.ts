import { isPolicyError, type ParamInfo, type Plan, parsePolicy, planFreeze } from '@frostline/core';
import { describeError } from './errors';

/** Policies a user starts from; plain YAML so that what runs is exactly what the editor shows. */
export const PRESETS: Record<string, { label: string; text: string }> = {
  head: {
    label: 'Head only',
    text: `# Head only: the pretrained MobileNetV2 stays frozen (BatchNorm in inference mode);
# only the new classifier learns. Its features are computed once and cached.
default: frozen
rules:
  - unfreeze: head
    note: new classifier head
`,
  },
  lastStage: {
    label: 'Last stage + head',
    text: `# Fine-tune the last stage (block_16) and the head. BatchNorm stays frozen in inference mode,
# which Teachable Machine cannot do; the pretrained stage learns 10x slower than the head.
default: frozen
rules:
  - unfreeze: [stage6, head]
    note: last stage + head
  - freeze: type:BatchNormalization
    note: BN in inference mode
lr:
  mult:
    - { select: stage6, factor: 0.1 }
`,
  },
  gradual: {
    label: 'Gradual unfreezing',
    text: `# ULMFiT-style gradual unfreezing: the head first, then stage6 from epoch 3 and stage5 from
# epoch 5 (0-based 2 and 4); their BatchNorm layers stay frozen.
default: frozen
rules:
  - unfreeze: head
schedule:
  - kind: gradual
    groups:
      - { all: [stage5, "!type:BatchNormalization"] }
      - { all: [stage6, "!type:BatchNormalization"] }
    every: 2
    start: 2
`,
  },
};

export const DEFAULT_POLICY = PRESETS.head!.text;

export type PolicyCheck =
  | { ok: true; plan: Plan }
  | { ok: false; message: string; hint?: string; suggestions: string[]; path?: string; code?: string };

/** Parse the editor's text and plan it against the model's parameters; errors come from core as they are. */
export function checkPolicy(text: string, params: readonly ParamInfo[] | undefined): PolicyCheck {
  try {
    const spec = parsePolicy(text);
    if (!params) return { ok: false, message: 'the model is still loading', suggestions: [] };
    return { ok: true, plan: planFreeze(params, spec) };
  } catch (e) {
    const d = describeError(e);
    return {
      ok: false,
      ...d,
      suggestions: isPolicyError(e) ? [...e.suggestions] : [],
      ...(isPolicyError(e) && e.path ? { path: e.path } : {}),
    };
  }
}
