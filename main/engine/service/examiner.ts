import type { CaseDetailsRequest, CaseSummary } from '../../../common/api.js';
import type { CaseStore } from '../store/case-store.js';
import { DeepscanError } from '../util/errors.js';
import { caseSummary } from './cases.js';

/**
 * Who a writing operation of the workstation acts as: the examiner the call names, else the
 * case's recorded examiner. Without either it is refused ('examiner-required'): the UI asks
 * before the first action that writes, and the service never falls back to the OS account
 * (only the CLI does, marked "(OS user)"). A case without an examiner remembers the first one
 * named, by an audited 'case-details-changed'.
 */
export function examinerFor(store: CaseStore, given: string | undefined): string {
  const info = store.getCase();
  if (!info) throw new DeepscanError('case-missing', `case database ${store.file} holds no case`);
  const named = given?.trim();
  if (named) {
    if (!info.examiner) store.updateCaseDetails({ examiner: named }, named);
    return named;
  }
  if (info.examiner) return info.examiner;
  throw new DeepscanError('examiner-required', 'name the examiner first: this action writes to the case and every audit entry records who made it');
}

/** Changes name, number or examiner; one audited entry ('case-details-changed', from/to) by the examiner given. */
export function updateCaseDetails(store: CaseStore, details: CaseDetailsRequest, examiner: string): CaseSummary {
  const actor = examiner.trim();
  if (!actor) throw new DeepscanError('examiner-required', 'changing the case details needs the examiner\'s name');
  if (details.name !== undefined && details.name.trim() === '') throw new DeepscanError('invalid-argument', 'the case name must not be blank');
  store.updateCaseDetails({
    name: details.name?.trim(),
    number: details.number === undefined ? undefined : (details.number?.trim() || null),
    examiner: details.examiner === undefined ? undefined : (details.examiner?.trim() || null),
  }, actor);
  return caseSummary(store.getCase()!, store);
}
