import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * The EU DCC JSON Schema (combined, 1.3.x), shipped with the gateway because a kiosk validates
 * offline; gateway/test/dcc.test.ts checks it is identical to ../shared/reference/dcc-schema.
 */
export const DCC_SCHEMA_FILE = new URL('../../../assets/dcc/DCC.combined-schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = addFormats(new Ajv2020({ allErrors: false, strict: false, validateFormats: true }));
    compiled = ajv.compile(JSON.parse(readFileSync(DCC_SCHEMA_FILE, 'utf8')) as object);
  }
  return compiled;
}

/** Validates an HCERT payload; returns the errors, empty when valid. Compiled once, on first use. */
export function validateHcert(hcert: unknown): string[] {
  const validate = validator();
  if (validate(hcert)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
