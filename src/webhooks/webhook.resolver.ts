import { Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { Context } from "../context";
import { WebhookDelivery, WebhookDeliveryConnection } from "./webhook-delivery";
import { WebhookEndpoint, WebhookEndpointSecret } from "./webhook-endpoint";
import {
  CreateWebhookEndpointArgs,
  RedeliverWebhookArgs,
  UpdateWebhookEndpointArgs,
  WebhookDeliveriesArgs,
  WebhookEndpointIdArgs,
} from "./webhook.inputs";

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Authorized("webhooks:manage")
  @Query(() => [WebhookEndpoint], { description: "The org's webhook endpoints, oldest first. Needs webhooks:manage." })
  webhookEndpoints(@Ctx() ctx: Context): Promise<WebhookEndpoint[]> {
    return ctx.services.webhooks.list(ctx.auth!);
  }

  @Authorized("webhooks:manage")
  @Query(() => WebhookDeliveryConnection, {
    description: "An endpoint's deliveries, newest first, kept as long as their events (EVENTS_RETENTION_DAYS). Needs webhooks:manage.",
  })
  webhookDeliveries(@Args() { endpointId, first, after, failedOnly }: WebhookDeliveriesArgs, @Ctx() ctx: Context): Promise<WebhookDeliveryConnection> {
    return ctx.services.webhooks.deliveries(ctx.auth!, endpointId, first, after, failedOnly);
  }

  @Authorized("webhooks:manage")
  @Mutation(() => WebhookEndpointSecret, {
    description:
      "Creates an endpoint that receives the org's events from now on, and returns its signing secret: the only time it is shown (besides rotateWebhookSecret). At most WEBHOOK_MAX_ENDPOINTS per org (then FAILED_PRECONDITION). Needs webhooks:manage.",
  })
  createWebhookEndpoint(@Args() { input }: CreateWebhookEndpointArgs, @Ctx() ctx: Context): Promise<WebhookEndpointSecret> {
    return ctx.services.webhooks.create(ctx.auth!, input);
  }

  @Authorized("webhooks:manage")
  @Mutation(() => WebhookEndpoint, { description: "Changes the fields given. enabled: true resumes an endpoint disabled for any reason. Needs webhooks:manage." })
  updateWebhookEndpoint(@Args() { id, input }: UpdateWebhookEndpointArgs, @Ctx() ctx: Context): Promise<WebhookEndpoint> {
    return ctx.services.webhooks.update(ctx.auth!, id, input);
  }

  @Authorized("webhooks:manage")
  @Mutation(() => ID, { description: "Deletes an endpoint and its deliveries (none is attempted after); returns the deleted endpoint's id. Needs webhooks:manage." })
  deleteWebhookEndpoint(@Args() { id }: WebhookEndpointIdArgs, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.webhooks.delete(ctx.auth!, id);
  }

  @Authorized("webhooks:manage")
  @Mutation(() => WebhookEndpointSecret, {
    description: "Replaces the endpoint's signing secret and returns the new one; the old one keeps signing too (a second signature) for 24 hours. Needs webhooks:manage.",
  })
  rotateWebhookSecret(@Args() { id }: WebhookEndpointIdArgs, @Ctx() ctx: Context): Promise<WebhookEndpointSecret> {
    return ctx.services.webhooks.rotateSecret(ctx.auth!, id);
  }

  @Authorized("webhooks:manage")
  @Mutation(() => WebhookDelivery, {
    description:
      "Attempts a delivery again now, whatever its status, with a fresh retry schedule. FAILED_PRECONDITION while its endpoint is disabled. Needs webhooks:manage.",
  })
  redeliverWebhook(@Args() { deliveryId }: RedeliverWebhookArgs, @Ctx() ctx: Context): Promise<WebhookDelivery> {
    return ctx.services.webhooks.redeliver(ctx.auth!, deliveryId);
  }
}
