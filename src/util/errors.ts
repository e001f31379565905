/**
 * An error caused by the user's input or environment (missing dataset, bad config, wrong
 * notebook parameter). Its message names the thing and says what to do; CLIs print it
 * without a stack trace and exit non-zero.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  → ${fix}` : message);
    this.name = 'UserError';
  }
}

/** Runs a CLI entry point: UserErrors print as one clear message, anything else with its stack. */
export function runMain(main: () => Promise<void | number>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UserError) console.error(`error: ${err.message}`);
      else console.error(err);
      process.exitCode = 1;
    },
  );
}
