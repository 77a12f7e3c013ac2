import type { Connection } from '@temporalio/client';
import type { Duration, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { msToNumber, msToTs, tsToMs } from '@temporalio/common/lib/time.js';

/** Structurally the SDK's `SearchAttributeKey` (which @temporalio/common does not export from its index). */
export interface SearchAttributeKey {
  name: string;
  type: SearchAttributeType;
}

const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` value for `temporal server start-dev`. */
export function formatSearchAttributeFlag(key: SearchAttributeKey): string {
  return `${key.name}=${cliTypeNames[key.type]}`;
}

function toIndexedValueType(type: SearchAttributeType) {
  const encoded = encodeSearchAttributeIndexedValueType(type);
  if (encoded === undefined) throw new Error(`unknown search attribute type ${type}`);
  return encoded;
}

const GRPC_ALREADY_EXISTS = 6;

function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === GRPC_ALREADY_EXISTS;
}

/** Registers the missing attributes; a database made by an earlier version may lack newer ones. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: SearchAttributeKey[],
): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = keys.filter((key) => !(key.name in existing.customAttributes));
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(
    missing.map((key) => [key.name, toIndexedValueType(key.type)]),
  );
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

export async function setNamespaceRetention(connection: Connection, namespace: string, retention: string) {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(retention as Duration) },
  });
}

/** Describes the namespace and throws unless it has every attribute (with its type) and the retention. */
export async function verifyNamespace(
  connection: Connection,
  namespace: string,
  keys: SearchAttributeKey[],
  retention: string,
): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const wrong = keys.filter((k) => customAttributes[k.name] !== toIndexedValueType(k.type));
  if (wrong.length > 0) {
    throw new Error(`search attributes missing or mistyped in ${namespace}: ${wrong.map((k) => k.name).join(', ')}`);
  }
  const described = await connection.workflowService.describeNamespace({ namespace });
  const actualMs = tsToMs(described.config?.workflowExecutionRetentionTtl);
  if (actualMs !== msToNumber(retention as Duration)) {
    throw new Error(`namespace ${namespace} retention is ${actualMs / 3_600_000} h, expected ${retention}`);
  }
}
