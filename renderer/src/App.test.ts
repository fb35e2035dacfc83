import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { Workstation } from './lib/workstation.svelte.js';
import { fakeApi } from './lib/test-fakes.js';

async function settle() {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
    await tick();
  }
}

function rowOf(path: string): HTMLElement {
  const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
  const r = rows.find((x) => x.querySelector('td')?.getAttribute('title') === path);
  if (!r) throw new Error(`no row ${path}`);
  return r;
}

async function openCase(withPicker = true) {
  const api = fakeApi({}, withPicker);
  const app = new Workstation(api);
  const model = app.caseState;
  render(App, { app });
  await fireEvent.input(screen.getByLabelText(/Evidence folder/), { target: { value: '/cases/2026-0042/evidence' } });
  await fireEvent.input(screen.getByLabelText('Case name'), { target: { value: 'Harbour fraud' } });
  await fireEvent.click(screen.getByRole('button', { name: 'Open case' }));
  await settle();
  return { api, model, app };
}

describe('Open case form', () => {
  it('disables submit until a folder is given and labels every field', async () => {
    render(App, { app: new Workstation(fakeApi()) });
    expect(screen.getByRole('button', { name: 'Open case' })).toHaveProperty('disabled', true);
    for (const label of [/Evidence folder/, 'Case name', 'Case number', 'Examiner']) {
      expect(screen.getByLabelText(label).tagName).toBe('INPUT');
    }
  });

  it('shows Browse… only when the host can pick folders, and fills the field', async () => {
    const { unmount } = render(App, { app: new Workstation(fakeApi({}, false)) });
    expect(screen.queryByRole('button', { name: 'Browse…' })).toBe(null);
    unmount();

    render(App, { app: new Workstation(fakeApi()) });
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    await settle();
    expect((screen.getByLabelText(/Evidence folder/) as HTMLInputElement).value).toBe('/picked/folder');
  });

  it('shows an engine error with its code', async () => {
    const api = fakeApi({
      openCase: async () => ({ ok: false, error: { code: 'folder-missing', message: 'The folder /nope does not exist.' } }),
    });
    render(App, { app: new Workstation(api) });
    await fireEvent.input(screen.getByLabelText(/Evidence folder/), { target: { value: '/nope' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Open case' }));
    await settle();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('The folder /nope does not exist.');
    expect(alert.textContent).toContain('folder-missing');
    await fireEvent.click(within(alert).getByRole('button', { name: 'Dismiss error' }));
    expect(screen.queryByRole('alert')).toBe(null);
  });
});

describe('Evidence list', () => {
  it('lists every file with kind, size, short hash, integrity and status', async () => {
    await openCase();
    const table = screen.getByRole('table');
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent?.replace(/[▲▼]/g, '').trim());
    expect(headers).toEqual(['Name', 'Kind', 'Duration', 'SHA-256', 'Integrity', 'Status', 'Faces', 'Score', 'Reviewed']);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    // Sorted by name by default.
    expect(rows.map((r) => r.querySelector('td')?.getAttribute('title'))).toEqual([
      'clips/broken.mov',
      'clips/interview.mp4',
      'notes.txt',
    ]);
    const first = rows[1].textContent ?? '';
    expect(first).toContain('interview.mp4');
    expect(first).toContain('Video');
    expect(first).toContain('1.00 MiB');
    expect(first).toContain('3f9a1c0b7d2e');
    expect(first).not.toContain('3f9a1c0b7d2e0'); // short form only
    expect(first).toContain('Unverified');
    expect(first).toContain('Pending');
    expect(rows[2].textContent).toContain('Not media');
  });

  it('copies the full SHA-256', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await openCase();
    await fireEvent.click(screen.getByRole('button', { name: 'Copy SHA-256 of clips/interview.mp4' }));
    await settle();
    expect(writeText).toHaveBeenCalledWith('3f9a1c0b7d2e'.padEnd(64, '0'));
    expect(screen.getByRole('button', { name: 'Copy SHA-256 of clips/interview.mp4' }).textContent?.trim()).toBe('Copied');
  });

  it('filters rows', async () => {
    await openCase();
    await fireEvent.input(screen.getByLabelText('Search evidence'), { target: { value: 'broken' } });
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0].querySelector('td')?.getAttribute('title')).toBe('clips/broken.mov');
  });
});

describe('Analysis', () => {
  it('starts, shows per-item progress from task events, and cancels', async () => {
    const { api } = await openCase();
    await fireEvent.input(screen.getByLabelText('Frames per video'), { target: { value: '16' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start analysis' }));
    await settle();
    // Starting writes to the case: the examiner is asked for first (once).
    expect(api.calls.some(([op]) => op === 'startAnalysis')).toBe(false);
    const dialog = screen.getByRole('dialog', { name: 'Who is reviewing?' });
    await fireEvent.input(within(dialog).getByLabelText('Examiner name'), { target: { value: 'J. Doe' } });
    await fireEvent.submit(dialog.querySelector('form') as HTMLFormElement);
    await settle();
    expect(api.calls).toContainEqual(['startAnalysis', { caseId: 'case-1', frames: 16, examiner: 'J. Doe' }]);

    api.emit({ type: 'task-started', taskId: 'task-1', caseId: 'case-1', total: 2 });
    api.emit({
      type: 'item-progress',
      taskId: 'task-1',
      evidencePath: 'clips/interview.mp4',
      stage: 'faces',
      fraction: 0.4,
      done: 0,
      total: 2,
    });
    await settle();
    const item = screen.getByRole('progressbar', { name: 'Progress of clips/interview.mp4' });
    expect(item.getAttribute('value')).toBe('40');
    expect(screen.getByRole('status').textContent).toContain('Analysing 1 of 2');
    expect(screen.getByRole('status').textContent).toContain('Detecting faces 40%');
    // the other pending video is queued
    expect(rowOf('clips/broken.mov').textContent).toContain('Queued');
    expect(screen.getByRole('button', { name: 'Close case' })).toHaveProperty('disabled', true);

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel analysis' }));
    await settle();
    expect(api.calls).toContainEqual(['cancelAnalysis', 'task-1']);
    expect(screen.getByRole('status').textContent).toContain('Analysis cancelled');
    expect(screen.getByRole('button', { name: 'Start analysis' })).toBeTruthy();
  });

  it('marks finished items and reports completion', async () => {
    const { api } = await openCase();
    await fireEvent.click(screen.getByRole('button', { name: 'Start analysis' }));
    await settle();
    api.emit({ type: 'task-started', taskId: 'task-1', caseId: 'case-1', total: 1 });
    api.emit({
      type: 'item-finished',
      taskId: 'task-1',
      evidencePath: 'clips/broken.mov',
      status: 'unreadable',
      error: 'moov atom not found',
      skipped: false,
    });
    await settle();
    expect(rowOf('clips/broken.mov').textContent).toContain('Unreadable');
    expect(rowOf('clips/broken.mov').textContent).toContain('moov atom not found');
    api.rows[1] = { ...api.rows[1], status: 'unreadable', error: 'moov atom not found' };
    api.emit({ type: 'task-finished', taskId: 'task-1', status: 'completed', error: null });
    await settle();
    expect(screen.getByRole('status').textContent).toContain('Analysis complete');
  });
});
