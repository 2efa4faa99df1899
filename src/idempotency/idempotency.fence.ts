import type { EntitySubscriberInterface, TransactionCommitEvent } from "typeorm";
import { conflict } from "../common/errors";
import { currentScope } from "../http/request-scope";

/**
 * Marks the claimed key executed inside every transaction the request commits, and refuses the
 * commit (rolling the transaction back) when another request took the claim over meanwhile. So a
 * request's writes and the mark commit together or not at all (see idempotency.plugin.ts).
 */
export class IdempotencyFence implements EntitySubscriberInterface {
  async beforeTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    const claim = currentScope()?.idempotency?.claim;
    if (!claim?.armed) return;
    const result = await queryRunner.query(
      `UPDATE idempotency_keys SET executed = true WHERE org_id = $1 AND actor = $2 AND key = $3 AND token = $4`,
      [claim.org, claim.principal, claim.key, claim.token],
      true,
    );
    if (result.affected !== 1) throw conflict("Another request with this Idempotency-Key took over; this one was not applied");
  }

  afterTransactionCommit({ queryRunner }: TransactionCommitEvent): void {
    const claim = currentScope()?.idempotency?.claim;
    // A released savepoint leaves the transaction open: only the real COMMIT counts.
    if (claim?.armed && !queryRunner.isTransactionActive) claim.committed = true;
  }
}
