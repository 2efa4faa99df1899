import { createHash, randomBytes } from "node:crypto";
import type { DataSource, Repository } from "typeorm";
import { badInput, unauthenticated, type FieldErrors } from "../common/errors";
import { newId } from "../common/ids";
import { insertUnique } from "../db/versioned-write";
import { logger } from "../common/logger";
import { ApiKey } from "./api-key.entity";
import { isPrincipalId, MAX_PRINCIPAL_ID_LENGTH, SCOPES, type Principal } from "./scopes";

/** Every key starts with this, which tells it apart from a JWT in `Authorization: Bearer`. */
export const API_KEY_PREFIX = "lgk_";
/** `lgk_` and 32 random bytes in base64url (256 bits): hashing it with SHA-256 alone is safe. */
const KEY_PATTERN = /^lgk_[A-Za-z0-9_-]{43}$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The visible part kept for identification: the prefix and 8 characters (48 of the 256 bits). */
const SHOWN_LENGTH = API_KEY_PREFIX.length + 8;
/** The last use is written at most this often per key. */
export const LAST_USED_INTERVAL_MS = 60_000;

export const isApiKey = (credential: string) => credential.startsWith(API_KEY_PREFIX);

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

export interface NewApiKey {
  org: string;
  name: string;
  scopes: readonly string[];
}

/**
 * Partner API keys: created, listed and revoked by `npm run apikey`, checked on every request.
 * There is no cache: each request looks its key up by hash (a unique index), so a revoke takes
 * effect on the next request in every instance.
 */
export class ApiKeyService {
  private readonly repo: Repository<ApiKey>;
  /** When this process last wrote each key's `last_used_on`. */
  private readonly lastUsedWrites = new Map<string, number>();
  private readonly pendingWrites = new Set<Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly lastUsedIntervalMs = LAST_USED_INTERVAL_MS,
  ) {
    this.repo = ds.getRepository(ApiKey);
  }

  /** Creates a key; the returned `key` is the only time the secret exists outside its holder. */
  async create(input: NewApiKey): Promise<{ apiKey: ApiKey; key: string }> {
    const scopes = [...new Set(input.scopes)].sort();
    const fields: FieldErrors = {};
    if (!isPrincipalId(input.org)) fields.org = [`must be non-empty well-formed text of at most ${MAX_PRINCIPAL_ID_LENGTH} characters`];
    if (!NAME_PATTERN.test(input.name)) fields.name = ["must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"];
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length) fields.scopes = [`unknown scope(s) ${unknown.join(", ")}; the scopes are ${SCOPES.join(", ")}`];
    else if (!scopes.length) fields.scopes = [`at least one of ${SCOPES.join(", ")}`];
    if (Object.keys(fields).length) throw badInput(fields);

    const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
    const apiKey = this.repo.create({
      id: newId("apiKey"),
      orgId: input.org,
      name: input.name,
      scopes,
      prefix: key.slice(0, SHOWN_LENGTH),
      keyHash: hashApiKey(key),
      createdOn: new Date(),
      revokedOn: null,
      lastUsedOn: null,
    });
    await insertUnique(
      () => this.repo.insert(apiKey),
      `Org "${input.org}" already has an active API key named "${input.name}"; revoke it or pick another name`,
    );
    return { apiKey, key };
  }

  /** Every key (active and revoked), of one org or all, oldest first. */
  list(org?: string): Promise<ApiKey[]> {
    return this.repo.find({ where: org === undefined ? {} : { orgId: org }, order: { createdOn: "ASC", id: "ASC" } });
  }

  /** Revokes a key; null when there is no such key, `revokedNow` false when it already was. */
  async revoke(id: string): Promise<{ apiKey: ApiKey; revokedNow: boolean } | null> {
    const before = await this.repo.findOneBy({ id });
    if (!before) return null;
    if (before.revokedOn) return { apiKey: before, revokedNow: false };
    await this.ds.query(`UPDATE "api_keys" SET "revoked_on" = $2 WHERE "id" = $1 AND "revoked_on" IS NULL`, [id, new Date()]);
    return { apiKey: (await this.repo.findOneBy({ id }))!, revokedNow: true };
  }

  /** The caller a key stands for; UNAUTHENTICATED when it is unknown or revoked. */
  async authenticate(key: string): Promise<Principal> {
    if (!KEY_PATTERN.test(key)) throw unauthenticated("The API key is not valid");
    const row = await this.repo.findOneBy({ keyHash: hashApiKey(key) });
    if (!row) throw unauthenticated("The API key is not valid");
    if (row.revokedOn) throw unauthenticated("The API key has been revoked");
    this.recordUse(row);
    return { actor: `apikey:${row.name}`, org: row.orgId, scopes: new Set(row.scopes), apiKeyId: row.id };
  }

  /** Waits for the last-use writes still running (before the database closes). */
  async flush(): Promise<void> {
    await Promise.all([...this.pendingWrites]);
  }

  /**
   * Records the use without delaying the request, on a connection of its own (never inside the
   * request's transaction), and at most once per interval per key: per process through the map,
   * across instances through the row's own timestamp.
   */
  private recordUse(row: ApiKey) {
    const now = Date.now();
    const last = Math.max(this.lastUsedWrites.get(row.id) ?? 0, row.lastUsedOn?.getTime() ?? 0);
    if (now - last < this.lastUsedIntervalMs) return;
    this.lastUsedWrites.set(row.id, now);
    const write: Promise<void> = this.ds
      .query(`UPDATE "api_keys" SET "last_used_on" = $2 WHERE "id" = $1 AND ("last_used_on" IS NULL OR "last_used_on" <= $3)`, [
        row.id,
        new Date(now),
        new Date(now - this.lastUsedIntervalMs),
      ])
      .then(
        () => undefined,
        (err: unknown) => logger.warn({ err, apiKeyId: row.id }, "could not record an API key's last use"),
      )
      .finally(() => this.pendingWrites.delete(write));
    this.pendingWrites.add(write);
  }
}
