// How `--help` reads: examples under every command, required options marked, defaults only where they tell something.
import { Help, type Option } from 'commander';

/** Option descriptions without `(default: [])` or `(default: false)`, and with `(required)` on required options. */
export const HELP_CONFIGURATION: Partial<Help> = {
  optionDescription(this: Help, option: Option): string {
    const silent = option.defaultValue === false || (Array.isArray(option.defaultValue) && option.defaultValue.length === 0);
    const shown = silent ? Object.assign(Object.create(Object.getPrototypeOf(option) as object) as Option, option, { defaultValue: undefined }) : option;
    const text = Help.prototype.optionDescription.call(this, shown);
    return option.mandatory ? `${text} (required)` : text;
  },
};

/** The `Examples:` block after a command's help: pairs of a comment and a command line. */
export function examples(...pairs: readonly (readonly [string, string])[]): string {
  return `\nExamples:\n${pairs.map(([what, line]) => `  # ${what}\n  ${line}`).join('\n')}\n`;
}

/** The exit codes line under `cnnx apply --help` and the program's help. */
export const EXIT_CODES_HELP = '\nExit codes: 0 ok, 1 some inputs failed, 2 usage, spec or setup error, 70 internal error, 130/143 interrupted, 141 stdout pipe closed.';
