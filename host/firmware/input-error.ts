/**
 * Errors in firmware input files: they name the file and the line (text
 * inputs) or the field (JSON inputs). A reader throws one before returning
 * anything, so a caller never sees a partial result.
 *
 * They are the boot pipeline's InputError (host/boot/input-error.ts): the CLI
 * reports them with exit status 2.
 */

import { InputError as BootInputError } from "../boot/input-error.js";

/** Where in a file the problem is: a 1-based line, or a JSON field path like `[3].end`. */
export type InputLocation = { line: number; field?: undefined } | { field: string; line?: undefined };

export class InputError extends BootInputError {
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;

  /**
   * @file: the file name as the user gave it
   * @at: the line (message `FILE:LINE: reason`) or the field (`FILE: FIELD: reason`)
   * @reason: what is wrong
   */
  constructor(file: string, at: InputLocation, reason: string) {
    super(at.line !== undefined ? `${file}:${at.line}` : `${file}: ${at.field}`, reason);
    this.name = "InputError";
    this.file = file;
    this.line = at.line;
    this.field = at.field;
  }
}
