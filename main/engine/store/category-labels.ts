/**
 * The examiner's labels of the 0–5 review categories, per case (table `category_labels`,
 * migration 8). Each change is one transaction with its audit entry, which carries the digest
 * of the whole table (one result set: rows are updated, never deleted, so the latest entry
 * always describes the table as it is).
 */
import { appendAudit } from './audit.js';
import type { CaseStore } from './case-store.js';
import { categoryLabelsDigest } from './result-digest.js';
import { DeepscanError } from '../util/errors.js';

/** Defaults, as in Autopsy's image gallery: 0 uncategorised, then the five CAT levels. */
export const DEFAULT_CATEGORY_LABELS = ['Uncategorised', 'CAT-1', 'CAT-2', 'CAT-3', 'CAT-4', 'CAT-5'] as const;

export interface CategoryLabelRecord {
  category: number;
  label: string;
  custom: boolean;
}

export function categoryLabels(store: CaseStore): CategoryLabelRecord[] {
  const rows = store.prepare('SELECT category, label FROM category_labels').all() as { category: number; label: string | null }[];
  const set = new Map(rows.filter((r) => r.label !== null).map((r) => [r.category, r.label!]));
  return DEFAULT_CATEGORY_LABELS.map((d, category) => ({ category, label: set.get(category) ?? d, custom: set.has(category) }));
}

/** Sets one category's label (null: back to the default); audited as 'category-label-changed'. */
export function setCategoryLabel(store: CaseStore, category: number, label: string | null, examiner: string): CategoryLabelRecord[] {
  if (!Number.isInteger(category) || category < 0 || category >= DEFAULT_CATEGORY_LABELS.length) {
    throw new DeepscanError('invalid-argument', `category must be an integer from 0 to ${DEFAULT_CATEGORY_LABELS.length - 1} (got ${category})`);
  }
  const next = label === null ? null : label.trim();
  if (next === '') throw new DeepscanError('invalid-argument', 'a category label must not be blank');
  store.write(() => {
    const before = categoryLabels(store)[category];
    const at = new Date().toISOString();
    store.prepare(
      `INSERT INTO category_labels (category, label, examiner, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (category) DO UPDATE SET label = excluded.label, examiner = excluded.examiner, updated_at = excluded.updated_at`,
    ).run(category, next, examiner, at);
    appendAudit(store.db, examiner, 'category-label-changed', {
      examiner, category, from: before.label, to: next ?? DEFAULT_CATEGORY_LABELS[category], reset: next === null, results: categoryLabelsDigest(store.db),
    }, at);
  });
  return categoryLabels(store);
}
