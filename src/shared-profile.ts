/**
 * Static keys in the shared AWS files: the profile an SDK's default chain
 * reads (AWS_PROFILE, else "default") from AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE (default ~/.aws/credentials and ~/.aws/config), parsed with
 * the SDK's own loader so the probe reads exactly what the JavaScript SDK
 * reads. Missing or unreadable files count as empty, as they do for the SDK.
 */
import { loadSharedConfigFiles } from '@smithy/core/config';
import type { AwsEnv } from './config.js';

export interface SharedFileKeys {
  readonly profile: string;
  /** The file that holds aws_access_key_id for that profile, as the user named it. */
  readonly file: string;
}

export async function staticKeysInSharedFiles(aws: AwsEnv): Promise<SharedFileKeys | undefined> {
  const profile = aws.profile ?? 'default';
  const files = await loadSharedConfigFiles({ filepath: aws.sharedCredentialsFile, configFilepath: aws.configFile, ignoreCache: true });
  if (hasKeys(files.credentialsFile[profile])) return { profile, file: aws.sharedCredentialsFile ?? '~/.aws/credentials' };
  if (hasKeys(files.configFile[profile])) return { profile, file: aws.configFile ?? '~/.aws/config' };
  return undefined;
}

function hasKeys(section: Readonly<Record<string, string | undefined>> | undefined): boolean {
  return Boolean(section?.aws_access_key_id) && Boolean(section?.aws_secret_access_key);
}
