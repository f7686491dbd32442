import { Decoder, Tag } from 'cbor-x';

/**
 * CBOR decoding for hostile input. Maps stay Maps (cbor-x would otherwise assign keys such as
 * `__proto__` onto plain objects); `toPlain` then builds JSON-shaped values with own properties only.
 */
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false, structuredClone: false });

export class CborError extends Error {}

export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new CborError(`CBOR: ${(err as Error).message}`);
  }
}

export const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/** Unwraps tags, returning [tags seen outermost first, inner value]. */
export function untag(value: unknown): [number[], unknown] {
  const tags: number[] = [];
  let v = value;
  while (v instanceof Tag) {
    tags.push(v.tag);
    v = v.value;
  }
  return [tags, v];
}

/**
 * JSON-shaped copy: Map → object (own properties, string keys), Date → ISO string, tags dropped.
 * Keys are assigned plainly (fast) except `__proto__`, the one key whose assignment would set the
 * prototype instead of creating a property; it is defined as an own property like any other.
 */
export function toPlain(value: unknown, depth = 0): unknown {
  if (depth > 32) throw new CborError('CBOR nested too deeply');
  if (typeof value !== 'object' || value === null) return typeof value === 'bigint' ? Number(value) : value;
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      const key = String(k);
      const plain = toPlain(v, depth + 1);
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value: plain,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = plain;
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(toPlain(value[i], depth + 1));
    return out;
  }
  if (value instanceof Tag) return toPlain(value.value, depth + 1);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return value;
}
