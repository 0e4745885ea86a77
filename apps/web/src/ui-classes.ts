import { h } from './dom';
import type { ClassRecord, ImageRecord } from './project';

export interface ClassCallbacks {
  rename(c: ClassRecord, name: string): void;
  addFiles(c: ClassRecord, files: File[]): void;
  removeImage(c: ClassRecord, img: ImageRecord): void;
  removeClass(c: ClassRecord): void;
  webcam(c: ClassRecord): void;
}

const MAX_THUMBS = 48;
const urls = new WeakMap<ImageRecord, string>();

/** Object URL of an image's bytes, made once per record. */
export function thumbUrl(img: ImageRecord): string {
  let u = urls.get(img);
  if (!u) {
    u = URL.createObjectURL(new Blob([img.bytes], { type: img.type }));
    urls.set(img, u);
  }
  return u;
}

/**
 * One card per class: name input (`class-name-N`), file input (`class-files-N`), a drop zone,
 * thumbnails and the messages of its last upload. N counts from 1, as the visible labels do.
 */
// Long only because it is one element tree (inputs, buttons, thumbnails) plus its drop handlers.
export function classCard(
  c: ClassRecord,
  n: number,
  messages: readonly string[],
  cb: ClassCallbacks,
  canRemove: boolean,
): HTMLElement {
  const nameId = `class-name-${n}`;
  const shown = c.images.slice(0, MAX_THUMBS);
  const card = h(
    'div',
    { class: 'class-card', role: 'group', 'aria-labelledby': `${nameId}-label` },
    h('label', { for: nameId, id: `${nameId}-label` }, `Class ${n} name`),
    h('input', {
      id: nameId,
      type: 'text',
      'data-testid': nameId,
      value: c.name,
      placeholder: `e.g. ${n === 1 ? 'cat' : n === 2 ? 'dog' : 'bird'}`,
      autocomplete: 'off',
      onchange: (e: Event) => cb.rename(c, (e.target as HTMLInputElement).value),
    }),
    h(
      'div',
      { class: 'row' },
      h(
        'label',
        { class: 'file-button' },
        `Add images`,
        h('input', {
          type: 'file',
          accept: 'image/*',
          multiple: true,
          'data-testid': `class-files-${n}`,
          'aria-label': `Add images to class ${n}`,
          onchange: (e: Event) => {
            const input = e.target as HTMLInputElement;
            cb.addFiles(c, [...(input.files ?? [])]);
            input.value = '';
          },
        }),
      ),
      h(
        'span',
        { class: 'muted', 'data-testid': `class-count-${n}` },
        `${c.images.length} image${c.images.length === 1 ? '' : 's'}`,
      ),
      h(
        'button',
        { type: 'button', 'data-testid': `class-webcam-${n}`, onclick: () => cb.webcam(c) },
        'Webcam',
      ),
      canRemove &&
        h(
          'button',
          { type: 'button', 'aria-label': `Remove class ${n}`, onclick: () => cb.removeClass(c) },
          'Remove class',
        ),
    ),
    messages.length > 0 && h('ul', { class: 'msgs', role: 'alert' }, ...messages.map((m) => h('li', {}, m))),
    h(
      'div',
      { class: 'thumbs' },
      ...shown.map((img) =>
        h(
          'span',
          { class: 'thumb' },
          h('img', { src: thumbUrl(img), alt: img.name, loading: 'lazy' }),
          h(
            'button',
            { type: 'button', 'aria-label': `Remove ${img.name}`, onclick: () => cb.removeImage(c, img) },
            '×',
          ),
        ),
      ),
      c.images.length > MAX_THUMBS && h('span', { class: 'muted' }, `+${c.images.length - MAX_THUMBS} more`),
    ),
  );
  card.addEventListener('dragover', (e) => {
    e.preventDefault();
    card.classList.add('drag');
  });
  card.addEventListener('dragleave', () => card.classList.remove('drag'));
  card.addEventListener('drop', (e) => {
    e.preventDefault();
    card.classList.remove('drag');
    cb.addFiles(c, [...(e.dataTransfer?.files ?? [])]);
  });
  return card;
}
