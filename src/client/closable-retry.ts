import { InterceptingCall, RequesterBuilder, type Interceptor, type StatusObject } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions } from '@temporalio/client';

/**
 * Temporal's own retry interceptor waits between attempts on a timer and starts the next attempt on whatever
 * channel it had; a connection closed meanwhile makes that timer throw "Channel has been shut down" outside any
 * promise, which kills the process (a worker stopping while a progress signal retries through a Temporal outage).
 * This one retries the same calls with the same backoff, and `close()` ends every waiting retry with its last
 * status first, so the caller's promise rejects and nothing fires after the channel is gone.
 */
export interface ClosableRetry {
  interceptor: Interceptor;
  /** Ends the calls waiting to retry; call before closing the connection. New failures are not retried after. */
  close(): void;
}

export function createClosableRetry(options = defaultGrpcRetryOptions()): ClosableRetry {
  let closed = false;
  const waiting = new Map<NodeJS.Timeout, () => void>();

  const interceptor: Interceptor = (callOptions, nextCall) => {
    let request: unknown;
    const requester = new RequesterBuilder()
      .withStart((metadata, downstream, next) => {
        let attempt = 1;
        let response: unknown;
        // Each attempt's message is held until its status says whether the call is over or tried again.
        const finish = (status: StatusObject) => {
          if (response !== undefined) downstream.onReceiveMessage(response);
          downstream.onReceiveStatus(status);
        };
        const onStatus = (status: StatusObject) => {
          if (closed || !options.retryableDecider(attempt, status)) return finish(status);
          response = undefined;
          const timer = setTimeout(() => {
            waiting.delete(timer);
            retry(status);
          }, options.delayFunction(attempt, status));
          waiting.set(timer, () => finish(status));
        };
        const retry = (last: StatusObject) => {
          attempt++;
          try {
            const call = nextCall(callOptions);
            call.start(metadata, { onReceiveMessage: (message) => { response = message; }, onReceiveStatus: onStatus });
            call.sendMessage(request);
            call.halfClose();
          } catch {
            finish(last);
          }
        };
        next(metadata, { onReceiveMessage: (message: unknown) => { response = message; }, onReceiveStatus: onStatus });
      })
      .withSendMessage((message, next) => { request = message; next(message); })
      .build();
    return new InterceptingCall(nextCall(callOptions), requester);
  };

  return {
    interceptor,
    close() {
      closed = true;
      for (const [timer, giveUp] of waiting) {
        clearTimeout(timer);
        waiting.delete(timer);
        giveUp();
      }
    },
  };
}
