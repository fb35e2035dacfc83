/**
 * The only module that touches `ipcMain`. Binds each invoke channel to its handler, refuses
 * calls from any frame that is not our own renderer (app://deepscan/… in our window), and
 * forwards the service's task events to the window.
 */
import { app, dialog, ipcMain, shell, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS, type DeepscanApi, type TaskEvent } from '../../common/api.js';
import { fail } from '../../common/result.js';
import { createIpcHandlers, type IpcHandler } from './handlers.js';
import { createReportHost } from './report-host.js';
import { isAppUrl } from './validate.js';

export interface RegisterIpcOptions {
  service: DeepscanApi;
  window: BrowserWindow;
  log?: (message: string, error: unknown) => void;
}

function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow): boolean {
  if (window.isDestroyed() || event.sender !== window.webContents) return false;
  const frame = event.senderFrame;
  // Only the top-level frame of our page: no subframes, no other origins.
  return frame !== null && frame.parent === null && isAppUrl(frame.url);
}

/** Registers all channels; returns a function that removes them and stops forwarding events. */
export function registerIpc({ service, window, log }: RegisterIpcOptions): () => void {
  const handlers = createIpcHandlers(service, {
    log,
    host: {
      async pickFolder() {
        const res = await dialog.showOpenDialog(window, {
          title: 'Choose the evidence folder',
          properties: ['openDirectory', 'dontAddToRecent'],
        });
        return res.canceled || res.filePaths.length === 0 ? null : (res.filePaths[0] ?? null);
      },
      // Save as… / Open / Show in folder for exported reports (logic and tests in report-host.ts).
      ...createReportHost({
        service,
        showSaveDialog: (options) => dialog.showSaveDialog(window, options),
        shell: { openPath: (file) => shell.openPath(file), showItemInFolder: (file) => shell.showItemInFolder(file) },
        defaultDir: () => app.getPath('documents'),
      }),
    },
  });

  const channels = Object.keys(handlers) as (keyof typeof handlers)[];
  for (const channel of channels) {
    const handler = handlers[channel] as IpcHandler<unknown>;
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      if (!isTrustedSender(event, window)) {
        log?.(`refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`, null);
        return fail({ code: 'forbidden', message: 'This request did not come from the Deepscan window.' });
      }
      return handler(args);
    });
  }

  const unsubscribe = service.onTaskEvent((ev: TaskEvent) => {
    if (!window.isDestroyed() && !window.webContents.isDestroyed()) {
      window.webContents.send(IPC_CHANNELS.taskEvent, ev);
    }
  });

  return () => {
    unsubscribe();
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
