import { Command } from '@nestjs/cqrs';

/** PDS no longer knows the number: later creates and updates with it are refused; records stay. */
export class InvalidateNhsNumber extends Command<{ recorded: boolean }> {
  constructor(
    readonly nhsNumber: string,
    readonly recordedBy: string,
  ) {
    super();
  }
}
