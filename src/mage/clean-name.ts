/** Characters Mage's `clean_name` deletes before anything else (a BOM, quotes, `$`, line breaks, tabs). */
const DROPPED = /[\uFEFF"$\n\r\t]/g;
/** Python's `\W` on str: anything that is not a Unicode letter, digit or `_`. */
const NON_WORD = /[^\p{L}\p{N}_]/gu;
const LEADING_DIGIT = /^\p{Nd}/u;

/**
 * Mage's `clean_name` (mage_ai/shared/utils.py): drop BOM, `"`, `$`, `\n`, `\r`, `\t`; turn every
 * non-word character into `_`; put `letter_` before a leading digit; lower-case.
 */
export function cleanName(name: string): string {
  const word = name.replace(DROPPED, '').replace(NON_WORD, '_');
  return (LEADING_DIGIT.test(word) ? `letter_${word}` : word).toLowerCase();
}

/** What Mage puts for `{trigger_name}` in `job_name_prefix`: `clean_name(name).replace('_', '-')`. */
export function triggerNameForJob(name: string): string {
  return cleanName(name).replaceAll('_', '-');
}
