/**
 * The coordinator's open `Control` streams, one per member: the channel for membership
 * changes and shutdowns. A member closes its stream only after `Leave`, so a stream
 * that breaks while its worker is still a member means the process died or lost the
 * network; the owner is told at once instead of waiting for the heartbeat deadline.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ControlEvent, ControlRequest } from '../protocol/messages';

type ControlCall = ServerWritableStream<ControlRequest, ControlEvent>;

/**
 * Open Control streams by worker id.
 *
 * @example
 * ```ts
 * streams.attach('w-0', call, () => removeMember('w-0'));
 * streams.send('w-0', { membershipEpoch: 2, membershipChanged });
 * ```
 */
export class ControlStreams {
  private readonly calls = new Map<string, ControlCall>();

  /** Makes `call` the worker's stream (ending an older one); `onBroken` runs if it is cancelled while current. */
  attach(workerId: string, call: ControlCall, onBroken: () => void): void {
    this.calls.get(workerId)?.end();
    this.calls.set(workerId, call);
    call.on('cancelled', () => {
      if (this.calls.get(workerId) !== call) return;
      this.calls.delete(workerId);
      onBroken();
    });
  }

  /** Writes `event` to the worker's stream; false when it has none open. */
  send(workerId: string, event: ControlEvent): boolean {
    const call = this.calls.get(workerId);
    if (!call) return false;
    call.write(event);
    return true;
  }

  /** Ends the worker's stream (it left or was removed). */
  end(workerId: string): void {
    this.calls.get(workerId)?.end();
    this.calls.delete(workerId);
  }

  /** Ends every stream (the coordinator is closing). */
  endAll(): void {
    for (const call of this.calls.values()) call.end();
    this.calls.clear();
  }
}
