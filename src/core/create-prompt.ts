import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Db } from '../db/client.js';
import { newPromptId } from '../db/ids.js';
import { insertPrompt } from '../db/queries/prompts.js';
import type { Prompt, PromptInputs, VideoRef } from '../db/schema.js';
import { probeMp4File } from '../gpu/mp4.js';
import { checkControlVideos } from './control-videos.js';
import { hashFile } from './file-hash.js';
import { addInputPosters } from './make-poster.js';
import { InputError } from './input-error.js';
import { findTextProblem } from './text-rules.js';

export interface CreatePromptRequest {
  text: string;
  videoDir: string;
  name?: string;
  negativePrompt?: string;
  modelType?: string;
}

const inputFiles = { video: 'color.mp4', depth: 'depth.mp4', seg: 'segmentation.mp4' } as const;

/**
 * Validates, hashes the input videos and stores the prompt; the same text and files return the existing prompt.
 * With `posterDir`, each input video gets a poster frame there, once every check has passed.
 */
export async function createPrompt(
  db: Db, request: CreatePromptRequest, defaults: { negativePrompt: string; posterDir?: string },
): Promise<{ prompt: Prompt; created: boolean }> {
  const text = checkText(request.text, 'prompt text');
  const negative = request.negativePrompt === undefined ? defaults.negativePrompt : checkText(request.negativePrompt, 'negative prompt');
  const name = request.name === undefined ? deriveName(text) : checkName(request.name);
  const checked = await readInputs(request.videoDir);
  const inputs = defaults.posterDir ? await addInputPosters(checked, defaults.posterDir) : checked;
  const modelType = request.modelType ?? 'transfer';
  const contentKey = computeContentKey(modelType, text, negative, inputs);
  return insertPrompt(db, { id: newPromptId(), name, modelType, promptText: text, negativePrompt: negative, inputs, contentKey });
}

function checkText(value: string, what: string): string {
  const problem = findTextProblem(value, what);
  if (problem) throw new InputError(problem);
  return value;
}

function checkName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/.test(value)) {
    throw new InputError(`name "${value}" must be 1–80 letters, digits, "_", "-" or "." and start with a letter or digit`);
  }
  return value;
}

const stopWords = new Set(['a', 'an', 'the', 'of', 'and', 'or', 'in', 'on', 'at', 'to', 'with', 'for', 'from', 'by', 'is', 'are', 'into']);

/** A short `word_word_word` slug from the prompt's first meaningful words. */
export function deriveName(text: string): string {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const picked = words.filter((w) => !stopWords.has(w)).slice(0, 3);
  return (picked.length ? picked : words.slice(0, 3)).join('_').slice(0, 60) || 'prompt';
}

async function readInputs(videoDir: string): Promise<PromptInputs> {
  // The real directory is recorded: the API serves inputs only when no step below it is a symbolic link.
  const dir = await realpath(resolve(videoDir)).catch(() => resolve(videoDir));
  const dirStat = await stat(dir).catch(() => null);
  if (!dirStat) throw new InputError(`video directory ${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new InputError(`${dir} is not a directory`);
  const video = await readVideo(join(dir, inputFiles.video), true);
  if (!video) throw new InputError(`${dir} has no ${inputFiles.video} (the input video is required)`);
  const depth = await readVideo(join(dir, inputFiles.depth), false);
  const seg = await readVideo(join(dir, inputFiles.seg), false);
  const inputs = { video, ...(depth ? { depth } : {}), ...(seg ? { seg } : {}) };
  checkControlVideos(inputs);
  return inputs;
}

async function readVideo(path: string, required: boolean): Promise<VideoRef | null> {
  const fileStat = await stat(path).catch(() => null);
  if (!fileStat) return null;
  if (!fileStat.isFile()) throw new InputError(`${path} is not a regular file`);
  try {
    const info = await probeMp4File(path);
    const { sha256, bytes } = await hashFile(path);
    return { path, sha256, bytes, width: info.width, height: info.height, frames: info.frames, fps: info.fps };
  } catch (error) {
    if (error instanceof InputError) throw error;
    const what = required ? 'input video' : `${basename(path)}`;
    throw new InputError(`${path} is not a usable ${what}: ${(error as Error).message}`);
  }
}

/** A prompt made from text a model produced (an enhanced prompt): the parent's inputs, named `<parent><suffix>`. */
export async function createDerivedPrompt(db: Db, parent: Prompt, text: string, nameSuffix: string): Promise<Prompt> {
  const promptText = checkText(text, `${nameSuffix.replace(/^_/, '')} prompt text`);
  const contentKey = computeContentKey(parent.modelType, promptText, parent.negativePrompt, parent.inputs);
  const { prompt } = await insertPrompt(db, {
    id: newPromptId(), name: `${parent.name.slice(0, 80 - nameSuffix.length)}${nameSuffix}`, modelType: parent.modelType, promptText,
    negativePrompt: parent.negativePrompt, inputs: parent.inputs, parameters: parent.parameters, contentKey, parentPromptId: parent.id,
  });
  return prompt;
}

function computeContentKey(modelType: string, text: string, negative: string, inputs: PromptInputs): string {
  return createHash('sha256')
    .update(JSON.stringify([modelType, text, negative, inputs.video.sha256, inputs.depth?.sha256 ?? null, inputs.seg?.sha256 ?? null]))
    .digest('hex');
}
