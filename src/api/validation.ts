/**
 * Request validation: a zod schema per body, every problem reported per field in `details`, nothing
 * changed when anything is wrong. Forms (curl -d) carry only strings, so a form body is first
 * brought to the JSON shape its schema describes: '' means null, 'true'/'false' are booleans, and a
 * single value of a list field is a one-element list.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import { badRequest, type FieldErrors } from '../errors';
import { bodyOf } from '../http/body';

type Shape = Record<string, z.ZodType>;

function baseType(schema: z.ZodType): string {
  let current = schema as z.ZodType & { unwrap?: () => z.ZodType };
  while (current.unwrap && ['optional', 'nullable', 'default'].includes(current._zod.def.type))
    current = current.unwrap() as typeof current;
  return current._zod.def.type;
}

function fromForm(body: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const type = shape[key] ? baseType(shape[key]) : 'unknown';
    if (type === 'array') out[key] = Array.isArray(value) ? value : value === '' ? [] : [value];
    else if (type === 'boolean' && (value === 'true' || value === 'false')) out[key] = value === 'true';
    else if (value === '') out[key] = null;
    else out[key] = value;
  }
  return out;
}

export function fieldErrors(error: z.ZodError): FieldErrors {
  const details: FieldErrors = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details[[...issue.path, key].join('.')] = 'unknown field';
      continue;
    }
    const field = issue.path.length ? issue.path.map(String).join('.') : 'body';
    details[field] ??= issue.message;
  }
  return details;
}

/** The parsed body, or a 400 `invalid_request` with `details` per field. */
export function validateBody<S extends z.ZodObject>(ctx: Context, schema: S): z.output<S> {
  const raw = bodyOf(ctx);
  const body = ctx.is('urlencoded') ? fromForm(raw, schema.shape as Shape) : raw;
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw badRequest('the request is invalid', fieldErrors(parsed.error));
  return parsed.data;
}

/** Query parameters (always strings) against a schema; problems answer 400 like bodies do. */
export function validateQuery<S extends z.ZodObject>(ctx: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(ctx.query);
  if (!parsed.success) throw badRequest('the query is invalid', fieldErrors(parsed.error));
  return parsed.data;
}
