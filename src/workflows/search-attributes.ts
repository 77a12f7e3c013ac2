import { defineSearchAttributeKey } from '@temporalio/common';

export const CosmosRunId = defineSearchAttributeKey('CosmosRunId', 'KEYWORD');
export const CosmosPromptId = defineSearchAttributeKey('CosmosPromptId', 'KEYWORD');
export const CosmosModelType = defineSearchAttributeKey('CosmosModelType', 'KEYWORD');
export const CosmosStatus = defineSearchAttributeKey('CosmosStatus', 'KEYWORD');
export const CosmosGpuHost = defineSearchAttributeKey('CosmosGpuHost', 'KEYWORD');

/** Every custom search attribute the workflows set; the dev-server launcher registers these. */
export const cosmosSearchAttributes = [CosmosRunId, CosmosPromptId, CosmosModelType, CosmosStatus, CosmosGpuHost];
