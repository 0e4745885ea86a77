/** The project a user works on: everything the app keeps in IndexedDB and in an exported file. */

export interface ImageRecord {
  id: string;
  name: string;
  type: string;
  bytes: ArrayBuffer;
  width: number;
  height: number;
}

export interface ClassRecord {
  id: string;
  name: string;
  images: ImageRecord[];
}

export type BackendPref = 'auto' | 'webgl' | 'wasm' | 'cpu';

export interface Settings {
  inputSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Fraction of each class held out for evaluation. */
  heldOut: number;
  backend: BackendPref;
  seed: number;
}

/** Weights a training run changed (the plan's trainable parameters), by frostline parameter name. */
export interface TrainedWeights {
  classNames: string[];
  inputSize: number;
  policyText: string;
  tensors: Array<{ name: string; shape: number[]; data: Float32Array }>;
}

/** Backbone features of one image at one input size (the persisted activation cache). */
export interface FeatureRecord {
  key: string;
  data: Float32Array;
}

export interface Project {
  id: string;
  name: string;
  classes: ClassRecord[];
  policyText: string;
  settings: Settings;
  trained?: TrainedWeights;
  features: FeatureRecord[];
  updatedAt: number;
}

export const INPUT_SIZES = [96, 128, 160, 192, 224] as const;

export const DEFAULT_SETTINGS: Settings = {
  inputSize: 224,
  epochs: 10,
  batchSize: 16,
  learningRate: 0.001,
  heldOut: 0.25,
  backend: 'auto',
  seed: 42,
};

export const newId = () => crypto.randomUUID();

export function newProject(policyText: string): Project {
  return {
    id: newId(),
    name: 'My project',
    classes: [
      { id: newId(), name: '', images: [] },
      { id: newId(), name: '', images: [] },
    ],
    policyText,
    settings: { ...DEFAULT_SETTINGS },
    features: [],
    updatedAt: Date.now(),
  };
}

/** Key of an image's cached features: same image, size and model → same features. */
export const featureKey = (imageId: string, inputSize: number) => `mobilenet_v2@${inputSize}:${imageId}`;
