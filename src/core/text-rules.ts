export const maxPromptCodePoints = 10_000;

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What is wrong with a piece of user text, or null. Lengths count code points (an emoji is one character, not
 * two UTF-16 units); a lone surrogate is refused rather than silently turned into U+FFFD on its way to PostgreSQL.
 */
export function findTextProblem(value: string, what: string, maxCodePoints = maxPromptCodePoints): string | null {
  if (value.includes('\0')) return `${what} contains a NUL byte`;
  if (loneSurrogate.test(value)) {
    const at = value.search(loneSurrogate);
    return `${what} contains a lone UTF-16 surrogate (U+${value.charCodeAt(at).toString(16).toUpperCase()}) at position ${[...value.slice(0, at)].length}, which is not text`;
  }
  if (value.trim() === '') return `${what} is blank`;
  const length = [...value].length;
  if (length > maxCodePoints) return `${what} is ${length} characters; the limit is ${maxCodePoints}`;
  return null;
}
