import type { FastifySchemaValidationError } from 'fastify';
import type { Text } from '../text.js';

/**
 * A schema refusal in both languages. Ajv's own message is English only ("body/window must be <=
 * 720"), and the Vietnamese text used to carry it verbatim: a tracer reading Vietnamese met English.
 * The common keywords are said in both languages here; anything else keeps Ajv's words in English.
 */
const TYPES: Record<string, Text> = {
  string: { vi: 'chuỗi ký tự', en: 'text' },
  number: { vi: 'số', en: 'a number' },
  integer: { vi: 'số nguyên', en: 'a whole number' },
  boolean: { vi: 'đúng/sai', en: 'true/false' },
  object: { vi: 'đối tượng', en: 'an object' },
  array: { vi: 'danh sách', en: 'a list' },
  null: { vi: 'rỗng', en: 'null' },
};
const PLACES: Record<string, Text> = {
  body: { vi: 'nội dung gửi', en: 'body' },
  querystring: { vi: 'tham số', en: 'query' },
  params: { vi: 'đường dẫn', en: 'path' },
  headers: { vi: 'tiêu đề', en: 'headers' },
};
const COMPARE: Record<string, Text> = {
  maximum: { vi: '≤', en: 'at most' },
  minimum: { vi: '≥', en: 'at least' },
  exclusiveMaximum: { vi: '<', en: 'below' },
  exclusiveMinimum: { vi: '>', en: 'above' },
};

function one(e: FastifySchemaValidationError, context: string): Text {
  const p = (e.params ?? {}) as Record<string, unknown>;
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const place = PLACES[context] ?? { vi: context, en: context };
  const field = path ? { vi: `"${path}"`, en: `"${path}"` } : place;
  switch (e.keyword) {
    case 'required':
      return { vi: `thiếu trường "${p.missingProperty}"`, en: `"${p.missingProperty}" is missing` };
    case 'additionalProperties':
      return {
        vi: `không nhận trường "${p.additionalProperty}" trong ${place.vi}`,
        en: `unknown field "${p.additionalProperty}" in the ${place.en}`,
      };
    case 'maxLength':
      return {
        vi: `${field.vi} dài quá ${p.limit} ký tự`,
        en: `${field.en} is longer than ${p.limit} characters`,
      };
    case 'minLength':
      return {
        vi: `${field.vi} ngắn hơn ${p.limit} ký tự`,
        en: `${field.en} is shorter than ${p.limit} characters`,
      };
    case 'pattern':
    case 'format':
      return { vi: `${field.vi} sai định dạng`, en: `${field.en} has the wrong format` };
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum': {
      const c = COMPARE[e.keyword] as Text;
      return { vi: `${field.vi} phải ${c.vi} ${p.limit}`, en: `${field.en} must be ${c.en} ${p.limit}` };
    }
    case 'type': {
      const t = TYPES[String(p.type)] ?? { vi: String(p.type), en: String(p.type) };
      return { vi: `${field.vi} phải là ${t.vi}`, en: `${field.en} must be ${t.en}` };
    }
    case 'const':
    case 'enum':
    case 'anyOf':
    case 'oneOf':
      return { vi: `${field.vi} không phải giá trị được phép`, en: `${field.en} is not an allowed value` };
    default:
      return {
        vi: `${field.vi} không hợp lệ (${e.message ?? e.keyword})`,
        en: `${field.en}: ${e.message ?? e.keyword}`,
      };
  }
}

/** The first refusal of a validation (a union's branches collapse into its anyOf), in both languages. */
export function validationText(errors: FastifySchemaValidationError[], context: string): Text {
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0];
  const said = e ? one(e, context) : { vi: 'dữ liệu không hợp lệ', en: 'invalid data' };
  return {
    vi: `Yêu cầu không hợp lệ: ${said.vi}`.slice(0, 300),
    en: `Invalid request: ${said.en}`.slice(0, 300),
  };
}
