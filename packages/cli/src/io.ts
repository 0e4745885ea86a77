/** Where a command writes; tests pass string buffers, the bin passes the process streams. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  /** Environment (NO_COLOR, CI, FROSTLINE_*); defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Aborted on Ctrl-C by the bin; train checkpoints and stops. */
  signal?: AbortSignal;
}

export function processIO(signal?: AbortSignal): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, ...(signal ? { signal } : {}) };
}

/** A captured stream for tests and for callers that want the text. */
export class BufferStream implements OutStream {
  text = '';
  isTTY = false;
  columns = 100;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
