/**
 * The views of the workstation and the location hash that names a place among them
 * (view, case, video, face), so a reload comes back to the same place. Pure functions.
 */
export type ViewId = 'cases' | 'evidence' | 'video' | 'face' | 'review' | 'models' | 'audit';

export const VIEWS: { id: ViewId; label: string; key: string; needs: 'none' | 'case' | 'video' | 'face' }[] = [
  { id: 'cases', label: 'Cases', key: '1', needs: 'none' },
  { id: 'evidence', label: 'Evidence', key: '2', needs: 'case' },
  { id: 'video', label: 'Video', key: '3', needs: 'video' },
  { id: 'face', label: 'Face', key: '4', needs: 'face' },
  { id: 'review', label: 'Review', key: '5', needs: 'case' },
  { id: 'models', label: 'Models', key: '6', needs: 'none' },
  { id: 'audit', label: 'Audit', key: '7', needs: 'case' },
];

export interface Route {
  view: ViewId;
  caseId: string | null;
  evidenceId: number | null;
  faceId: number | null;
}

export function parseRoute(hash: string): Route {
  const q = new URLSearchParams(hash.replace(/^#\/?/, ''));
  const view = q.get('view') as ViewId | null;
  const num = (k: string) => {
    const v = q.get(k);
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    view: view && VIEWS.some((v) => v.id === view) ? view : 'cases',
    caseId: q.get('case'),
    evidenceId: num('ev'),
    faceId: num('face'),
  };
}

export function formatRoute(r: Route): string {
  const q = new URLSearchParams({ view: r.view });
  if (r.caseId) q.set('case', r.caseId);
  if (r.evidenceId !== null) q.set('ev', String(r.evidenceId));
  if (r.faceId !== null) q.set('face', String(r.faceId));
  return `#${q.toString()}`;
}
