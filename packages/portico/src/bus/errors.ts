/** Why a bus call was refused; `code` is stable and documented in docs/errors.md. */
export class BusError extends Error {
  override readonly name: string = 'BusError';
  constructor(
    readonly code: 'BUS_CONFIG_INVALID' | 'BUS_INPUT_INVALID' | 'BUS_CLOSED',
    message: string,
  ) {
    super(message);
  }
}
