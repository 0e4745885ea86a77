import type { ParamInfo } from '@frostline/core';
import { fill, h } from './dom';
import type { StudioModel } from './model';
import { planTable } from './plan-table';
import { checkPolicy } from './policy';

/**
 * Validate the editor's text against the model and show either core's error (message, path, hint,
 * and one button per "did you mean" suggestion) or the live plan table.
 */
export function renderPolicy(
  text: string,
  params: readonly ParamInfo[] | undefined,
  model: StudioModel | undefined,
  errorsEl: HTMLElement,
  planEl: HTMLElement,
  applyFix: (fixed: string) => void,
): void {
  const check = checkPolicy(text, params);
  const editor = document.getElementById('policy-editor');
  editor?.setAttribute('aria-invalid', String(!check.ok));
  if (!check.ok) {
    // core names the bad selector in backquotes; a suggestion replaces its first occurrence.
    const bad = /selector `([^`]+)`/.exec(check.message)?.[1];
    fill(
      errorsEl,
      h(
        'div',
        { class: 'error', role: 'alert', 'data-code': check.code ?? '' },
        h('strong', {}, check.code ? `${check.code}: ` : ''),
        check.message,
        check.hint ? h('div', {}, `Hint: ${check.hint}`) : null,
        ...(bad
          ? check.suggestions.map((s) =>
              h(
                'button',
                { type: 'button', class: 'suggest', onclick: () => applyFix(text.replace(bad, s)) },
                `Use “${s}”`,
              ),
            )
          : []),
      ),
    );
    return;
  }
  const plan = check.plan;
  fill(
    errorsEl,
    h(
      'div',
      { class: 'ok' },
      `Valid policy: ${plan.summary.trainableTensors} trainable and ${plan.summary.frozenTensors} frozen tensors.`,
    ),
  );
  const stageOf = (layer: string) => model?.headed.stageOf(layer)?.name;
  fill(planEl, planTable(plan, stageOf));
  const summary = document.getElementById('plan-summary');
  if (summary)
    summary.textContent = `Plan (${plan.layers.filter((l) => l.params > 0).length} layers with weights)`;
}
