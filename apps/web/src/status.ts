import { byId } from './dom';
import { describeError } from './errors';

export type StatusKind = 'info' | 'ok' | 'error';

/** The one live status line (`status`): progress, results, and every error a user must see. */
export function setStatus(text: string, kind: StatusKind = 'info'): void {
  const el = byId('status');
  el.textContent = text;
  el.dataset.kind = kind;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

export function showError(e: unknown, prefix = ''): void {
  const d = describeError(e);
  setStatus(`${prefix}${d.message}${d.hint ? ` — ${d.hint}` : ''}`, 'error');
}
