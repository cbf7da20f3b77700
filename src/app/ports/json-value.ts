/** A value that survives JSON.stringify → JSON.parse unchanged; stores keep these as opaque text. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

export interface JsonObject {
  readonly [key: string]: JsonValue;
}
