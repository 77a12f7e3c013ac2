-- Outputs of every model type in one shape: the result moves from `video` / `enhancedText` / `enhancedPromptId` into `result`.
UPDATE "runs" SET "outputs" = ("outputs" - 'video' - 'enhancedText' - 'enhancedPromptId') || jsonb_build_object('result',
  jsonb_build_object('kind', 'video', 'file', CASE WHEN "model_type" = 'upscale' THEN 'output_4k.mp4' ELSE 'output.mp4' END) || ("outputs" -> 'video'))
WHERE "outputs" ? 'video';--> statement-breakpoint
UPDATE "runs" SET "outputs" = ("outputs" - 'enhancedText' - 'enhancedPromptId') || jsonb_build_object('result',
  jsonb_strip_nulls(jsonb_build_object('kind', 'text', 'text', "outputs" -> 'enhancedText', 'promptId', "outputs" -> 'enhancedPromptId')))
WHERE "outputs" ? 'enhancedText';
