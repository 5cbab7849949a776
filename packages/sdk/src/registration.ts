import { PorticoError } from './errors.js';
import { RegistryClient } from './registry-client.js';
import type { InstanceRegistration } from './registry-types.js';
import type { ServiceLogger } from './serve.js';

interface RegistrationOptions {
  registryUrl: string;
  registrationKey?: string | undefined;
  heartbeatMs: number;
  registration: InstanceRegistration & { id: string };
  logger: ServiceLogger;
}

const REFUSALS = new Set(['VALIDATION_ERROR', 'OPENAPI_INVALID', 'AUTHENTICATION_ERROR', 'AUTHORIZATION_ERROR']);

/** Shortest wait before trying an unreachable registry again. */
const MIN_RETRY_MS = 250;

/**
 * Keeps one instance registered: registers, heartbeats, registers again when a heartbeat says the
 * registry forgot the instance (it restarted), and keeps trying while the registry is away.
 */
export class Registration {
  readonly id: string;
  readonly registered: Promise<void>;
  private readonly client: RegistryClient;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private isRegistered = false;
  private failures = 0;
  private markRegistered!: () => void;
  private markRefused!: (error: unknown) => void;
  private current: Promise<void> | undefined;

  constructor(private readonly options: RegistrationOptions) {
    this.id = options.registration.id;
    this.client = new RegistryClient(
      options.registryUrl,
      options.registrationKey ? { registrationKey: options.registrationKey } : {},
    );
    this.registered = new Promise((resolve, reject) => {
      this.markRegistered = resolve;
      this.markRefused = reject;
    });
    // Only a caller that awaits `registered` hears of a refusal; nobody else crashes on it.
    this.registered.catch(() => undefined);
  }

  start(): void {
    this.current = this.tick();
  }

  /** Stops heartbeating and deregisters; an unreachable registry lets the lease expire instead. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // A registration still on its way would land after the deregister and outlive the service.
    await this.current;
    try {
      await this.client.deregister(this.id);
    } catch (error) {
      if (!(error instanceof PorticoError && error.code === 'NOT_FOUND')) {
        this.options.logger.warn(`deregister failed, the lease will expire: ${String(error)}`);
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.isRegistered) await this.heartbeatOrRegister();
      else await this.register();
      this.failures = 0;
    } catch (error) {
      // Retrying cannot fix a refused instance or a refused credential: fail loud, once.
      if (error instanceof PorticoError && REFUSALS.has(error.code)) {
        this.stopped = true;
        this.options.logger.error(`the registry refused this instance: ${String(error)}`);
        this.markRefused(error);
        return;
      }
      this.failures++;
      if (this.failures === 1) this.options.logger.warn(`registry call failed: ${String(error)}`);
    }
    if (this.stopped) return;
    // Until registered, or while the registry is away, retry sooner than a heartbeat, backing off.
    const wait =
      this.isRegistered && this.failures === 0
        ? this.options.heartbeatMs
        : Math.min(this.options.heartbeatMs, MIN_RETRY_MS * 2 ** Math.min(this.failures, 6));
    this.timer = setTimeout(() => {
      this.current = this.tick();
    }, wait);
    this.timer.unref();
  }

  private async heartbeatOrRegister(): Promise<void> {
    try {
      await this.client.heartbeat(this.id);
    } catch (error) {
      if (error instanceof PorticoError && error.code === 'NOT_FOUND') {
        this.options.logger.info('registry forgot this instance: registering again');
        await this.register();
        return;
      }
      throw error;
    }
  }

  private async register(): Promise<void> {
    await this.client.register(this.options.registration);
    if (this.stopped) return;
    this.isRegistered = true;
    this.markRegistered();
  }
}
