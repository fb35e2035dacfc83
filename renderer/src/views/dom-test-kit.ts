/**
 * What the view tests share: jsdom has no ResizeObserver (bind:clientWidth uses it; sizes stay
 * 0 there), and a view settles after several rounds of timers and Svelte ticks.
 */
import { tick } from 'svelte';

globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;

export async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await tick();
  }
}
