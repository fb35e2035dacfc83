/**
 * The typed context keys of the renderer, all here. App.svelte provides the workstation and its
 * parts once; components read what they need instead of being handed an `app` prop down the tree.
 */
import { createContext } from 'svelte';
import type { ExaminerPrompt } from './examiner-prompt.svelte.js';
import type { Preferences } from './preferences.svelte.js';
import type { Router } from './router.svelte.js';
import type { Workstation } from './workstation.svelte.js';

export const [useWorkstation, setWorkstationContext] = createContext<Workstation>();
export const [useRouter, setRouterContext] = createContext<Router>();
export const [usePreferences, setPreferencesContext] = createContext<Preferences>();
export const [useExaminerPrompt, setExaminerPromptContext] = createContext<ExaminerPrompt>();

/** Provides the workstation and its router, preferences and examiner prompt (call in App's script). */
export function provideWorkstation(app: Workstation): void {
  setWorkstationContext(app);
  setRouterContext(app.router);
  setPreferencesContext(app.prefs);
  setExaminerPromptContext(app.prompt);
}
