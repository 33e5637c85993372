/**
 * Bad input from the user (spec, trace, flag). The CLI prints its message as one line and exits
 * with code 2; the message names the file, the field or line, and what was expected.
 */
export class InputError extends Error {
  override name = 'InputError';
}
