/**
 * Image figures from the container test (scripts/container-test.sh writes
 * .tmp/container-figures.json); this benchmark only reads and reports them.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './child.js';

export const CONTAINER_FIGURES = join(REPO_ROOT, '.tmp', 'container-figures.json');

export interface ImageFigures {
  readonly image: string;
  readonly base: string;
  readonly nodeVersion: string;
  readonly imageBytes: number;
  readonly baseBytes: number;
  readonly appLayerBytes: number;
  readonly rssBytes?: number;
  readonly startToReadyMs?: number;
  /** When the container test wrote the file. */
  readonly writtenAt: string;
}

export type ImageResult = { readonly available: true; readonly figures: ImageFigures } | { readonly available: false; readonly why: string };

export function parseContainerFigures(text: string, writtenAt: string): ImageFigures {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const num = (k: string): number => {
    if (typeof raw[k] !== 'number') throw new Error(`container figures: ${k} is not a number`);
    return raw[k];
  };
  const str = (k: string): string => (typeof raw[k] === 'string' ? raw[k] : '?');
  const opt = (k: string): number | undefined => (typeof raw[k] === 'number' ? raw[k] : undefined);
  return { image: str('image'), base: str('base'), nodeVersion: str('nodeVersion'), imageBytes: num('imageBytes'), baseBytes: num('baseBytes'), appLayerBytes: num('appLayerBytes'), rssBytes: opt('rssBytes'), startToReadyMs: opt('startToReadyMs'), writtenAt };
}

export async function imageFigures(): Promise<ImageResult> {
  try {
    const [text, info] = await Promise.all([readFile(CONTAINER_FIGURES, 'utf8'), stat(CONTAINER_FIGURES)]);
    return { available: true, figures: parseContainerFigures(text, info.mtime.toISOString()) };
  } catch (error) {
    return { available: false, why: `${CONTAINER_FIGURES}: ${(error as Error).message} (run scripts/container-test.sh)` };
  }
}
