/**
 * What every handler under /interaction/:uid does the same way: load this browser's interaction
 * (the one in the path, or none), pick the page language, render a page with a status, answer a
 * locked name with Retry-After. The router (routes.ts) and the second-factor steps share one kit.
 */
import type { Context } from 'koa';
import { errors, type Interaction, type Provider } from 'oidc-provider';
import { INTERACTION_PATH } from '../oidc/provider';
import type { Translate } from './i18n';
import { requestLanguage } from './i18n';
import type { Pages } from './views';

/** `/interaction/:uid`, or one of its steps (`/interaction/:uid/login`). */
export const stepUrl = (uid: string, step?: string): string =>
  `${INTERACTION_PATH}/${encodeURIComponent(uid)}${step ? `/${step}` : ''}`;

export interface InteractionKit {
  /** The interaction of this browser, which must be the one in the path. */
  loadInteraction(ctx: Context): Promise<Interaction>;
  /** The relying party's display name (its id when it has none). */
  clientName(interaction: Interaction): Promise<string>;
  /** The translator of the page language `loadInteraction` picked. */
  translator(ctx: Context): Translate;
  render(
    ctx: Context,
    view: string,
    status: number,
    locals: Record<string, unknown> & { title: string },
  ): Promise<void>;
  /** A post for a step the interaction is not at (a resubmitted form): show the current step. */
  backToCurrentStep(ctx: Context, interaction: Interaction): void;
}

export function createInteractionKit(deps: { provider: Provider; pages: Pages }): InteractionKit {
  const { provider, pages } = deps;
  return {
    async loadInteraction(ctx) {
      const interaction = await provider.interactionDetails(ctx.req, ctx.res);
      if (interaction.uid !== ctx.params.uid)
        throw new errors.SessionNotFound('interaction session mismatch');
      ctx.state.language = requestLanguage(pages.catalog, ctx, interaction.params);
      return interaction;
    },
    async clientName(interaction) {
      const clientId = String(interaction.params.client_id);
      const client = await provider.Client.find(clientId);
      return client?.clientName ?? clientId;
    },
    translator(ctx) {
      return pages.catalog.translator(ctx.state.language as string);
    },
    async render(ctx, view, status, locals) {
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = await pages.render(view, ctx.state.language as string, locals);
    },
    backToCurrentStep(ctx, interaction) {
      ctx.status = 303;
      ctx.redirect(stepUrl(interaction.uid));
    },
  };
}

/** Retry-After (RFC 9110 §10.2.3) for a name locked until `lockedUntil`: whole seconds, at least 1. */
export function setRetryAfter(ctx: Context, lockedUntil: Date | undefined): void {
  if (!lockedUntil) return;
  ctx.set('Retry-After', String(Math.max(1, Math.ceil((lockedUntil.getTime() - Date.now()) / 1000))));
}
