// Asks for a value on the terminal. Secrets (password, PIN, OTP) are read without echo so they never appear on
// screen or in a terminal log.
import readline from 'node:readline';

export async function ask(question: string, opts: { secret?: boolean } = {}): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new Error(`${question.replace(/:\s*$/, '')} is needed: pass it as an option (no terminal to ask on)`);
  const rl = readline.createInterface({ input, output: process.stderr, terminal: true });
  if (opts.secret) {
    // Replace readline's echo with nothing after the question is shown.
    const rlAny = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    let shown = false;
    rlAny._writeToOutput = (s: string) => {
      if (!shown) {
        process.stderr.write(s);
        shown = true;
      } else if (s.includes('\n') || s.includes('\r')) process.stderr.write('\n');
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}
