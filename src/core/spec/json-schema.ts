import { z } from 'zod';
import { changeSchema } from './change-schema.js';
import { projectSchema } from './project-schema.js';

/**
 * JSON Schema (draft 2020-12) of what a person writes, for editors (yaml-language-server).
 * Generated from the same zod definitions the parser uses, so the two cannot drift.
 */
export function jsonSchemas(): { project: unknown; change: unknown } {
  const options = { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' } as const;
  return {
    project: z.toJSONSchema(projectSchema, options),
    change: z.toJSONSchema(changeSchema, options),
  };
}
