import type { Project } from './project';

// One object store of whole projects (images, weights and features are ArrayBuffers / typed arrays,
// which IndexedDB stores natively through structured clone).
const DB_NAME = 'frostline-studio';
const STORE = 'projects';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB is unavailable'));
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error ?? req.error);
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export const saveProject = (p: Project) => tx('readwrite', (s) => s.put({ ...p, updatedAt: Date.now() }));
export const loadProject = (id: string) => tx<Project | undefined>('readonly', (s) => s.get(id));
export const deleteProject = (id: string) => tx('readwrite', (s) => s.delete(id));

/** Projects, newest first (id, name, time only). */
export async function listProjects(): Promise<Array<{ id: string; name: string; updatedAt: number }>> {
  const all = await tx<Project[]>('readonly', (s) => s.getAll());
  return all
    .map(({ id, name, updatedAt }) => ({ id, name, updatedAt }))
    .sort((a, b) => b.updatedAt - a.updatedAt);
}
