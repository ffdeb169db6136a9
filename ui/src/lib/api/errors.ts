import { t } from '../i18n/index.svelte';
import { CommandError } from './backend';

/** A failed command in the user's words, chosen by its code, never by its text. */
export function describeError(error: unknown): string {
  if (error instanceof CommandError) {
    if (error.code === 'invalid_input') return t('error.invalid_input', { detail: error.message });
    return t(`error.${error.code}`);
  }
  return t('error.internal');
}
