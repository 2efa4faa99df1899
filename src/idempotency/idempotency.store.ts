import type { DataSource } from "typeorm";
import { despiteAbandonment } from "../http/request-timeout";

/** One principal's key: the row's primary key. */
export interface KeyId {
  org: string;
  principal: string;
  key: string;
}

/** A key claimed with `token`: only the claim's holder may keep a response or release it. */
export interface ClaimedKey extends KeyId {
  token: string;
}

/** A claim older than this whose owner is not known to be alive is taken to be abandoned. */
const CLAIM_LEASE_MS = 60_000;

/** The SQL of `idempotency_keys`; every statement stands alone (no transaction, no connection kept). */
export class IdempotencyStore {
  private readonly ttlSeconds: number;

  constructor(
    private readonly ds: DataSource,
    ttlHours: number,
  ) {
    this.ttlSeconds = ttlHours * 3600;
  }

  /**
   * One statement. It runs even for a request abandoned by its timeout or its client (see
   * AbandonedRequestGuard): otherwise its key would stay claimed, with neither its response kept
   * nor the claim released for a retry.
   */
  private run(sql: string, params: unknown[]): Promise<{ rows: any[]; affected: number }> {
    return despiteAbandonment(async () => {
      const runner = this.ds.createQueryRunner();
      try {
        const result = await runner.query(sql, params, true);
        return { rows: result.records ?? [], affected: result.affected ?? 0 };
      } finally {
        await runner.release();
      }
    });
  }

  /** Takes the key: a new row, or an expired one started afresh. False when a live row has it. */
  async claim(id: KeyId, requestHash: string, token: string): Promise<boolean> {
    const { rows } = await this.run(
      `INSERT INTO idempotency_keys AS k (org_id, actor, key, request_hash, token, executed, created_on, claimed_on)
       VALUES ($1, $2, $3, $4, $5, false, now(), now())
       ON CONFLICT (org_id, actor, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, token = EXCLUDED.token, executed = false,
             response_status = NULL, response_body = NULL, created_on = EXCLUDED.created_on, claimed_on = EXCLUDED.claimed_on
         WHERE k.created_on <= now() - make_interval(secs => $6)
       RETURNING token`,
      [id.org, id.principal, id.key, requestHash, token, this.ttlSeconds],
    );
    return rows.length === 1;
  }

  /** The live (unexpired) row of the key, if any. */
  async find(id: KeyId) {
    const { rows } = await this.run(
      `SELECT request_hash, token, executed, response_status, response_body,
              claimed_on <= now() - make_interval(secs => $4) AS lease_expired
         FROM idempotency_keys
        WHERE org_id = $1 AND actor = $2 AND key = $3 AND created_on > now() - make_interval(secs => $5)`,
      [id.org, id.principal, id.key, CLAIM_LEASE_MS / 1000, this.ttlSeconds],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      requestHash: row.request_hash as string,
      token: row.token as string,
      executed: row.executed as boolean,
      responseStatus: row.response_status as number | null,
      responseBody: row.response_body as string | null,
      leaseExpired: row.lease_expired as boolean,
    };
  }

  /** Takes over an abandoned claim that executed nothing. */
  async takeOver(id: KeyId, from: string, token: string): Promise<boolean> {
    const { affected } = await this.run(
      `UPDATE idempotency_keys SET token = $5, claimed_on = now()
        WHERE org_id = $1 AND actor = $2 AND key = $3 AND token = $4 AND NOT executed AND response_body IS NULL`,
      [id.org, id.principal, id.key, from, token],
    );
    return affected === 1;
  }

  async saveResponse(claim: ClaimedKey, status: number, body: string): Promise<void> {
    await this.run(
      `UPDATE idempotency_keys SET response_status = $5, response_body = $6
        WHERE org_id = $1 AND actor = $2 AND key = $3 AND token = $4`,
      [claim.org, claim.principal, claim.key, claim.token, status, body],
    );
  }

  /** Frees the key for a retry, unless a write of the request committed. */
  async release(claim: ClaimedKey): Promise<void> {
    await this.run(`DELETE FROM idempotency_keys WHERE org_id = $1 AND actor = $2 AND key = $3 AND token = $4 AND NOT executed`, [
      claim.org,
      claim.principal,
      claim.key,
      claim.token,
    ]);
  }

  /** Deletes the keys past their TTL (they are ignored already); returns how many. */
  async purgeExpired(): Promise<number> {
    const { affected } = await this.run(`DELETE FROM idempotency_keys WHERE created_on <= now() - make_interval(secs => $1)`, [this.ttlSeconds]);
    return affected;
  }
}
