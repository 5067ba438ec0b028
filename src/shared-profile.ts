/**
 * Static keys in the shared AWS files: the profile an SDK's default chain
 * reads (AWS_PROFILE, else "default") from AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE (default ~/.aws/credentials and ~/.aws/config), parsed with
 * the SDK's own loader so the probe reads exactly what the JavaScript SDK
 * reads. Missing or unreadable files count as empty, as they do for the SDK.
 *
 * The loader reads with a plain readFile, which a FIFO or device at the path
 * would block for good (one of libuv's four thread-pool threads each time), and
 * reads a huge file whole. So each file is first opened here without blocking
 * and checked to be a small regular file; when one is not, the loader is not
 * called at all (the chain check refuses the SDK chain and names the file).
 * A file swapped in between the check and the loader's read is not caught.
 */
import { join } from 'node:path';
import { getHomeDir, loadSharedConfigFiles } from '@smithy/core/config';
import type { AwsEnv } from './config.js';
import { showValue } from './redact.js';
import { checkSmallFile, SmallFileError } from './small-file.js';

/** Shared config files are a few KiB; a generous bound still refuses /dev/zero-sized reads. */
export const MAX_SHARED_FILE_BYTES = 1024 * 1024;

export interface SharedFileKeys {
  readonly profile: string;
  /** The file that holds aws_access_key_id for that profile, where the SDK reads it (default and `~/` resolved). */
  readonly file: string;
}

/** A shared file the SDK reads that is not a small regular file: the message names it. */
export interface SharedFileProblem {
  readonly problem: string;
}

/** The shared files where the SDK looks for them (its own defaults and `~/` expansion), each with a name for messages. */
function sharedFiles(aws: AwsEnv): [credentials: SharedFile, config: SharedFile] {
  const home = getHomeDir();
  const locate = (variable: string, value: string | undefined, base: string): SharedFile => {
    const path = value === undefined ? join(home, '.aws', base) : value.startsWith('~/') ? join(home, value.slice(2)) : value;
    // Paths come from the environment: quoted, so no control character reaches a terminal.
    return { path, label: value === undefined ? `the shared ${base} file ${showValue(path)}` : `${variable}=${showValue(value)}` };
  };
  return [locate('AWS_SHARED_CREDENTIALS_FILE', aws.sharedCredentialsFile, 'credentials'), locate('AWS_CONFIG_FILE', aws.configFile, 'config')];
}

interface SharedFile {
  readonly path: string;
  readonly label: string;
}

export const SHARED_FILE_FIX =
  'Point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at regular files of a few KiB (or unset them and remove ~/.aws from the image): the SDK reads them with a plain read, which blocks for good on a FIFO or device and reads a huge file whole.';

/**
 * Rejects with SmallFileError when a shared file exists and is not a small
 * regular file. Other errors (absent, unreadable) pass: the SDK reads such a file as empty.
 */
export async function checkSharedFiles(aws: AwsEnv): Promise<void> {
  for (const { path, label } of sharedFiles(aws)) {
    await checkSmallFile(path, { maxBytes: MAX_SHARED_FILE_BYTES, what: label }).catch((error: unknown) => {
      if (error instanceof SmallFileError) throw error;
    });
  }
}

/**
 * One look at the shared files per cycle: the problem when one is not a small
 * regular file (the loader is then not called), else the static keys of the
 * SDK's profile, if any. Never rejects.
 */
export async function inspectSharedFiles(aws: AwsEnv): Promise<SharedFileProblem | SharedFileKeys | undefined> {
  try {
    await checkSharedFiles(aws);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return staticKeysInSharedFiles(aws).catch(() => undefined);
}

/** The loader's reading (fresh each cycle: a file may change); call only after checkSharedFiles passed. */
async function staticKeysInSharedFiles(aws: AwsEnv): Promise<SharedFileKeys | undefined> {
  const profile = aws.profile ?? 'default';
  const [credentials, config] = sharedFiles(aws);
  const files = await loadSharedConfigFiles({ filepath: aws.sharedCredentialsFile, configFilepath: aws.configFile, ignoreCache: true });
  if (hasKeys(files.credentialsFile[profile])) return { profile, file: credentials.path };
  if (hasKeys(files.configFile[profile])) return { profile, file: config.path };
  return undefined;
}

function hasKeys(section: Readonly<Record<string, string | undefined>> | undefined): boolean {
  return Boolean(section?.aws_access_key_id) && Boolean(section?.aws_secret_access_key);
}
