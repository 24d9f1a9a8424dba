import type { StatusCause } from './status.ts';

// Rules and messages as apimachinery's validation package states them.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;

const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

export function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field };
}

export function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}

export function notSupported(field: string, value: unknown, supported: string[]): StatusCause {
  const listed = supported.map((item) => JSON.stringify(item)).join(', ');
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${listed}`,
    field,
  };
}

function tooLong(max: number): string {
  return `must be no more than ${max} characters`;
}

export function validateDns1123Label(field: string, value: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (value.length > LABEL_MAX) causes.push(invalidValue(field, value, tooLong(LABEL_MAX)));
  if (!DNS1123_LABEL.test(value)) causes.push(invalidValue(field, value, DNS1123_LABEL_MESSAGE));
  return causes;
}

export function validateDns1123Subdomain(field: string, value: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (value.length > SUBDOMAIN_MAX) causes.push(invalidValue(field, value, tooLong(SUBDOMAIN_MAX)));
  if (!DNS1123_SUBDOMAIN.test(value)) causes.push(invalidValue(field, value, DNS1123_SUBDOMAIN_MESSAGE));
  return causes;
}

function validateLabelKey(field: string, key: string): StatusCause[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const causes: StatusCause[] = [];
  if (prefix !== undefined) causes.push(...validateDns1123Subdomain(field, prefix));
  if (name.length === 0 || name.length > LABEL_MAX || !QUALIFIED_NAME.test(name)) {
    const detail = name.length > LABEL_MAX ? `name part ${tooLong(LABEL_MAX)}` : QUALIFIED_NAME_MESSAGE;
    causes.push(invalidValue(field, key, detail));
  }
  return causes;
}

export function validateLabels(field: string, labels: Record<string, unknown> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    causes.push(...validateLabelKey(field, key));
    if (typeof value !== 'string') {
      causes.push(invalidValue(field, value, 'label values must be strings'));
      continue;
    }
    if (value.length > LABEL_MAX) causes.push(invalidValue(field, value, tooLong(LABEL_MAX)));
    if (!LABEL_VALUE.test(value)) causes.push(invalidValue(field, value, LABEL_VALUE_MESSAGE));
  }
  return causes;
}
