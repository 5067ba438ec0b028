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
import { checkSmallFile, SmallFileError } from './small-file.js';

/** Shared config files are a few KiB; a generous bound still refuses /dev/zero-sized reads. */
export const MAX_SHARED_FILE_BYTES = 1024 * 1024;

export interface SharedFileKeys {
  readonly profile: string;
  /** The file that holds aws_access_key_id for that profile, as the user named it. */
  readonly file: string;
}

/** The shared files where the SDK looks for them (its own defaults and `~/` expansion), each with a name for messages. */
export function sharedFiles(aws: AwsEnv): Array<{ path: string; label: string }> {
  const home = getHomeDir();
  const locate = (variable: string, value: string | undefined, base: string) => {
    const path = value === undefined ? join(home, '.aws', base) : value.startsWith('~/') ? join(home, value.slice(2)) : value;
    // Paths come from the environment: quoted, so no control character reaches a terminal.
    return { path, label: value === undefined ? `the shared ${base} file ${JSON.stringify(path)}` : `${variable}=${JSON.stringify(value)}` };
  };
  return [locate('AWS_SHARED_CREDENTIALS_FILE', aws.sharedCredentialsFile, 'credentials'), locate('AWS_CONFIG_FILE', aws.configFile, 'config')];
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

export async function staticKeysInSharedFiles(aws: AwsEnv): Promise<SharedFileKeys | undefined> {
  const profile = aws.profile ?? 'default';
  const safe = await checkSharedFiles(aws).then(() => true, () => false);
  if (!safe) return undefined;
  const files = await loadSharedConfigFiles({ filepath: aws.sharedCredentialsFile, configFilepath: aws.configFile, ignoreCache: true });
  if (hasKeys(files.credentialsFile[profile])) return { profile, file: aws.sharedCredentialsFile ?? '~/.aws/credentials' };
  if (hasKeys(files.configFile[profile])) return { profile, file: aws.configFile ?? '~/.aws/config' };
  return undefined;
}

function hasKeys(section: Readonly<Record<string, string | undefined>> | undefined): boolean {
  return Boolean(section?.aws_access_key_id) && Boolean(section?.aws_secret_access_key);
}
