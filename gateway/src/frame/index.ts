// The text helpers only, not the decode stage: a frame is cut before any decoder runs.
import { MAX_PAYLOAD_CHARS, trimLineEnds } from '../decode/text.js';

/** One code as the scanner delivered it, cleaned of line-end noise. */
export interface Frame {
  /** At most MAX_PAYLOAD_CHARS + 1 characters: longer is cut (and then refused by decode as too long). */
  text: string;
}

/**
 * Frame stage: turns what the input delimited into a frame. With a CR delimiter a CRLF scanner
 * leaves an LF at the start of the next line; NULs and stray line ends are noise. Empty frames
 * (a bare Enter) are dropped here so they never light anything. A frame longer than any code can be
 * is cut to one character over the limit, so decode still calls it `too-long` without copying 64 KB.
 */
export function toFrame(raw: string): Frame | null {
  const text = trimLineEnds(raw);
  if (text.trim() === '') return null;
  return { text: text.length > MAX_PAYLOAD_CHARS ? text.slice(0, MAX_PAYLOAD_CHARS + 1) : text };
}
