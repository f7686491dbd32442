import { MAX_PAYLOAD_CHARS, trimLineEnds } from '../decode/index.js';

/** One code as the scanner delivered it, stamped on arrival. */
export interface Frame {
  text: string;
  receivedAt: Date;
  /** The frame was longer than any code can be and was cut; it will not decode. */
  truncated: boolean;
}

/**
 * Frame stage: turns what the input delimited into a frame. With a CR delimiter a CRLF scanner
 * leaves an LF at the start of the next line; NULs and stray line ends are noise. Empty frames
 * (a bare Enter) are dropped here so they never light anything.
 */
export function toFrame(raw: string, receivedAt: Date): Frame | null {
  const text = trimLineEnds(raw);
  if (text.trim() === '') return null;
  const truncated = text.length > MAX_PAYLOAD_CHARS;
  return { text: truncated ? text.slice(0, MAX_PAYLOAD_CHARS + 1) : text, receivedAt, truncated };
}
