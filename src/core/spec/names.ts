import { z } from 'zod';

/** Change ids are slugs: they appear in file names, URLs and metric labels. */
export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const slugSchema = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(SLUG_RE, 'must be a slug: lowercase letters, digits and single hyphens (e.g. "concise-prompt")');

/** Provider, variant, route and policy names: applications send route names as the OpenAI `model`. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const nameSchema = z
  .string()
  .regex(NAME_RE, 'must start with a letter or digit and use only letters, digits, ".", "_", ":" and "-"');
