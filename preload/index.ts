/**
 * Preload for the sandboxed renderer. Sandboxed preloads are CommonJS and may only require a
 * handful of modules ('electron' among them), so this file is bundled by Vite
 * (preload/vite.config.ts) into the single file dist/preload/index.cjs: it imports the
 * operation table itself instead of a hand-kept copy of the channel names.
 *
 * Exposes `window.deepscan`: one function per operation of the table, each a single
 * `ipcRenderer.invoke` on that operation's own channel with the operation's own arguments
 * (trailing undefined ones left out, so main applies its defaults). ipcRenderer itself is
 * never exposed.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { DeepscanApi, HostApi, TaskEvent } from '../common/api.js';
import { OPERATION_NAMES, OPERATIONS, TASK_EVENT_CHANNEL, trimArguments } from '../common/operations.js';

const api: Record<string, unknown> = {};
for (const name of OPERATION_NAMES) {
  const channel = OPERATIONS[name].channel;
  api[name] = (...args: unknown[]) => ipcRenderer.invoke(channel, ...trimArguments(args));
}
api.onTaskEvent = (listener: (event: TaskEvent) => void): (() => void) => {
  if (typeof listener !== 'function') throw new TypeError('onTaskEvent expects a function.');
  // Drop the IpcRendererEvent: it carries `sender` (the ipcRenderer) and must not reach the page.
  const wrapped = (_event: unknown, payload: TaskEvent): void => listener(payload);
  ipcRenderer.on(TASK_EVENT_CHANNEL, wrapped);
  return () => {
    ipcRenderer.removeListener(TASK_EVENT_CHANNEL, wrapped);
  };
};

contextBridge.exposeInMainWorld('deepscan', Object.freeze(api as DeepscanApi & HostApi));
