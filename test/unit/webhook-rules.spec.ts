import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { ConfigError, loadConfig } from "../../src/config";
import { EventType } from "../../src/events/event-type";
import { webhookBody, webhookTypeName } from "../../src/webhooks/webhook-payload";
import { nextAttemptAfter, parseDuration, parseRetrySchedule } from "../../src/webhooks/webhook-schedule";
import { newWebhookSecret, signatureHeader, signatureOf } from "../../src/webhooks/webhook-signature";
import { checkedAddresses, ipLiteral, isPublicAddress, urlProblem } from "../../src/webhooks/webhook-target";

describe("signing (Standard Webhooks 1.0)", () => {
  it("makes a secret of 32 random bytes", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it("signs {id}.{timestamp}.{body} with the secret's decoded bytes, as the reference library verifies", () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: "evt_1", type: "lead.created", data: { é: "ü" } });
    const ts = Math.floor(Date.now() / 1000);
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64")).update(`evt_1.${ts}.${body}`).digest("base64");
    expect(signatureOf(secret, "evt_1", ts, body)).toBe(`v1,${expected}`);
    const headers = { "webhook-id": "evt_1", "webhook-timestamp": String(ts), "webhook-signature": signatureOf(secret, "evt_1", ts, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body + " ", headers)).toThrow();
  });

  it("joins one signature per secret with spaces", () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const header = signatureHeader([a, b], "evt_1", 1, "{}");
    expect(header.split(" ")).toEqual([signatureOf(a, "evt_1", 1, "{}"), signatureOf(b, "evt_1", 1, "{}")]);
  });
});

describe("retry schedule", () => {
  it("parses durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    for (const bad of ["", "5", "5 s", "-5s", "0s", "1.5s", "5x", "31d"]) expect(parseDuration(bad)).toBeUndefined();
  });

  it("parses the default schedule and refuses a bad one", () => {
    expect(parseRetrySchedule("5s,5m,30m,2h,5h,10h,10h")).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    expect(parseRetrySchedule(" 100ms , 200ms ")).toEqual([100, 200]);
    for (const bad of ["", "5s,", "5s,,5m", "soon"]) expect(() => parseRetrySchedule(bad)).toThrow(/durations/);
  });

  it("waits the n-th step after the n-th failure, then gives up", () => {
    const now = 1_000_000;
    expect(nextAttemptAfter([100, 200], 1, now)).toEqual(new Date(now + 100));
    expect(nextAttemptAfter([100, 200], 2, now)).toEqual(new Date(now + 200));
    expect(nextAttemptAfter([100, 200], 3, now)).toBeNull();
  });
});

describe("targets", () => {
  it.each([
    "127.0.0.1", "127.255.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
    "255.255.255.255", "192.0.2.1", "198.18.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:7f00:1", "2002:7f00:1::1", "64:ff9b::7f00:1", "2001:db8::1", "not an address",
  ])("%s is not public", (address) => expect(isPublicAddress(address)).toBe(false));

  it.each(["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"])("%s is public", (address) =>
    expect(isPublicAddress(address)).toBe(true),
  );

  it("tells literal addresses from names, as URL hostnames spell them", () => {
    expect(ipLiteral(new URL("http://[::1]/").hostname)).toBe("::1");
    expect(ipLiteral(new URL("http://0x7f000001/").hostname)).toBe("127.0.0.1");
    expect(ipLiteral("example.com")).toBeNull();
  });

  it("allows https always, http only outside production, never credentials", () => {
    expect(urlProblem("https://example.com/x", { httpsOnly: true })).toBeNull();
    expect(urlProblem("http://example.com/x", { httpsOnly: true })).toMatch(/https/);
    expect(urlProblem("http://example.com/x", { httpsOnly: false })).toBeNull();
    expect(urlProblem("ftp://example.com/x", { httpsOnly: false })).toMatch(/http/);
    expect(urlProblem("https://u:p@example.com/", { httpsOnly: false })).toMatch(/credentials/);
    expect(urlProblem("example.com", { httpsOnly: false })).toMatch(/absolute/);
  });

  it("refuses a name when any of its addresses is not public, unless private targets are allowed", async () => {
    const lookup = async () => [{ address: "93.184.216.34", family: 4 as const }, { address: "10.0.0.1", family: 4 as const }];
    await expect(checkedAddresses("mixed.test", { httpsOnly: false, allowPrivate: false, lookup })).rejects.toThrow(/non-public/);
    await expect(checkedAddresses("mixed.test", { httpsOnly: false, allowPrivate: true, lookup })).resolves.toHaveLength(2);
    await expect(checkedAddresses("127.0.0.1", { httpsOnly: false, allowPrivate: false, lookup })).rejects.toThrow(/non-public/);
  });
});

describe("payload", () => {
  it("names every event type in dotted form", () => {
    expect(Object.values(EventType).map(webhookTypeName)).toEqual([
      "lead.created", "lead.updated", "lead.status_changed", "lead.follow_up_recorded", "lead.follow_up_due", "followup.created", "followup.updated",
    ]);
  });

  it("is {id, type, timestamp, data} with the event's data plus leadId, followupId and cursor", () => {
    const body = JSON.parse(
      webhookBody({
        id: "evt_1", type: EventType.FOLLOWUP_CREATED, occurredOn: new Date("2026-01-02T03:04:05.678Z"), leadId: "lead_1", followupId: "fu_1",
        data: { id: "fu_1", status: "ON_HOLD" }, position: { xid: 10n, seq: 2n },
      }),
    );
    expect(body).toEqual({
      id: "evt_1", type: "followup.created", timestamp: "2026-01-02T03:04:05.678Z",
      data: { id: "fu_1", status: "ON_HOLD", leadId: "lead_1", followupId: "fu_1", cursor: expect.any(String) },
    });
  });
});

describe("configuration", () => {
  it("has the contract's defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      webhookPollMs: 1000,
      webhookRetrySchedule: [5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6],
      webhookTimeoutMs: 10_000,
      webhookAllowPrivate: false,
      webhookMaxEndpoints: 20,
      webhookDisableAfterMs: 72 * 3_600_000,
    });
  });

  it("reads the WEBHOOK_ variables and refuses bad ones", () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: "100ms,1s", WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_DISABLE_AFTER_HOURS: "1" })).toMatchObject({
      webhookRetrySchedule: [100, 1000],
      webhookAllowPrivate: true,
      webhookDisableAfterMs: 3_600_000,
    });
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: "soon" })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: "0" })).toThrow(ConfigError);
  });
});
