/**
 * Protocol code is total: it returns a value or a typed error and never throws on input.
 * `ParseError` names what was being parsed and why it failed, keeping the input for logs.
 */
export type Result<T, E = ParseError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export class ParseError {
  readonly _tag = "ParseError";
  constructor(
    readonly what: string,
    readonly reason: string,
    readonly input: string,
  ) {}
  get message(): string {
    return `${this.what}: ${this.reason}`;
  }
}

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (what: string, reason: string, input: string): Result<never, ParseError> => ({
  ok: false,
  error: new ParseError(what, reason, input),
});
