import './styles.css';
import type { TrainEvent } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, describeBackend } from './backend';
import { lineChart } from './charts';
import { activeClasses, checkClasses, oneHotLabels, type Split, splitClasses, toTensors } from './dataset';
import * as db from './db';
import { byId, fill, h, pct } from './dom';
import { downloadModel, downloadPolicy, downloadSnippet } from './downloads';
import { describeError, StudioError } from './errors';
import { type Evaluation, evaluate } from './evaluate';
import { featuresFor, headModel, isHeadOnly, pruneFeatures } from './features';
import { imageTensor, readImageFile } from './images';
import { buildModel, paramsOf, restoreWeights, type StudioModel, snapshotWeights } from './model';
import { checkPolicy, DEFAULT_POLICY, PRESETS } from './policy';
import { INPUT_SIZES, newId, newProject, type Project, type Settings } from './project';
import { exportProjectFile, importProjectFile } from './project-file';
import { setStatus, showError } from './status';
import { type FrozenCheck, predictImages, predictRows, runTraining } from './trainer';
import { classCard, thumbUrl } from './ui-classes';
import { renderPolicy } from './ui-policy';
import { confusionTable, epochTable, predictionRow } from './ui-results';
import { openWebcam } from './ui-webcam';

interface State {
  project: Project;
  /** The model the plan is shown for (and, once trained, predicts with). */
  model?: StudioModel;
  modelKey?: string;
  /** Set when `model` holds trained weights. */
  trained: boolean;
  classMsgs: Map<string, string[]>;
  abort?: AbortController;
  busy: boolean;
}

const state: State = {
  project: newProject(DEFAULT_POLICY),
  trained: false,
  classMsgs: new Map(),
  busy: false,
};
let modelBuild: Promise<void> = Promise.resolve();

// ---------- persistence ----------
let saveTimer: ReturnType<typeof setTimeout> | undefined;

/** Save the project to IndexedDB now (a failure is shown, never thrown). */
async function saveNow(): Promise<void> {
  clearTimeout(saveTimer);
  try {
    await db.saveProject(state.project);
    byId('project-saved').textContent = `saved ${new Date().toLocaleTimeString()}`;
    await refreshProjectList();
  } catch (e) {
    showError(e, 'Could not save the project in this browser: ');
  }
}

function scheduleSave(): void {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => void saveNow(), 400);
}

async function refreshProjectList(): Promise<void> {
  const list = await db.listProjects();
  const sel = byId<HTMLSelectElement>('project-list');
  fill(
    sel,
    ...list.map((p) =>
      h('option', { value: p.id, selected: p.id === state.project.id }, p.name || '(unnamed)'),
    ),
  );
}

// ---------- model & plan ----------
const modelKeyOf = (p: Project) => `${p.settings.inputSize}|${Math.max(2, activeClasses(p.classes).length)}`;

function disposeModel(): void {
  try {
    state.model?.headed.model.dispose();
  } catch {
    // Shared layers may already be released; nothing else holds them.
  }
  state.model = undefined;
  state.modelKey = undefined;
  state.trained = false;
}

/** (Re)build the model the plan table describes when the input size or class count changed. */
function ensureModel(): Promise<void> {
  modelBuild = modelBuild.then(async () => {
    const key = modelKeyOf(state.project);
    if (state.modelKey === key) return;
    disposeModel();
    const names = activeClasses(state.project.classes).map((c, i) => c.name.trim() || `class ${i + 1}`);
    while (names.length < 2) names.push(`class ${names.length + 1}`);
    setStatus(
      `Loading MobileNetV2 at ${state.project.settings.inputSize}×${state.project.settings.inputSize}…`,
    );
    state.model = await buildModel(state.project.settings.inputSize, names, state.project.settings.seed);
    state.modelKey = key;
    const saved = state.project.trained;
    if (
      saved &&
      saved.inputSize === state.project.settings.inputSize &&
      saved.classNames.length === names.length
    ) {
      state.model.classNames = [...saved.classNames];
      state.trained = restoreWeights(state.model, saved) === saved.tensors.length;
    }
    setStatus(
      state.trained
        ? `Model ready; trained weights for ${saved!.classNames.join(', ')} restored from the project.`
        : 'Model ready. Name your classes and add images.',
      'ok',
    );
  });
  return modelBuild.then(updatePolicy).catch((e) => showError(e));
}

function updatePolicy(): void {
  const params = state.model ? paramsOf(state.model) : undefined;
  renderPolicy(
    state.project.policyText,
    params,
    state.model,
    byId('policy-errors'),
    byId('plan'),
    (fixed) => {
      byId<HTMLTextAreaElement>('policy-editor').value = fixed;
      state.project.policyText = fixed;
      scheduleSave();
      updatePolicy();
    },
  );
  byId<HTMLButtonElement>('dl-model').disabled = !state.trained;
}

// ---------- classes & images ----------
function renderClasses(): void {
  const cards = state.project.classes.map((c, i) =>
    classCard(c, i + 1, state.classMsgs.get(c.id) ?? [], classCallbacks, state.project.classes.length > 1),
  );
  fill(byId('classes'), ...cards);
}

function classesChanged(): void {
  pruneFeatures(state.project);
  renderClasses();
  scheduleSave();
  void ensureModel();
}

const classCallbacks = {
  rename(c: Project['classes'][number], name: string) {
    c.name = name.trim();
    classesChanged();
  },
  async addFiles(c: Project['classes'][number], files: File[]) {
    const label = c.name || `class ${state.project.classes.indexOf(c) + 1}`;
    const errors: string[] = [];
    let added = 0;
    setStatus(`Reading ${files.length} file${files.length === 1 ? '' : 's'} for ${label}…`);
    for (const f of files) {
      try {
        c.images.push(await readImageFile(f));
        added++;
      } catch (e) {
        const d = describeError(e);
        errors.push(`${d.message}${d.hint ? ` — ${d.hint}` : ''}`);
      }
    }
    state.classMsgs.set(c.id, errors);
    classesChanged();
    if (errors.length) {
      setStatus(`${label}: added ${added}, refused ${errors.length}: ${errors.join('; ')}`, 'error');
    } else
      setStatus(`${label}: added ${added} image${added === 1 ? '' : 's'} (${c.images.length} in all).`, 'ok');
  },
  removeImage(c: Project['classes'][number], img: Project['classes'][number]['images'][number]) {
    c.images = c.images.filter((x) => x !== img);
    classesChanged();
  },
  webcam(c: Project['classes'][number]) {
    const label = c.name || `class ${state.project.classes.indexOf(c) + 1}`;
    openWebcam(label, (files) => void classCallbacks.addFiles(c, files)).catch((e) => showError(e));
  },
  removeClass(c: Project['classes'][number]) {
    state.project.classes = state.project.classes.filter((x) => x !== c);
    classesChanged();
  },
};

// ---------- training ----------
/** Why training cannot start (classes, policy), shown on the status line; true when it can. */
async function preflight(): Promise<boolean> {
  try {
    checkClasses(state.project.classes);
  } catch (e) {
    showError(e, 'Cannot train yet: ');
    return false;
  }
  await modelBuild;
  const check = checkPolicy(state.project.policyText, state.model ? paramsOf(state.model) : undefined);
  if (!check.ok) setStatus(`Cannot train: the policy is invalid — ${check.message}`, 'error');
  return check.ok;
}

function showFrozenCheck(f: FrozenCheck): void {
  const el = byId('fingerprints');
  el.textContent =
    f.changed.length === 0
      ? `verified unchanged: ${f.checked} frozen tensors bit-identical (fingerprint ${f.before} before, ${f.after} after)`
      : `CHANGED: ${f.changed.length} of ${f.checked} frozen tensors (${f.changed.slice(0, 5).join(', ')})`;
  el.dataset.ok = String(f.changed.length === 0 && f.before === f.after);
}

function showEvaluation(ev: Evaluation, names: readonly string[]): void {
  const el = byId('val-accuracy');
  el.textContent = `${pct(ev.accuracy)} (${ev.perClass.reduce((a, c) => a + c.correct, 0)}/${ev.total})`;
  el.dataset.value = String(ev.accuracy);
  fill(byId('confusion'), confusionTable(ev, names));
}

/** Build a fresh model, prepare the data the plan needs, train, verify, evaluate, keep the result. */
// One run's whole lifecycle in one place, so that its `finally` releases everything the run made.
async function trainAction(): Promise<void> {
  if (state.busy || !(await preflight())) return;
  const p = state.project;
  const classes = activeClasses(p.classes);
  state.busy = true;
  const abort = new AbortController();
  state.abort = abort;
  byId<HTMLButtonElement>('train').disabled = true;
  byId<HTMLButtonElement>('abort').disabled = false;
  const owned: tf.Tensor[] = [];
  let headNet: tf.LayersModel | undefined;
  try {
    const backend = await chooseBackend(p.settings.backend);
    byId('backend').textContent = describeBackend(backend);
    console.info(`frostline studio: TF.js backend ${describeBackend(backend)}`);
    const names = classes.map((c) => c.name.trim());
    disposeModel();
    setStatus('Loading MobileNetV2…');
    const model = await buildModel(p.settings.inputSize, names, p.settings.seed);
    state.model = model;
    state.modelKey = modelKeyOf(p);
    const params = paramsOf(model);
    const planCheck = checkPolicy(p.policyText, params);
    if (!planCheck.ok) throw new StudioError('BAD_SETTING', planCheck.message);
    const plan = planCheck.plan;
    const split = splitClasses(classes, p.settings.heldOut, p.settings.seed);
    const view = trainingView(p.settings);
    const headOnly = isHeadOnly(model, params, plan.policy, p.settings.epochs);
    const data = headOnly
      ? await featureData(model, split, names.length, owned, abort.signal)
      : await imageData(model, split, names.length, owned);
    view.persisted = headOnly;
    if (headOnly) headNet = data.net.model;
    const run = await runTraining({
      model,
      net: data.net,
      // The head model holds exactly the plan's trainable parameters; name selectors keep them so.
      policy: headOnly
        ? { default: 'frozen', rules: [{ unfreeze: plan.trainableNames().map((n) => `name:${n}`) }] }
        : plan.policy,
      plan,
      data: { train: data.train, validation: data.heldOut },
      settings: p.settings,
      signal: abort.signal,
      onEvent: view.onEvent,
    });
    showFrozenCheck(run.frozen);
    // Held-out inputs are already what the trained net takes (features or preprocessed images).
    const probs = predictRows(data.net.model, data.heldOut.x, p.settings.batchSize);
    const ev = evaluate(
      split.heldOut.map((s) => s.label),
      probs,
      names.length,
    );
    showEvaluation(ev, names);
    state.trained = true;
    p.trained = snapshotWeights(model, new Set(run.plan.trainableNames()), p.policyText);
    await saveNow();
    // Finished runs, counted on the status line so that scripts can wait for "this run is done".
    const st = byId('status');
    st.dataset.runs = String(Number(st.dataset.runs ?? 0) + 1);
    updatePolicy();
    const epochs = run.result.history.length;
    setStatus(
      `Trained ${epochs} epoch${epochs === 1 ? '' : 's'} on ${backend.name} in ${(run.result.timing.totalMs / 1000).toFixed(1)} s: held-out accuracy ${pct(ev.accuracy)}.`,
      'ok',
    );
  } catch (e) {
    if (abort.signal.aborted) {
      setStatus(
        'Training stopped. Nothing was saved: the project keeps its previous trained weights.',
        'info',
      );
    } else showError(e, 'Training failed: ');
  } finally {
    for (const t of owned) t.dispose();
    // The head model shares its layers with the full one: disposing it only drops its references.
    headNet?.dispose();
    // Shown so that a leak (a count growing run after run) is visible, and tested.
    byId('tensors').textContent = `${tf.memory().numTensors} in memory after this run`;
    byId('tensors').dataset.count = String(tf.memory().numTensors);
    state.busy = false;
    byId<HTMLButtonElement>('train').disabled = false;
    byId<HTMLButtonElement>('abort').disabled = true;
  }
}

interface RunData {
  net: { model: tf.LayersModel; headOnly: boolean };
  train: { x: tf.Tensor; y: tf.Tensor };
  heldOut: { x: tf.Tensor; y: tf.Tensor };
}

const labelsOf = (items: Split['train'], n: number, owned: tf.Tensor[]) => {
  const y = oneHotLabels(items, n);
  owned.push(y);
  return y;
};

/** Head-only plans: backbone features from the project's store (computed once per image and size). */
async function featureData(
  model: StudioModel,
  split: Split,
  n: number,
  owned: tf.Tensor[],
  signal: AbortSignal,
): Promise<RunData> {
  const p = state.project;
  const total = split.train.length + split.heldOut.length;
  const progress = (k: number) => setStatus(`Computing backbone features ${k}/${total}…`);
  const tr = await featuresFor(model, p, split.train, p.settings.batchSize, progress, signal);
  const ho = await featuresFor(
    model,
    p,
    split.heldOut,
    p.settings.batchSize,
    (k) => progress(split.train.length + k),
    signal,
  );
  owned.push(tr.x, ho.x);
  const built = tr.built + ho.built;
  const cache = byId('cache');
  cache.textContent = `${built ? 'built' : 'hit'}: features of ${tr.hit + ho.hit} images reused from the project, ${built} computed (${Math.round(tr.ms + ho.ms)} ms); kept with the project, so reopening it does not recompute them`;
  cache.dataset.status = built ? 'built' : 'hit';
  cache.dataset.built = String(built);
  const head = headModel(model);
  return {
    net: { model: head, headOnly: true },
    train: { x: tr.x, y: labelsOf(split.train, n, owned) },
    heldOut: { x: ho.x, y: labelsOf(split.heldOut, n, owned) },
  };
}

/** Other plans: preprocessed images; frostline's trainer caches the frozen prefix within the run. */
async function imageData(model: StudioModel, split: Split, n: number, owned: tf.Tensor[]): Promise<RunData> {
  const p = state.project;
  const total = split.train.length + split.heldOut.length;
  const progress = (k: number) => setStatus(`Decoding images ${k}/${total}…`);
  const tr = await toTensors(split.train, p.settings.inputSize, n, progress);
  owned.push(tr.x, tr.y);
  const ho = await toTensors(split.heldOut, p.settings.inputSize, n, (k) => progress(split.train.length + k));
  owned.push(ho.x, ho.y);
  const xTrain = model.headed.preprocess(tr.x);
  const xHeld = model.headed.preprocess(ho.x);
  owned.push(xTrain, xHeld);
  return {
    net: { model: model.headed.model, headOnly: false },
    train: { x: xTrain, y: tr.y },
    heldOut: { x: xHeld, y: ho.y },
  };
}

/**
 * Progress bar, cache status, per-epoch table and charts, fed by the trainer's events. With
 * `persisted` set, the cache line shows the project's feature store instead of the trainer's cache.
 */
function trainingView(s: Settings): { onEvent: (e: TrainEvent) => void; persisted: boolean } {
  const view = { onEvent: (_e: TrainEvent) => {}, persisted: false };
  const bar = byId<HTMLProgressElement>('progress');
  const history: Parameters<typeof lineChart>[1][number][] = [];
  const cache = new Map<number, string>();
  const ms = new Map<number, number>();
  let batches = 1;
  fill(byId('charts'));
  fill(byId('epochs'));
  byId('fingerprints').textContent = '–';
  byId('val-accuracy').textContent = '–';
  byId('cache').textContent = '–';
  view.onEvent = (e) => {
    if (e.type === 'start') {
      batches = e.batches;
      setStatus(
        `Training ${e.examples} images (${e.validationExamples} held out) for ${s.epochs} epochs on ${e.backend}…`,
      );
    } else if (e.type === 'cache' && !view.persisted) {
      const text = `${e.status}${e.status === 'hit' ? '' : ` — ${e.reason}`}${e.cutLayer ? ` (frozen prefix: ${e.prefixLayers} layers up to ${e.cutLayer}, ${Math.round(e.ms)} ms)` : ''}`;
      cache.set(e.epoch, e.status);
      byId('cache').textContent = `epoch ${e.epoch + 1}: ${text}`;
      byId('cache').dataset.status = e.status;
    } else if (e.type === 'batchEnd') {
      bar.value = (e.epoch + (e.batch + 1) / batches) / s.epochs;
    } else if (e.type === 'epochEnd') {
      history.push(e.logs);
      // Persisted features: built (or hit) before epoch 1, read from memory in every later epoch.
      if (view.persisted) cache.set(e.epoch, e.epoch === 0 ? (byId('cache').dataset.status ?? '–') : 'hit');
      ms.set(e.epoch, e.ms);
      bar.value = (e.epoch + 1) / s.epochs;
      fill(byId('charts'), lineChart('Loss', history, 'loss'), lineChart('Accuracy', history, 'acc'));
      fill(byId('epochs'), epochTable(history, cache, ms));
      setStatus(
        `Epoch ${e.epoch + 1}/${e.epochs}: loss ${e.logs.loss.toFixed(4)}, held-out accuracy ${pct(e.logs.val_acc)}`,
      );
    } else if (e.type === 'verify' && !e.ok) {
      byId('fingerprints').textContent =
        `CHANGED during epoch ${e.epoch + 1}: ${e.changed.slice(0, 5).join(', ')}`;
    }
  };
  return view;
}

// ---------- prediction ----------
async function predictAction(files: File[]): Promise<void> {
  const out = byId('prediction');
  if (!state.trained || !state.model) {
    showError(new StudioError('NOT_TRAINED', 'there is no trained model yet', 'train first, then predict'));
    return;
  }
  const m = state.model;
  const rows: HTMLElement[] = [];
  for (const f of files) {
    try {
      const img = await readImageFile(f);
      const x = await imageTensor(img, m.inputSize);
      const batch = x.expandDims(0) as tf.Tensor4D;
      const [probs] = predictImages(m, batch, 1);
      x.dispose();
      batch.dispose();
      rows.push(predictionRow(f.name, thumbUrl(img), probs!, m.classNames));
    } catch (e) {
      const d = describeError(e);
      rows.push(h('p', { class: 'msgs', role: 'alert' }, `${d.message}${d.hint ? ` — ${d.hint}` : ''}`));
    }
  }
  fill(out, ...rows);
  setStatus(`Predicted ${files.length} image${files.length === 1 ? '' : 's'}.`, 'ok');
}

// ---------- projects ----------
function showProject(p: Project): void {
  state.project = p;
  state.classMsgs.clear();
  disposeModel();
  byId<HTMLInputElement>('project-name').value = p.name;
  byId<HTMLTextAreaElement>('policy-editor').value = p.policyText;
  for (const k of ['epochs', 'batchSize', 'learningRate', 'heldOut', 'inputSize', 'backend'] as const) {
    byId<HTMLInputElement>(`set-${k}`).value = String(p.settings[k]);
  }
  fill(byId('confusion'));
  fill(byId('prediction'));
  renderClasses();
  void ensureModel();
  void refreshProjectList();
}

function bindProjectBar(): void {
  byId('project-name').addEventListener('change', (e) => {
    state.project.name = (e.target as HTMLInputElement).value.trim() || 'My project';
    scheduleSave();
  });
  byId('project-list').addEventListener('change', async (e) => {
    const p = await db.loadProject((e.target as HTMLSelectElement).value);
    if (p) showProject(p);
  });
  byId('project-new').addEventListener('click', () => showProject(newProject(DEFAULT_POLICY)));
  byId('project-export').addEventListener('click', () => {
    const url = URL.createObjectURL(exportProjectFile(state.project));
    const a = h('a', {
      href: url,
      download: `${state.project.name.replace(/[^\w.-]+/g, '_') || 'project'}.frostline.json`,
    });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  byId('project-import').addEventListener('change', async (e) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const p = await importProjectFile(file);
      p.id = newId(); // an import never overwrites a saved project
      showProject(p);
      scheduleSave();
      setStatus(`Imported "${p.name}".`, 'ok');
    } catch (err) {
      showError(err);
    }
  });
  byId('project-delete').addEventListener('click', async () => {
    await db.deleteProject(state.project.id).catch((e) => showError(e));
    showProject(newProject(DEFAULT_POLICY));
  });
}

function bindSettings(): void {
  const size = byId<HTMLSelectElement>('set-inputSize');
  fill(size, ...INPUT_SIZES.map((s) => h('option', { value: s }, `${s}×${s}`)));
  const numeric = {
    epochs: [1, 500, true],
    batchSize: [1, 512, true],
    learningRate: [1e-6, 1, false],
    heldOut: [0.05, 0.5, false],
  } as const;
  for (const [k, [lo, hi, int]] of Object.entries(numeric) as Array<
    [keyof typeof numeric, readonly [number, number, boolean]]
  >) {
    byId(`set-${k}`).addEventListener('change', (e) => {
      const input = e.target as HTMLInputElement;
      const v = Number(input.value);
      if (!Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
        setStatus(
          `${k} must be ${int ? 'a whole number' : 'a number'} from ${lo} to ${hi}; kept ${state.project.settings[k]}.`,
          'error',
        );
        input.value = String(state.project.settings[k]);
        return;
      }
      state.project.settings[k] = v;
      scheduleSave();
    });
  }
  size.addEventListener('change', () => {
    state.project.settings.inputSize = Number(size.value);
    scheduleSave();
    void ensureModel();
  });
  byId<HTMLSelectElement>('set-backend').addEventListener('change', (e) => {
    state.project.settings.backend = (e.target as HTMLSelectElement).value as Settings['backend'];
    scheduleSave();
  });
}

function bindPolicy(): void {
  const editor = byId<HTMLTextAreaElement>('policy-editor');
  let t: ReturnType<typeof setTimeout> | undefined;
  editor.addEventListener('input', () => {
    clearTimeout(t);
    t = setTimeout(() => {
      state.project.policyText = editor.value;
      scheduleSave();
      updatePolicy();
    }, 150);
  });
  fill(
    byId('presets'),
    ...Object.values(PRESETS).map((preset) =>
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            editor.value = preset.text;
            state.project.policyText = preset.text;
            scheduleSave();
            updatePolicy();
          },
        },
        preset.label,
      ),
    ),
  );
}

async function boot(): Promise<void> {
  bindProjectBar();
  bindSettings();
  bindPolicy();
  byId('add-class').addEventListener('click', () => {
    state.project.classes.push({ id: newId(), name: '', images: [] });
    classesChanged();
    byId(`class-name-${state.project.classes.length}`).focus();
  });
  byId('train').addEventListener('click', () => void trainAction());
  byId('abort').addEventListener('click', () => state.abort?.abort());
  byId('predict-files').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    void predictAction([...(input.files ?? [])]).finally(() => {
      input.value = '';
    });
  });
  byId('dl-model').addEventListener('click', () => {
    if (state.model && state.trained)
      void downloadModel(state.model.headed.model, 'frostline-model').catch((e) => showError(e));
  });
  byId('dl-policy').addEventListener('click', () => downloadPolicy(state.project.policyText));
  for (const target of ['pytorch', 'paddle'] as const) {
    byId(`dl-${target}`).addEventListener('click', () => {
      const check = checkPolicy(state.project.policyText, state.model ? paramsOf(state.model) : undefined);
      if (check.ok) downloadSnippet(check.plan, target);
      else setStatus(`Fix the policy first: ${check.message}`, 'error');
    });
  }
  const params = new URLSearchParams(location.search);
  let project = newProject(DEFAULT_POLICY);
  const saved = await db.listProjects().catch(() => []);
  if (saved[0] && !params.has('fresh')) project = (await db.loadProject(saved[0].id)) ?? project;
  const forced = params.get('backend');
  if (forced === 'webgl' || forced === 'wasm' || forced === 'cpu') project.settings.backend = forced;
  const size = Number(params.get('size'));
  if ((INPUT_SIZES as readonly number[]).includes(size)) project.settings.inputSize = size;
  try {
    const backend = await chooseBackend(project.settings.backend);
    byId('backend').textContent = describeBackend(backend);
  } catch (e) {
    showError(e);
  }
  showProject(project);
}

void boot().catch((e) => showError(e, 'The app could not start: '));
