import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { offsetToShow, VirtualList, windowRange } from './virtual-list.svelte.js';

describe('windowRange', () => {
  it('covers the items in view plus the overscan, clamped to the list', () => {
    // 40 px items, a 200 px view at 400 px: items 10–14 in view, 2 more each side.
    expect(windowRange(1200, 40, 200, 400, 2)).toEqual({ start: 8, end: 17 });
    expect(windowRange(1200, 40, 200, 0, 2)).toEqual({ start: 0, end: 7 });
    // Scrolled to the end: the last item is inside, nothing past the list.
    expect(windowRange(1200, 40, 200, 1200 * 40 - 200, 2)).toEqual({ start: 1193, end: 1200 });
    expect(windowRange(0, 40, 200, 0, 2)).toEqual({ start: 0, end: 0 });
    // An offset left over from a longer list still renders the list's tail.
    expect(windowRange(5, 40, 200, 4000, 2)).toEqual({ start: 4, end: 5 });
  });

  it('leaves out the part of the view a sticky header covers', () => {
    expect(windowRange(100, 40, 240, 0, 0, 40)).toEqual({ start: 0, end: 5 });
    expect(windowRange(100, 40, 240, 0, 0, 0)).toEqual({ start: 0, end: 6 });
  });
});

describe('offsetToShow', () => {
  it('moves the least that shows the item, and not at all when it is in view', () => {
    expect(offsetToShow(12, 40, 200, 400, 0)).toBe(400);
    expect(offsetToShow(20, 40, 200, 400, 0)).toBe(640); // bottom edge: 21 × 40 − 200
    expect(offsetToShow(3, 40, 200, 400, 0)).toBe(120); // top edge
    // Below a 40 px header only 160 px show items.
    expect(offsetToShow(20, 40, 200, 400, 40)).toBe(680);
  });
});

describe('VirtualList', () => {
  it('keeps a bounded window while jumping to the last item, and scrolls its container', () => {
    const list = new VirtualList({ itemSize: 40, overscan: 3, fallbackItems: 10 });
    const el = document.createElement('div');
    const detach = list.attach(el);
    list.count = 1200;
    flushSync();
    expect(list.range).toEqual({ start: 0, end: 13 });
    expect(list.after).toBe((1200 - 13) * 40);
    list.scrollToIndex(1199);
    flushSync();
    expect(list.has(1199)).toBe(true);
    expect(list.indices.length).toBeLessThanOrEqual(16);
    expect(el.scrollTop).toBe(1200 * 40 - 400);
    // The container's own scrolling moves the window.
    el.scrollTop = 2000;
    el.dispatchEvent(new Event('scroll'));
    flushSync();
    expect(list.range.start).toBe(47);
    detach();
  });

  it('keeps its place when the list grows or shrinks under it', () => {
    const list = new VirtualList({ itemSize: 40, overscan: 0, fallbackItems: 5 });
    list.count = 100;
    list.scrollToIndex(50);
    const at = list.range;
    list.count = 120;
    flushSync();
    expect(list.range).toEqual(at);
    list.count = 48;
    flushSync();
    expect(list.has(47)).toBe(true);
  });

  it('takes a measured item size', () => {
    const list = new VirtualList({ itemSize: 40 });
    const row = document.createElement('div');
    row.getBoundingClientRect = () => ({ height: 47, width: 300 }) as DOMRect;
    list.measure(row);
    expect(list.itemSize).toBe(47);
    list.measure(document.createElement('div')); // jsdom's 0 × 0 leaves it as it is
    expect(list.itemSize).toBe(47);
  });
});
