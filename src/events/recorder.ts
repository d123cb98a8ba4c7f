import { createWriteStream } from 'node:fs';

/** Past this many unwritten bytes the recorder drops events rather than hold them in memory. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export interface EventRecorder {
  /** Appends the events that were applied (not duplicates, not rejected), one JSON line each. */
  record(raw: readonly unknown[], statuses: ReadonlyArray<'applied' | 'duplicate' | 'rejected'>): void;
  /** Events not written because the file fell behind. */
  dropped(): number;
  close(): Promise<void>;
}

/**
 * Records every event NBO applies, whichever way it came in, as NDJSON — the input of
 * `nbo simulate` (docs/simulate.md). Appends; never blocks or fails an ingest: when the
 * disk falls behind, events are dropped and counted, and a write error stops recording.
 */
export function createEventRecorder(path: string, onError: (err: unknown) => void): EventRecorder {
  const out = createWriteStream(path, { flags: 'a' });
  let failed = false;
  let dropped = 0;
  out.on('error', (err) => {
    if (!failed) onError(err);
    failed = true;
  });
  return {
    record(raw, statuses) {
      if (failed) return;
      let text = '';
      raw.forEach((e, i) => {
        if (statuses[i] === 'applied') text += `${JSON.stringify(e)}\n`;
      });
      if (text === '') return;
      if (out.writableLength > MAX_PENDING_BYTES) {
        dropped += text.split('\n').length - 1;
        return;
      }
      out.write(text);
    },
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => (failed ? resolve() : out.end(() => resolve()))),
  };
}
