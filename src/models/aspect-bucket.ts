/**
 * Cosmos-Transfer1 resizes every video it reads, the input and each control alike, to the resolution of its own
 * nearest aspect ratio (detect_aspect_ratio + VIDEO_RES_SIZE_INFO in read_and_resize_input,
 * cosmos_transfer1/diffusion/inference/inference_utils.py, nvidia-cosmos/cosmos-transfer1 @5005e82).
 */
const buckets = [
  { key: '16,9', ratio: 16 / 9, width: 1280, height: 704 },
  { key: '4,3', ratio: 4 / 3, width: 960, height: 704 },
  { key: '1,1', ratio: 1, width: 960, height: 960 },
  { key: '3,4', ratio: 3 / 4, width: 704, height: 960 },
  { key: '9,16', ratio: 9 / 16, width: 704, height: 1280 },
] as const;

export type AspectBucket = (typeof buckets)[number];

/** The bucket whose ratio is nearest (argmin of the squared difference, first on a tie, as numpy does). */
export function findAspectBucket(width: number, height: number): AspectBucket {
  const ratio = width / height;
  let best: AspectBucket = buckets[0];
  for (const bucket of buckets) if ((bucket.ratio - ratio) ** 2 < (best.ratio - ratio) ** 2) best = bucket;
  return best;
}
