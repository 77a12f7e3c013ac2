// C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the bidirectional overrides and
// isolates that can make text read differently from what it is.
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const named: Record<string, string> = { '\r': '\\r', '\u001b': '\\e', '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

/**
 * Makes text safe to print on a terminal: every control character becomes a visible escape (`\e`, `\x07`,
 * `\u202e`), so prompt text, names and messages cannot move the cursor, retitle the window or write the
 * clipboard (OSC 52). Tabs and newlines are kept.
 */
export function escapeTerminalText(text: string): string {
  return text.replace(unsafe, (char) => {
    const code = char.charCodeAt(0);
    return named[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/**
 * JSON.stringify escapes C0 controls but leaves DEL, C1 (0x9b is a CSI to some terminals) and bidi controls raw;
 * they can only occur inside strings, so \uXXXX escapes keep the document's meaning.
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Our own colours travel as markers (noncharacters and a per-process nonce, which stored text cannot know) until a
// line is written; only then, after everything else was escaped, do they become escape sequences. (Math.random,
// not node:crypto: the nonce only has to differ from text written before the process started, and every CLI start
// loads this module.)
const nonce = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
const marker = new RegExp(`\uFDD0${nonce}([0-9;]*)\uFDD1`, 'g');

export const colourMarker = (code: string) => `\uFDD0${nonce}${code}\uFDD1`;

/** The text as the terminal gets it: escaped, then our colour markers as SGR sequences. */
export function renderTerminalText(text: string): string {
  return escapeTerminalText(text).replace(marker, '\u001b[$1m');
}

/** How many columns the text takes once rendered (colours take none). */
export function measureTerminalText(text: string): number {
  return escapeTerminalText(text.replace(marker, '')).length;
}
