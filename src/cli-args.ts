/**
 * argv → a command and the setting flags given, and the --help text. An
 * unknown command or flag is a UsageError with a did-you-mean when one is
 * close; a retired setting is a ConfigError that says what to do instead.
 */
import { showValue } from './redact.js';
import { ConfigError, SETTINGS, type Env, type Flags, type Setting, type Source } from './settings.js';

export type Command = 'serve' | 'check' | 'help' | 'version';
const COMMANDS: readonly Command[] = ['serve', 'check', 'help', 'version'];

/** Unknown command or flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  readonly command: Command;
  readonly json: boolean;
  readonly flags: Flags;
}

const SETTING_BY_FLAG = new Map(SETTINGS.map((s) => [s.flag, s]));
const SWITCHES = ['--json', '--help', '-h', '--version'] as const;

/**
 * argv = process.argv.slice(2): an optional command (serve by default, check,
 * help, version), `--help`/`-h`, `--version`, `--json` (check only) and the
 * setting flags, as `--flag value` or `--flag=value`. Throws ConfigError or UsageError.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  rejectRetiredFlags(argv);
  const flags = new Map<Setting, Source>();
  let positional: string | undefined;
  let json = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '-h' || token === '--help') help = true;
    else if (token === '--version') version = true;
    else if (token === '--json') json = true;
    else if (token.startsWith('-') && token !== '-') i = readFlag(argv, i, flags);
    else positional = acceptCommand(token, positional);
  }
  if (help) return { command: 'help', json, flags };
  if (version) return { command: 'version', json, flags };
  const command = (positional ?? 'serve') as Command;
  if (json && command !== 'check') throw new UsageError(`--json is only valid with the check command (irsa-probe check --json), not with ${command}`);
  return { command, json, flags };
}

/** Reads `--flag value` or `--flag=value` at argv[i]; returns the index of the last token consumed. */
function readFlag(argv: readonly string[], i: number, flags: Map<Setting, Source>): number {
  const token = argv[i]!;
  const eq = token.indexOf('=');
  const name = eq === -1 ? token : token.slice(0, eq);
  const s = SETTING_BY_FLAG.get(name);
  if (s === undefined) throw unknownFlag(name);
  if (eq !== -1) {
    flags.set(s, { name, value: token.slice(eq + 1) });
    return i;
  }
  const next = argv[i + 1];
  if (next === undefined || next.startsWith('--')) throw new ConfigError(name, '', s.expected, true);
  flags.set(s, { name, value: next });
  return i + 1;
}

/**
 * Settings that were removed because they let a user silently turn detection
 * off. Naming one is a configuration error (exit 2) that says what to do
 * instead, never a silent no-op.
 */
const RETIRED: readonly { env: string; flag: string; why: string }[] = [
  {
    env: 'IRSA_PROBE_ASSUME_INTERVAL',
    flag: '--assume-interval',
    why: 'was retired: every cycle re-assumes the role, so a broken trust chain is seen within the failure threshold; to make fewer STS calls raise IRSA_PROBE_INTERVAL (detection time = IRSA_PROBE_FAILURE_THRESHOLD x IRSA_PROBE_INTERVAL)',
  },
];

/** A retired setting given as a flag or a variable. */
class RetiredSettingError extends ConfigError {
  constructor(setting: string, value: string, why: string) {
    super(setting, value, why);
    this.message = `${setting} ${why}`;
  }
}

function rejectRetiredFlags(argv: readonly string[]): void {
  for (const r of RETIRED) {
    const i = argv.findIndex((token) => token === r.flag || token.startsWith(`${r.flag}=`));
    if (i !== -1) throw new RetiredSettingError(r.flag, argv[i] === r.flag ? (argv[i + 1] ?? '') : argv[i]!.slice(r.flag.length + 1), r.why);
  }
}

export function rejectRetiredVariables(env: Env): void {
  for (const r of RETIRED) {
    const value = env[r.env];
    if (value !== undefined) throw new RetiredSettingError(r.env, value, r.why);
  }
}

function unknownFlag(name: string): UsageError {
  if ((SWITCHES as readonly string[]).includes(name)) return new UsageError(`${name} takes no value`);
  const valid = [...SETTINGS.map((s) => s.flag), ...SWITCHES];
  const near = suggest(name, valid);
  return new UsageError(`unknown flag ${showValue(name)}${near ? ` (did you mean ${near}?)` : ''}; valid flags: ${valid.join(', ')}`);
}

function acceptCommand(token: string, current: string | undefined): string {
  if (current !== undefined) throw new UsageError(`unexpected argument ${showValue(token)}: only one command (${COMMANDS.join(', ')}) is allowed`);
  if (!(COMMANDS as readonly string[]).includes(token)) {
    const near = suggest(token, COMMANDS);
    throw new UsageError(`unknown command ${showValue(token)}${near ? ` (did you mean ${near}?)` : ''}; valid commands: ${COMMANDS.join(', ')}`);
  }
  return token;
}

/** The closest candidate within a small edit distance, else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toUpperCase(), c.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.max(2, Math.floor((best?.length ?? 0) / 4));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The --help text, built from SETTINGS. */
export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.flag.length)) + ' VALUE'.length;
  const rows = SETTINGS.map((s) => `  ${`${s.flag} VALUE`.padEnd(width)}  ${s.description}\n  ${' '.repeat(width)}  env ${s.env}; default ${s.shownDefault === '' ? '(unset)' : s.shownDefault}`);
  return [
    'Usage: irsa-probe [serve | check [--json] | help | version] [--flag value | --flag=value ...]',
    '',
    'Proves, every interval, that this pod can act as its AWS IAM role (IRSA or EKS Pod Identity).',
    '',
    'Commands:',
    '  serve    run the probe and serve /readyz, /livez, /metrics and /status (default)',
    '  check    run one cycle, print the report (--json: as JSON) and exit 0 (pass), 1 (a check failed), 2 (usage or configuration error) or 3 (the report could not be written)',
    '  help     print this text (also --help, -h)',
    '  version  print the version (also --version)',
    '',
    'Settings (a flag wins over its environment variable; durations like 100ms, 30s, 5m, 1h, 1m30s):',
    ...rows,
    '',
  ].join('\n');
}
