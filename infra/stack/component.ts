import type { StackContext } from './context.js';

/** One part of the local stack: how to install it, start it and tell it is healthy. */
export interface StackComponent {
  name: string;
  /** The variable that points socflow at this part; set in the environment, it wins and nothing starts. */
  envVar: string;
  address(ctx: StackContext): string;
  ports(ctx: StackContext): number[];
  startTimeoutMs: number;
  /** Downloads or installs what is missing; fast when everything is cached. */
  prepare(ctx: StackContext): void | Promise<void>;
  command(ctx: StackContext): { command: string; args: string[]; env?: NodeJS.ProcessEnv } | Promise<{ command: string; args: string[]; env?: NodeJS.ProcessEnv }>;
  healthy(address: string): Promise<boolean>;
}
